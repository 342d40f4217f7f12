"""`reactivation report` on the local stack: the same report as the function's, to files."""

from __future__ import annotations

import re
from datetime import timedelta
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
    monday = start.date() - timedelta(days=start.weekday())
    assert printed.startswith(f"Bright Smile Dental, week of {monday:%b} {monday.day}: no new")
    text = out.with_suffix(".txt").read_text()
    # no delivery receipts yet: "sent", not "reached"; four texts and an email
    assert re.search(r"^Patients sent a message \[2\] +5$", text, re.M)
    assert re.search(r"^Opt-out rate \[\d\] +20%$", text, re.M)  # Ana's STOP
    assert "Opt-outs are at 20%, above 5%" in text
    # the STOP's confirmation is billed too
    assert "5 texts this week (4 outreach texts, 1 answer or confirmation): 5 SMS segments" in text
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert out.with_suffix(".csv").read_text().splitlines()[1].startswith("week,")
    [email] = [e for e in stack.sent_emails() if e.sender.startswith("reports@")]
    assert email.to == tuple(demo.PRACTICE.owner_emails) and "campaigns.csv" in email.attachments
    assert cli.main(["--state-dir", str(state), "report", "bright-smile", "--week",
                     "2026-W54"]) == 2  # fmt: skip
