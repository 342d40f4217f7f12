"""The report function against moto: once per practice and week, failures isolated."""

from collections.abc import Callable
from typing import Any

import pytest

from reactivation.adapters.channels import SesEmail
from reactivation.adapters.outbox import OutboxRepository
from reactivation.domain import sequences, sms
from reactivation.domain.models import Campaign, Channel, Decision
from reactivation.services.report import ReportRunFailed
from tests.builders import at, make_practice
from tests.conftest import Aws
from tests.functions.helpers import scheduled, seed, sent_emails

Handler = Callable[[dict[str, Any]], Any]
MONDAY = "2026-11-30T12:00:00Z"


def sent_message(aws: Aws, when: str) -> None:
    decision = Decision(patient_id="P-1", campaign=Campaign.RECALL_DUE, channel=Channel.SMS)
    job = sequences.job_for_due_step(sequences.start("bright-smile", decision, at(when)), at(when))
    outbox = OutboxRepository(aws.client("dynamodb"), aws.table)
    outbox.claim(job, at(when))
    outbox.sent(job, channel_message_id="m", at=at(when), encoding=sms.encode("Hi"))


def test_the_owner_gets_last_week_once_even_if_the_schedule_fires_twice(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    seed(aws)
    sent_message(aws, "2026-11-24 10:00")  # in week 48
    sent_message(aws, "2026-11-30 09:00")  # this week: not in last week's report
    report = load_function("ReportFunction")
    assert report(scheduled(None, MONDAY))["sent"] == ["bright-smile"]
    assert report(scheduled(None, MONDAY))["already_sent"] == ["bright-smile"]
    (email,) = sent_emails()
    assert email.subject == "Bright Smile Dental, week 48: 1 message sent, 0 replies, 0 opt-outs"
    assert email.destinations["ToAddresses"] == ["owner@reactivation.test"]
    assert email.source == "reports@reactivation.test"
    assert "+1212" not in email.body and "Ana" not in email.body


def test_a_quiet_week_gets_a_short_report(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    seed(aws)
    load_function("ReportFunction")(scheduled(None, MONDAY))
    assert sent_emails()[0].subject == "Bright Smile Dental: nothing sent in week 48"


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
    assert [e.destinations["ToAddresses"] for e in sent_emails()] == [["owner@reactivation.test"]]
    monkeypatch.setattr(SesEmail, "send", real)
    retry = report(scheduled(None, MONDAY))
    assert retry["sent"] == ["broken"] and retry["already_sent"] == ["bright-smile"]
    assert len(sent_emails()) == 2
