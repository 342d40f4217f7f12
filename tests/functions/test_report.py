"""The report function against moto: at each practice's Monday 07:00, once per practice and
week, the CSV attached, failures isolated; a booking through a reply is credited."""

import re
from collections.abc import Callable
from typing import Any

import pytest

from reactivation.adapters.channels import SesEmail
from reactivation.adapters.items import TransactionWriter
from reactivation.adapters.openings import OpeningRepository
from reactivation.adapters.outbox import OutboxRepository
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain import sequences, sms
from reactivation.domain.conversation import BookingRequest, Opening
from reactivation.domain.outreach import Decision
from reactivation.domain.patients import Appointment
from reactivation.domain.types import Campaign, Channel
from reactivation.services.report import ReportRunFailed
from reactivation_tools.local.stack import SentEmail, parse_mime
from tests.builders import at, make_practice
from tests.conftest import Aws
from tests.functions.helpers import scheduled, seed
from tests.functions.helpers import sent_emails as moto_emails

Handler = Callable[[dict[str, Any]], Any]
MONDAY = "2026-11-30T12:00:00Z"  # 07:00 in New York


def sent_emails() -> list[SentEmail]:
    """What SES sent, as the owner reads it (the report is a MIME message: it has a CSV)."""
    return [parse_mime(m.id, m.source, m.raw_data) for m in moto_emails()]


def sent_message(aws: Aws, when: str) -> None:
    decision = Decision(patient_id="P-1", campaign=Campaign.RECALL_DUE, channel=Channel.SMS)
    sequence = sequences.start("bright-smile", decision, at(when))
    SequenceRepository(aws.client("dynamodb"), aws.table).enrol(sequence)
    job = sequences.job_for_due_step(sequence, at(when))
    outbox = OutboxRepository(aws.client("dynamodb"), aws.table)
    outbox.claim(job, at(when))
    outbox.sent(job, channel_message_id="m", at=at(when), encoding=sms.encode("Hi"))


