"""Seeding a practice and reading what moto delivered, for the handler tests."""

from __future__ import annotations

import json
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.domain.patients import Patient
from reactivation.domain.practice import Practice
from tests.builders import make_patient, make_practice, visit
from tests.conftest import Aws

REGION = "us-east-1"


def seed(aws: Aws, practice: Practice | None = None, *patients: Patient) -> Practice:
    """A practice with patients due for recall (last cleaning 2026-04-20)."""
    practice = practice or make_practice()
    dynamodb = aws.client("dynamodb")
    PracticeRepository(dynamodb, aws.table).save(practice)
    repository = PatientRepository(dynamodb, aws.table)
    for patient in patients or (make_patient("P-1"),):
        repository.save(practice.practice_id, patient)
        repository.save_appointment(practice.practice_id, visit(patient.patient_id, "2026-04-20"))
    return practice


def sent_sms() -> list[tuple[str, str]]:
    return list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())


def sent_emails() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def queued(aws: Aws, logical_id: str = "SendQueue") -> list[dict[str, Any]]:
    """Receives every visible message of a queue (they stay in flight afterwards)."""
    sqs = aws.client("sqs")
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=aws.ref(logical_id), MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            return messages
        messages.extend(batch)


def sqs_event(aws: Aws, bodies: list[str]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m-{i}",
                "receiptHandle": f"r-{i}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{DEFAULT_ACCOUNT_ID}:send",
                "awsRegion": REGION,
            }
            for i, body in enumerate(bodies)
        ]
    }


def scheduled(run: str | None, when: str) -> dict[str, Any]:
    event: dict[str, Any] = {"scheduled_time": when}
    if run:
        event["run"] = run
    return event


def job_bodies(aws: Aws) -> list[str]:
    return [m["Body"] for m in queued(aws)]


def body_of(job: Any) -> str:
    return json.dumps(job.model_dump(mode="json"))
