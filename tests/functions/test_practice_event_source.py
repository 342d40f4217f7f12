"""Issue #16 item 5: the practice is who the event's source says it is. An event on the practice
events bus whose source (`reactivation.pms.<practice id>`, all its IAM policy lets a practice's
system put) is not the practice its detail names is refused, and parked at once in the
dead-letter queue with its reason: never applied, never retried."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from reactivation.adapters.patients import PatientRepository
from reactivation.domain.patients import AppointmentStatus
from tests.conftest import Aws
from tests.functions.helpers import queued, seed, sqs_event
from tests.functions.test_appointments import change

Handler = Callable[[dict[str, Any]], Any]


def put(aws: Aws, source: str, detail_type: str, detail: dict[str, Any]) -> list[str]:
    """Puts one event on the practice events bus as `source`; returns what its rule queued."""
    aws.client("events").put_events(Entries=[{
        "EventBusName": aws.ref("PracticeEventsBus"), "Source": source,
        "DetailType": detail_type, "Detail": json.dumps(detail),
    }])  # fmt: skip
    return [m["Body"] for m in queued(aws, "AppointmentChangesQueue")]


def parked(aws: Aws) -> list[tuple[str, str]]:
    """The dead-letter queue's messages: (their event's source, the reason attribute)."""
    sqs = aws.client("sqs")
    found: list[tuple[str, str]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=aws.ref("AppointmentChangesDeadLetterQueue"), MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
        ).get("Messages", [])  # fmt: skip
        if not batch:
            return found
        found += [(json.loads(m["Body"])["source"],
                   m["MessageAttributes"]["reason"]["StringValue"]) for m in batch]  # fmt: skip


def status(aws: Aws) -> AppointmentStatus | None:
    record = PatientRepository(aws.client("dynamodb"), aws.table).record("bright-smile", "P-1")
    assert record is not None
    return next((a.status for a in record.appointments if a.appointment_id == "A-77"), None)


def test_another_practice_s_system_naming_this_practice_is_refused_and_parked_with_its_reason(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    seed(aws)
    handler = load_function("AppointmentsFunction")
    no_show = change("no_show", "2026-11-24T15:20:00Z")
    bodies = put(aws, "reactivation.pms.lakeside-dental", "Appointment Changed", no_show)
    assert len(bodies) == 1  # the rule routes every practice's source to the queue
    assert handler(sqs_event(aws, bodies)) == {"batchItemFailures": []}  # not retried...
    assert status(aws) is None  # ...and not applied
    assert parked(aws) == [(
        "reactivation.pms.lakeside-dental",
        "source reactivation.pms.lakeside-dental may not put events for practice bright-smile",
    )]  # fmt: skip


def test_openings_from_the_wrong_source_and_the_bare_source_are_refused_too(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    seed(aws)
    handler = load_function("AppointmentsFunction")
    openings = {
        "practice_id": "bright-smile",
        "openings": [
            {"starts_at": "2026-11-26T09:00:00-05:00", "provider": "Dr. Lee", "category": None}
        ],
    }
    bodies = put(aws, "reactivation.pms.lakeside-dental", "Openings Published", openings)
    bodies += put(aws, "reactivation.pms", "Appointment Changed",
                  change("no_show", "2026-11-24T15:20:00Z"))  # fmt: skip
    assert handler(sqs_event(aws, bodies)) == {"batchItemFailures": []}
    reasons = dict(parked(aws))
    assert reasons["reactivation.pms"].startswith("source reactivation.pms names no practice")
    assert "for practice bright-smile" in reasons["reactivation.pms.lakeside-dental"]
    assert status(aws) is None


def test_the_practice_s_own_source_is_applied(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    seed(aws)
    handler = load_function("AppointmentsFunction")
    bodies = put(aws, "reactivation.pms.bright-smile", "Appointment Changed",
                 change("scheduled", "2026-11-20T09:00:00Z"))  # fmt: skip
    assert handler(sqs_event(aws, bodies)) == {"batchItemFailures": []}
    assert status(aws) is AppointmentStatus.SCHEDULED
    assert parked(aws) == []
    # a source of another bus's kind never reaches the queue
    assert put(aws, "acme.crm", "Appointment Changed", change("no_show", "2026-11-24T15:20Z")) == []
