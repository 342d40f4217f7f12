"""A practice's patients in bulk, for the segmentation: each patient with their appointments,
plans and state, read from the PatientRecords index a shard at a time, in large pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from reactivation.adapters.items import Keys, TableRepository, model_fields, query, to_attributes
from reactivation.adapters.sequences import history_from_state
from reactivation.domain.outreach import Enrolment, PatientFile, SendStatus
from reactivation.domain.patients import Appointment, Patient, PatientHistory, PatientRecord, Plan
from reactivation.domain.types import Channel

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


def read_patient_file(
    client: DynamoDBClient, table: str, practice_id: str, patient_id: str
) -> PatientFile | None:
    """Everything about one patient in one (consistent) query of their partition."""
    items = list(
        query(
            client,
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_attributes({":pk": Keys.patient(practice_id, patient_id)}),
            ConsistentRead=True,
        )
    )
    found = _record(items, frozenset())
    if found is None:
        return None
    sequences: dict[str, Enrolment] = {}
    messages: dict[str, SendStatus] = {}
    active_id: str | None = None
    sends: list[tuple[datetime, Channel, str]] = []
    for item in items:
        sk = str(item["sk"])
        if sk == "STATE":
            active_id = item.get("active_sequence_id")
        elif sk.startswith("SEQUENCE#"):
            sequence = Enrolment.model_validate(model_fields(Enrolment, item))
            sequences[sequence.sequence_id] = sequence
        elif sk.startswith("MESSAGE#"):
            status = SendStatus(item["status"])
            messages[str(item["job_id"])] = status
            moment = item.get("sent_at") or item.get("claimed_at")
            if status in (SendStatus.SENT, SendStatus.SENDING) and moment:
                sends.append(
                    (datetime.fromisoformat(moment), Channel(item["channel"]), str(item["job_id"]))
                )
    record, history = found
    return PatientFile(
        record=record,
        history=history,
        sequences=sequences,
        messages=messages,
        sends=tuple(sends),
        active_sequence_id=str(active_id) if active_id else None,
    )


class PatientRecords(TableRepository):
    def shard(
        self, practice_id: str, shard: int, opted_out: frozenset[str], after: str | None = None
    ) -> Iterator[tuple[PatientRecord, PatientHistory]]:
        """The shard's patients in id order (those after `after`, to go on from there), each
        with what the system learned about them; `opted_out` is every opted-out contact of
        the practice."""
        condition = "gsi4pk = :pk"
        values: dict[str, Any] = {":pk": Keys.records(practice_id, shard)}
        if after is not None:
            condition += " AND gsi4sk > :after"
            values[":after"] = f"{after}#\uffff"
        items = query(
            self._client,
            TableName=self._table,
            IndexName="PatientRecords",
            KeyConditionExpression=condition,
            ExpressionAttributeValues=to_attributes(values),
        )
        group: list[dict[str, Any]] = []
        for item in items:
            if group and item.get("patient_id") != group[0].get("patient_id"):
                found = _record(group, opted_out)
                if found is not None:
                    yield found
                group = []
            group.append(item)
        found = _record(group, opted_out) if group else None
        if found is not None:
            yield found


def _record(
    items: list[dict[str, Any]], opted_out: frozenset[str]
) -> tuple[PatientRecord, PatientHistory] | None:
    """One patient's items as their record and history (None: state without a patient)."""
    patient: Patient | None = None
    appointments, plans, state = [], [], {}
    for item in items:
        sk = str(item["sk"])
        if sk == "PATIENT":
            patient = Patient.model_validate(model_fields(Patient, item))
        elif sk.startswith("APPOINTMENT#"):
            appointments.append(Appointment.model_validate(model_fields(Appointment, item)))
        elif sk.startswith("PLAN#"):
            plans.append(Plan.model_validate(model_fields(Plan, item)))
        elif sk == "STATE":
            state = item
    if patient is None:
        return None
    record = PatientRecord(patient=patient, appointments=tuple(appointments), plans=tuple(plans))
    contacts = frozenset(c for c in (patient.mobile, patient.email) if c)
    return record, history_from_state(state, opted_out & contacts)