def test_the_owner_gets_last_week_once_even_if_the_schedule_fires_twice(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    seed(aws)
    sent_message(aws, "2026-11-24 10:00")  # in week 48
    request = BookingRequest(practice_id="bright-smile", patient_id="P-1", reply_id="in-2",
                             opening=Opening(starts_at=at("2026-12-01 09:00")),
                             requested_at=at("2026-11-24 11:00"))  # fmt: skip
    openings = OpeningRepository(aws.client("dynamodb"), aws.table)
    TransactionWriter(aws.client("dynamodb")).write([openings.requested_write(request)])
    PatientRepository(aws.client("dynamodb"), aws.table).apply_appointment_change(
        "bright-smile", Appointment(appointment_id="A-9", patient_id="P-1",
                                    starts_at=at("2026-12-01 09:00"), category="hygiene",
                                    status="scheduled"), at("2026-11-24 11:30"))  # fmt: skip
    report = load_function("ReportFunction")
    assert report(scheduled(None, "2026-11-30T11:59:00Z"))["not_due"] == 1
    assert report(scheduled(None, MONDAY))["sent"] == ["bright-smile"]
    assert report(scheduled(None, MONDAY))["already_sent"] == ["bright-smile"]
    (email,) = sent_emails()
    assert email.subject == (
        "Bright Smile Dental, week of Nov 23: 1 visit booked (Dec 1); "
        "revenue counts when the visits happen"
    )
    assert email.to == ("owner@reactivation.test",)
    assert email.sender == "reports@reactivation.test"
    assert "+1212" not in email.body and "Ana" not in email.body
    # the practice's first week: its own column only
    assert re.search(r"^Visits booked \[\d\] +1\s*$", email.text, re.M)
    assert "Last week" not in email.text and "Last 4 weeks" not in email.text
    assert "Week by week" not in email.text  # a trend needs two weeks
    assert "Patients sent a message" in email.text  # no delivery receipts recorded yet
    assert "1 text this week (1 outreach text): 1 SMS segment, about $0.01" in email.text
    rows = email.attachments["campaigns.csv"].decode().splitlines()
    assert rows[0] == "period,from,to,campaign,eligible,reached,replied,rebooked,completed,revenue"
    assert rows[1] == "week,2026-11-23,2026-11-29,recall_due,1,1,0,1,0,0.00"


def test_a_quiet_week_gets_a_short_report(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    seed(aws)
    load_function("ReportFunction")(scheduled(None, MONDAY))
    (email,) = sent_emails()
    assert email.subject == "Bright Smile Dental, week of Nov 23: nothing sent this week"
    assert "Nothing was sent this week" in email.text


def test_one_practice_failing_does_not_stop_the_others_and_its_retry_sends_it(
    aws: Aws, load_function: Callable[[str], Handler], monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(aws)
    seed(aws, make_practice(practice_id="broken", sending_number="+13105550199",
                            owner_emails=("owner@broken.test",)))  # fmt: skip
    real = SesEmail.send

    def failing(self: SesEmail, **kwargs: Any) -> str:
        if kwargs["to"] == ("owner@broken.test",):
            raise RuntimeError("SES unavailable")
        return real(self, **kwargs)

    monkeypatch.setattr(SesEmail, "send", failing)
    report = load_function("ReportFunction")
    with pytest.raises(ReportRunFailed):
        report(scheduled(None, MONDAY))
    assert [e.to for e in sent_emails()] == [("owner@reactivation.test",)]
    monkeypatch.setattr(SesEmail, "send", real)
    retry = report(scheduled(None, MONDAY))
    assert retry["sent"] == ["broken"] and retry["already_sent"] == ["bright-smile"]
    assert len(sent_emails()) == 2


def test_a_claim_left_by_a_run_that_died_is_taken_again_once_it_cannot_be_alive(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    from reactivation.adapters.reports import ReportRepository

    seed(aws)
    # a run claimed the week's report at 07:00 and died before confirming it
    assert ReportRepository(aws.client("dynamodb"), aws.table).claim(
        "bright-smile", "2026-W48", at("2026-11-30 07:00")
    )
    report = load_function("ReportFunction")
    assert report(scheduled(None, "2026-11-30T12:10:00Z"))["already_sent"] == ["bright-smile"]
    assert report(scheduled(None, "2026-11-30T13:00:00Z"))["sent"] == ["bright-smile"]
    assert report(scheduled(None, "2026-11-30T14:00:00Z"))["already_sent"] == ["bright-smile"]
    assert len(sent_emails()) == 1


def test_answers_and_confirmations_count_with_outreach_and_what_waits_for_the_team(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    from reactivation.adapters.handoffs import HandoffRepository
    from reactivation.domain.handoffs import Handoff, HandoffReason, Team
    from reactivation.domain.sms import TextKind

    seed(aws)
    sent_message(aws, "2026-11-24 10:00")
    outbox = OutboxRepository(aws.client("dynamodb"), aws.table)
    outbox.record_text("bright-smile", "sns-1", TextKind.ANSWER, 2, at("2026-11-24 11:00"))
    outbox.record_text("bright-smile", "sns-1", TextKind.ANSWER, 2, at("2026-11-24 11:00"))  # again
    outbox.record_text("bright-smile", "sns-2", TextKind.ANSWER, 1, at("2026-11-25 09:00"))
    handoffs = HandoffRepository(aws.client("dynamodb"), aws.table)
    TransactionWriter(aws.client("dynamodb")).write([handoffs.open_write(Handoff(
        practice_id="bright-smile", handoff_id="in-q", from_number="+12125550101",
        patient_ids=("P-1",), reason=HandoffReason.QUESTION, team=Team.FRONT_DESK,
        urgent=False, opened_at=at("2026-11-27 10:00")))])  # fmt: skip
    load_function("ReportFunction")(scheduled(None, MONDAY))
    (email,) = sent_emails()
    assert (
        "3 texts this week (1 outreach text, 2 answers and confirmations): "
        "4 SMS segments, about $0.03 at $0.0079 a segment." in email.text
    )
    assert "Front desk: 1 reply open, the oldest 2 days old" in email.text
    assert "5550101" not in email.body


class FakeSms:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, *, to: str, sender: str, body: str, identity: str | None = None) -> str:
        self.sent.append(body)
        return f"sns-{len(self.sent)}"


def test_the_inbound_answers_are_recorded_with_their_segments_and_a_failed_record_sends_once(
    aws: Aws, caplog: pytest.LogCaptureFixture
) -> None:
    from reactivation.adapters.texts import RecordedSms
    from reactivation.domain.sms import TextKind

    outbox = OutboxRepository(aws.client("dynamodb"), aws.table)
    channel = FakeSms()
    owners = {"+13105550100": "bright-smile"}
    recorded = RecordedSms(channel, outbox, owners.get, lambda: at("2026-11-24 11:00"))
    long_answer = "Bright Smile Dental has 1) Tue Dec 1 9:00am 2) Tue Dec 1 2:00pm. " * 3
    assert recorded.send(to="+12125550101", sender="+13105550100", body="You're opted out.")
    recorded.send(to="+12125550101", sender="+13105550100", body=long_answer)
    texts = outbox.texts_between("bright-smile", at("2026-11-23 00:00"), at("2026-11-30 00:00"))
    assert [(t.kind, t.segments) for t in texts] == [(TextKind.ANSWER, 1), (TextKind.ANSWER, 2)]

    def broken(*args: object) -> None:
        raise RuntimeError("throttled")

    outbox.record_text = broken  # type: ignore[method-assign,assignment]
    assert recorded.send(to="+12125550101", sender="+13105550100", body="Hi") == "sns-3"
    assert len(channel.sent) == 3  # sent once, not retried: the text went
    assert "text not recorded for the report" in caplog.text and "+1212" not in caplog.text
