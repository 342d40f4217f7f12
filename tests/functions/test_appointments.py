"""The appointments function against moto: an event on the practice events bus reaches the
patient's record in minutes; late, malformed or unknown changes never corrupt it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain.outreach import Decision
from reactivation.domain.patients import AppointmentStatus
from reactivation.domain.sequences import start as start_sequence
from reactivation.domain.sequences import stopped
from reactivation.domain.types import Campaign, Channel
from tests.builders import at
from tests.conftest import Aws
from tests.functions.helpers import queued, seed, sqs_event

Handler = Callable[[dict[str, Any]], Any]


def change(status: str, changed_at: str, **appointment: str) -> dict[str, Any]:
    return {
        "practice_id": "bright-smile",
        "changed_at": changed_at,
        "appointment": {
            "appointment_id": "A-77",
            "patient_id": "P-1",
            "starts_at": "2026-11-24T10:00",
            "category": "Hygiene",
            "status": status,
            **appointment,
        },
    }


def put(aws: Aws, *details: dict[str, Any]) -> list[str]:
    """Puts the events on the practice events bus; returns what the rule queued."""
    aws.client("events").put_events(
        Entries=[
            {
                "EventBusName": aws.ref("PracticeEventsBus"),
                "Source": f"reactivation.pms.{detail['practice_id']}",
                "DetailType": "Appointment Changed",
                "Detail": json.dumps(detail),
            }
            for detail in details
        ]
    )
    return [m["Body"] for m in queued(aws, "AppointmentChangesQueue")]


def appointment_status(aws: Aws) -> AppointmentStatus | None:
    record = PatientRepository(aws.client("dynamodb"), aws.table).record("bright-smile", "P-1")
    assert record is not None
    found = [a.status for a in record.appointments if a.appointment_id == "A-77"]
    return found[0] if found else None


def test_a_booking_then_a_no_show_reach_the_record_in_order(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    seed(aws)
    handler = load_function("AppointmentsFunction")
    bodies = put(aws, change("scheduled", "2026-11-20T09:00:00Z"))
    assert handler(sqs_event(aws, bodies)) == {"batchItemFailures": []}
    assert appointment_status(aws) is AppointmentStatus.SCHEDULED
    bodies = put(aws, change("NO_SHOW", "2026-11-24T15:20:00Z"))
    handler(sqs_event(aws, bodies))
    assert appointment_status(aws) is AppointmentStatus.NO_SHOW


def test_a_late_older_change_never_undoes_a_newer_one(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    seed(aws)
    handler = load_function("AppointmentsFunction")
    newer, older = (
        change("completed", "2026-11-24T18:00:00Z"),
        change("scheduled", "2026-11-20T09:00:00Z"),
    )
    assert handler(sqs_event(aws, put(aws, newer, older))) == {"batchItemFailures": []}
    assert appointment_status(aws) is AppointmentStatus.COMPLETED


def test_changes_that_cannot_be_applied_are_refused_alone_and_write_nothing(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    seed(aws)
    handler = load_function("AppointmentsFunction")
    bodies = put(
        aws,
        change("no_show", "2026-11-24T15:20:00Z", patient_id="P-404"),  # not a patient (yet)
        change("gone", "2026-11-24T15:20:00Z"),  # not a status
        {**change("no_show", "2026-11-24T15:20:00Z"), "practice_id": "another-practice"},
        change("no_show", "2026-11-24T15:20:00Z", starts_at="tomorrow"),
        change("cancelled", "2026-11-24T15:21:00Z"),  # fine
    )
    result = handler(sqs_event(aws, [*bodies, '{"source": "reactivation.pms"}']))
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == [
        "m-0", "m-1", "m-2", "m-3", "m-5"
    ]  # fmt: skip
    assert appointment_status(aws) is AppointmentStatus.CANCELLED
    record = PatientRepository(aws.client("dynamodb"), aws.table).record("bright-smile", "P-404")
    assert record is None


def test_a_no_show_starts_the_rescue_15_minutes_after_the_missed_start(
    aws: Aws, load_function: Callable[[str], Handler], frozen_clock: Callable[[datetime], None]
) -> None:
    seed(aws)
    handler = load_function("AppointmentsFunction")
    frozen_clock(at("2026-11-24 10:05"))  # the front desk marks the 10:00 visit a no-show
    handler(sqs_event(aws, put(aws, change("no_show", "2026-11-24T15:05:00Z"))))
    sequences = SequenceRepository(aws.client("dynamodb"), aws.table)
    rescue = sequences.active("bright-smile", "P-1")
    assert rescue is not None and rescue.campaign is Campaign.MISSED_APPOINTMENT
    assert rescue.next_step == 1 and rescue.next_step_due_at == at("2026-11-24 10:15")
    assert [s.sequence_id for s in sequences.due("bright-smile", at("2026-11-24 10:14"))] == []
    assert [s.sequence_id for s in sequences.due("bright-smile", at("2026-11-24 10:15"))] == [
        rescue.sequence_id
    ]


def test_no_rescue_for_an_early_cancellation(
    aws: Aws, load_function: Callable[[str], Handler], frozen_clock: Callable[[datetime], None]
) -> None:
    seed(aws)
    handler = load_function("AppointmentsFunction")
    sequences = SequenceRepository(aws.client("dynamodb"), aws.table)
    frozen_clock(at("2026-11-20 09:00"))  # four days ahead: a reschedule, not a rescue
    handler(sqs_event(aws, put(aws, change("cancelled", "2026-11-20T14:00:00Z"))))
    assert sequences.active("bright-smile", "P-1") is None


def test_the_rescue_ends_a_sequence_of_lower_priority_and_takes_its_place(
    aws: Aws, load_function: Callable[[str], Handler], frozen_clock: Callable[[datetime], None]
) -> None:
    seed(aws)
    handler = load_function("AppointmentsFunction")
    sequences = SequenceRepository(aws.client("dynamodb"), aws.table)
    recall = Decision(patient_id="P-1", campaign=Campaign.RECALL_DUE, channel=Channel.SMS)
    before = start_sequence("bright-smile", recall, at("2026-11-17 10:00"))
    assert sequences.enrol(before)
    frozen_clock(at("2026-11-24 10:20"))
    handler(sqs_event(aws, put(aws, change("no_show", "2026-11-24T15:20:00Z"))))
    active = sequences.active("bright-smile", "P-1")
    assert active is not None and active.campaign is Campaign.MISSED_APPOINTMENT
    ended = sequences.get("bright-smile", "P-1", before.sequence_id)
    assert ended is not None and ended.end_reason == "rescue" and ended.next_step is None
    assert ended.ended_at == at("2026-11-24 10:20")
    due = [s.campaign for s in sequences.due("bright-smile", at("2026-12-31 10:00"))]
    assert due == [Campaign.MISSED_APPOINTMENT]  # the recall sends nothing more
    history = sequences.history("bright-smile", "P-1", frozenset())
    assert history.rescued_at == at("2026-11-24 10:20")


def test_only_a_rescue_in_the_last_30_days_blocks_another_and_a_late_report_waits(
    aws: Aws, load_function: Callable[[str], Handler], frozen_clock: Callable[[datetime], None]
) -> None:
    seed(aws)
    handler = load_function("AppointmentsFunction")
    sequences = SequenceRepository(aws.client("dynamodb"), aws.table)
    frozen_clock(at("2026-11-24 10:20"))
    handler(sqs_event(aws, put(aws, change("no_show", "2026-11-24T15:20:00Z"))))
    first = sequences.active("bright-smile", "P-1")
    assert first is not None
    booked = stopped(first, first.started_at, "booked")
    assert sequences.replace(first, booked)
    # another miss 10 days later: the first rescue still blocks
    frozen_clock(at("2026-12-04 11:20"))
    later = change(
        "no_show", "2026-12-04T16:20:00Z", appointment_id="A-78", starts_at="2026-12-04T11:00"
    )
    handler(sqs_event(aws, put(aws, later)))
    assert sequences.active("bright-smile", "P-1") is None
    # a miss reported more than a day after its start is left to the weekly run
    frozen_clock(at("2027-01-06 11:01"))
    late = change(
        "no_show", "2027-01-06T16:01:00Z", appointment_id="A-79", starts_at="2027-01-05T11:00"
    )
    handler(sqs_event(aws, put(aws, late)))
    assert sequences.active("bright-smile", "P-1") is None
    # a holdout recall enrolment 9 days ago: the 30-day cooldown does not hold a rescue back
    recall = Decision(
        patient_id="P-1", campaign=Campaign.RECALL_DUE, channel=Channel.SMS, holdout=True
    )
    assert sequences.enrol(start_sequence("bright-smile", recall, at("2026-12-28 10:00")))
    # 31 days on, in time: rescued again
    frozen_clock(at("2027-01-06 11:20"))
    again = change(
        "no_show", "2027-01-06T16:20:00Z", appointment_id="A-80", starts_at="2027-01-06T11:00"
    )
    handler(sqs_event(aws, put(aws, again)))
    rescue = sequences.active("bright-smile", "P-1")
    assert rescue is not None and rescue.campaign is Campaign.MISSED_APPOINTMENT


def test_a_rescue_whose_lower_sequence_ends_meanwhile_reads_again_and_starts(
    aws: Aws,
    load_function: Callable[[str], Handler],
    frozen_clock: Callable[[datetime], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(aws)
    handler = load_function("AppointmentsFunction")
    sequences = SequenceRepository(aws.client("dynamodb"), aws.table)
    recall = Decision(patient_id="P-1", campaign=Campaign.RECALL_DUE, channel=Channel.SMS)
    before = start_sequence("bright-smile", recall, at("2026-11-03 10:00"))
    assert sequences.enrol(before)
    stale = sequences.history("bright-smile", "P-1", frozenset())
    assert sequences.replace(before, stopped(before, at("2026-11-24 10:16"), "completed"))
    reads = iter([stale])  # the first read is from before the recall's last step ended it
    real = SequenceRepository.history

    def history(self: SequenceRepository, *args: Any) -> Any:
        return next(reads, None) or real(self, *args)

    monkeypatch.setattr(SequenceRepository, "history", history)
    frozen_clock(at("2026-11-24 10:20"))
    handler(sqs_event(aws, put(aws, change("no_show", "2026-11-24T15:20:00Z"))))
    active = sequences.active("bright-smile", "P-1")
    assert active is not None and active.campaign is Campaign.MISSED_APPOINTMENT
