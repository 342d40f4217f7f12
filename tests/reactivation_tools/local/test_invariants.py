"""The table-walking checker the reliability tests end with: it finds each kind of violation
(and the demo's whole run, with its simulated weeks, has none: tests/e2e/test_slice.py)."""

from __future__ import annotations

from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.outbox import OutboxRepository
from reactivation.domain import sequences, sms
from reactivation.domain.outreach import Decision, SendJob
from reactivation.domain.types import Campaign, Channel
from reactivation_tools.local.invariants import check
from tests.builders import at
from tests.conftest import Aws
from tests.functions.helpers import seed


def sent(aws: Aws, when: str, step: int = 1, patient_id: str = "P-1", job: str = "") -> None:
    decision = Decision(patient_id=patient_id, campaign=Campaign.RECALL_DUE, channel=Channel.SMS)
    sequence = sequences.start("bright-smile", decision, at("2026-11-24 10:00"))
    first = sequences.job_for_due_step(sequence, at(when))
    message = SendJob.model_validate(
        {**first.model_dump(), "step": step, "job_id": job or f"{first.job_id}-{when}-{step}"}
    )
    outbox = OutboxRepository(aws.client("dynamodb"), aws.table)
    outbox.claim(message, at(when))
    outbox.sent(message, channel_message_id="m", at=at(when), encoding=sms.encode("Hi"))


def rules(aws: Aws) -> list[str]:
    return sorted(v.rule for v in check(aws.client("dynamodb"), aws.table))


def test_a_clean_history_has_no_violation(aws: Aws) -> None:
    seed(aws)
    sent(aws, "2026-11-24 10:00", step=1)
    sent(aws, "2026-11-28 10:00", step=2)  # a Saturday
    assert rules(aws) == []


def test_a_federal_holiday_is_outside_sending_hours(aws: Aws) -> None:
    seed(aws)
    sent(aws, "2026-11-26 12:00")  # Thanksgiving
    assert rules(aws) == ["outside sending hours"]


def test_each_rule_is_found(aws: Aws) -> None:
    seed(aws)
    sent(aws, "2026-11-24 21:30", step=1)  # after 20:00 in New York
    sent(aws, "2026-11-25 10:00", step=2)
    sent(aws, "2026-11-25 11:00", step=2, job="again")  # step 2 twice, and twice that day
    ConsentRepository(aws.client("dynamodb"), aws.table).record(
        "bright-smile", "+12125550101", opted_out=True, at=at("2026-11-27 09:00"),
        recorded_at=at("2026-11-27 09:00"),
    )  # fmt: skip
    sent(aws, "2026-11-27 12:00", step=3)  # after the STOP, and a third in 7 days
    assert rules(aws) == [
        "a step sent twice",
        "outside sending hours",
        "sent after an opt-out",
        "three messages to a number in 7 days",
        "three messages to a number in 7 days",
        "two messages to a number in a day",
    ]
    # ids and times only: never the number
    assert all("+1212" not in v.detail for v in check(aws.client("dynamodb"), aws.table))
