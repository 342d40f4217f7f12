"""The operator's console on a running local stack: plain tables and sentences (JSON with
--json), a patient's reply sent through the signed topic, one patient's conversation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reactivation_tools.cli import main
from reactivation_tools.local import demo
from reactivation_tools.local.stack import LocalStack


def console(stack: LocalStack, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(["--state-dir", str(stack.state_dir), *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Traceback" not in out + err
    return out


def test_a_reply_goes_through_the_topic_and_the_conversation_shows_it(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    (stack.state_dir / "stack.json").write_text(json.dumps(stack.describe()))
    start = demo.next_tuesday_morning(datetime.now(UTC))
    stack.clock.set(start.astimezone(UTC))
    demo.seed(stack.client("dynamodb"), stack.outputs["PracticeTableName"], start.date())

    fired = console(stack, capsys, "local", "fire", "WeeklyEnrolment")
    assert fired.startswith("WeeklyEnrolment fired: the function ran")
    drained = console(stack, capsys, "local", "drain")
    assert "fed to the functions" in drained and "{" not in drained
    outbox = console(stack, capsys, "local", "outbox")
    assert outbox.splitlines()[0].endswith("delivered by AWS (moto), oldest first")
    header = outbox.splitlines()[2].split()
    assert header == ["to", "text"] and "+12125550101" in outbox
    as_json = json.loads(console(stack, capsys, "local", "outbox", "--json"))
    assert set(as_json) == {"sms", "emails"}

    said = console(stack, capsys, "local", "reply", "+12125550101", "STOP")
    assert said.splitlines()[0] == '+12125550101 -> Bright Smile Dental: "STOP"'
    assert "Bright Smile Dental -> +12125550101:" in said  # the opt-out's confirmation

    shown = console(stack, capsys, "conversation", "bright-smile", "P-1001")
    assert shown.startswith("Ana (P-1001) at Bright Smile Dental")
    assert '"STOP"' in shown and "opt_out" in shown
    assert "sent" in shown  # the enrolment's first message


def test_local_up_state_is_required_and_said_plainly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["--state-dir", str(tmp_path), "local", "drain"])
    assert "no local stack is running (start one with `reactivation local up`)" in (
        capsys.readouterr().err
    )
