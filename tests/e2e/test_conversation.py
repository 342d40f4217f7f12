"""Replies read in their conversation, on the local stack: after the weekly run's first texts,
a tapback is heard and the sequence goes on, "already booked" goes to the front desk to
confirm, a thumbs-up is a yes, and a thanks after the answer changes nothing; the weekly report
counts the acknowledgements, and every rule held."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reactivation.adapters.handoffs import HandoffRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain.handoffs import HandoffReason
from reactivation_tools import cli
from reactivation_tools.local import demo, invariants
from reactivation_tools.local.stack import LocalStack
from tests.e2e.helpers import seeded_for_cli
from tests.e2e.test_handoffs import reply

ANA, FAY, GUS = "+12125550101", "+12125550106", "+12125550107"


def test_replies_are_read_against_the_last_text_sent(
    stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start, state = seeded_for_cli(stack, tmp_path)
    dynamodb, table = stack.client("dynamodb"), stack.outputs["PracticeTableName"]
    sequences = SequenceRepository(dynamodb, table)
    practice = demo.PRACTICE.practice_id
    stack.fire("WeeklyEnrolment")
    stack.drain()
    assert {ANA, FAY, GUS} <= {sms.to for sms in stack.sent_sms()}  # each got step 1

    def sent() -> tuple[int, int]:
        return len(stack.sent_sms()), len(stack.sent_emails())

    # a tapback right after the first message: heard; the sequence goes on, nobody is told
    before = sent()
    reply(stack, FAY, "Liked \u201cHi Fay, it's Bright Smile Dental.\u201d", "in-like")
    assert sequences.active(practice, "P-1006") is not None
    assert sent() == before

    # "already booked": the sequence ends and the front desk gets a booking to confirm
    reply(stack, GUS, "Already booked online, thanks", "in-booked")
    assert sequences.active(practice, "P-1007") is None
    [handoff] = HandoffRepository(dynamodb, table).open_ones(practice)
    assert handoff.reason is HandoffReason.BOOKING_TO_CONFIRM and not handoff.urgent
    assert stack.sent_emails()[-1].to == (demo.PRACTICE.front_desk_email,)
    assert len(stack.sent_sms()) == before[0]  # no text back

    # a thumbs-up right after the first message is a yes: the sequence ends, the booking way
    reply(stack, ANA, "👍", "in-thumb")
    assert sequences.active(practice, "P-1001") is None
    assert stack.sent_sms()[-1].to == ANA
    # and a thanks after that answer changes nothing and tells nobody
    before = sent()
    reply(stack, ANA, "thanks!", "in-thanks")
    assert sent() == before

    assert invariants.check(dynamodb, table) == []
    week = f"{start.isocalendar().year}-W{start.isocalendar().week:02d}"
    out = tmp_path / "week.html"
    assert cli.main(["--state-dir", str(state), "report", practice, "--week", week,
                     "--out", str(out)]) == 0  # fmt: skip
    capsys.readouterr()
    text = out.with_suffix(".txt").read_text()
    assert re.search(r"^Acknowledgements \[\d+\] +2$", text, re.M), text
