"""`reactivation report` on the local stack: the same report as the function's, to files."""

from __future__ import annotations

from pathlib import Path

import pytest

from reactivation_tools import cli
from reactivation_tools.local import demo
from reactivation_tools.local.stack import LocalStack
from tests.e2e.helpers import seeded_for_cli
from tests.e2e.test_handoffs import reply


def test_the_cli_renders_a_week_to_html_text_and_csv_and_sends_it_on_request(
    stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start, state = seeded_for_cli(stack, tmp_path)
    stack.fire("WeeklyEnrolment")
    stack.drain()
    reply(stack, "+12125550101", "STOP", "in-stop")
    week = f"{start.isocalendar().year}-W{start.isocalendar().week:02d}"
    out = tmp_path / "week.html"
    assert cli.main(["--state-dir", str(state), "report", "bright-smile", "--week", week,
                     "--out", str(out), "--send"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert printed.startswith(f"Bright Smile Dental, week {start.isocalendar().week}: 0 patients")
    text = out.with_suffix(".txt").read_text()
    assert "Patients reached                           5" in text  # four texts, an email
    assert "Opt-out rate                             20%" in text  # Ana's STOP
    assert "This week: 4 texts (4 SMS segments billed), 1 emails, 1 opt-outs" in text
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert out.with_suffix(".csv").read_text().splitlines()[1].startswith("week,")
    [email] = [e for e in stack.sent_emails() if e.sender.startswith("reports@")]
    assert email.to == tuple(demo.PRACTICE.owner_emails) and "campaigns.csv" in email.attachments
    assert cli.main(["--state-dir", str(state), "report", "bright-smile", "--week",
                     "2026-W54"]) == 2  # fmt: skip
