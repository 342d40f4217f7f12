"""Patients and their appointments, as the practice's system knows them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from reactivation.adapters.items import (
    Keys,
    TableRepository,
    batch_put,
    conditionally,
    iso,
    model_item,
    query,
    record_index,
    to_attributes,
)
from reactivation.adapters.records import read_patient_file
from reactivation.domain.outreach import PatientFile
from reactivation.domain.patients import Appointment, Patient, PatientRecord, Plan

if TYPE_CHECKING:
    pass


class PatientRepository(TableRepository):
    def save(self, practice_id: str, patient: Patient) -> None:
        """Writes the imported fields only: what the system learned lives in other items."""
        self._client.put_item(
            TableName=self._table, Item=to_attributes(self._patient_item(practice_id, patient))
        )

    def save_all(self, practice_id: str, records: Sequence[Patient | Appointment | Plan]) -> None:
        """Patients, appointments or plans of an import, in batches (an upsert by their id)."""
        items = []
        for record in records:
            if isinstance(record, Patient):
                items.append(self._patient_item(practice_id, record))
            elif isinstance(record, Appointment):
                items.append(self._part_item(practice_id, record.patient_id, "APPOINTMENT",
                                             record.appointment_id, record))  # fmt: skip
            else:
                items.append(
                    self._part_item(practice_id, record.patient_id, "PLAN", record.plan_id, record)
                )
        batch_put(self._client, self._table, items)

    def exists(self, practice_id: str, patient_id: str) -> bool:
        response = self._client.get_item(
            TableName=self._table,
            Key=to_attributes({"pk": Keys.patient(practice_id, patient_id), "sk": "PATIENT"}),
            ProjectionExpression="pk",
        )
        return "Item" in response

    def apply_appointment_change(
        self, practice_id: str, appointment: Appointment, changed_at: datetime
    ) -> bool:
        """Writes the appointment as the PMS has it now, unless a newer change is already
        written (events can arrive out of order); False when this one was older."""
        item = self._part_item(practice_id, appointment.patient_id, "APPOINTMENT",
                               appointment.appointment_id, appointment)  # fmt: skip
        item["changed_at"] = iso(changed_at)
        return conditionally(
            lambda: self._client.put_item(
                TableName=self._table,
                Item=to_attributes(item),
                ConditionExpression="attribute_not_exists(changed_at) OR changed_at <= :at",
                ExpressionAttributeValues=to_attributes({":at": iso(changed_at)}),
            )
        )

    def deactivate(self, practice_id: str, patient_id: str) -> bool:
        """Marks a patient inactive (absent from the latest export): kept, never contacted.
        False when they already were."""
        return conditionally(
            lambda: self._client.update_item(
                TableName=self._table,
                Key=to_attributes({"pk": Keys.patient(practice_id, patient_id), "sk": "PATIENT"}),
                UpdateExpression="SET active = :no",
                ConditionExpression="attribute_exists(pk) AND active <> :no",
                ExpressionAttributeValues=to_attributes({":no": False}),
            )
        )

    def ids_and_activity(
        self, practice_id: str, after: str | None = None
    ) -> Iterator[tuple[str, bool]]:
        """Every patient id of the practice in id order (those after `after`, to resume), with
        whether they are active."""
        resume = after is not None
        for item in self._collection(
            Keys.collection(practice_id, "PATIENTS"),
            order="gsi1sk > :after" if resume else "",
            values={":after": after} if resume else None,
            ProjectionExpression="gsi1sk, active",
        ):
            yield str(item["gsi1sk"]), bool(item.get("active", True))

    @staticmethod
    def _patient_item(practice_id: str, patient: Patient) -> dict[str, Any]:
        item = {
            "pk": Keys.patient(practice_id, patient.patient_id),
            "sk": "PATIENT",
            "gsi1pk": Keys.collection(practice_id, "PATIENTS"),
            "gsi1sk": patient.patient_id,
            **record_index(practice_id, patient.patient_id, "PATIENT"),
            "kind": "patient",
            **model_item(patient),
        }
        if patient.mobile:
            item["gsi2pk"] = Keys.collection(practice_id, f"MOBILE#{patient.mobile}")
            item["gsi2sk"] = patient.patient_id
        return item

    def save_appointment(self, practice_id: str, appointment: Appointment) -> None:
        patient_id, part_id = appointment.patient_id, appointment.appointment_id
        self._save_part(practice_id, patient_id, "APPOINTMENT", part_id, appointment)

    def save_plan(self, practice_id: str, plan: Plan) -> None:
        self._save_part(practice_id, plan.patient_id, "PLAN", plan.plan_id, plan)

    def _save_part(
        self, practice_id: str, patient_id: str, kind: str, part_id: str, model: BaseModel
    ) -> None:
        """An appointment or a plan, in its patient's partition."""
        self._client.put_item(
            TableName=self._table,
            Item=to_attributes(self._part_item(practice_id, patient_id, kind, part_id, model)),
        )

    @staticmethod
    def _part_item(
        practice_id: str, patient_id: str, kind: str, part_id: str, model: BaseModel
    ) -> dict[str, Any]:
        sk = f"{kind}#{part_id}"
        return {
            "pk": Keys.patient(practice_id, patient_id),
            "sk": sk,
            **record_index(practice_id, patient_id, sk),
            "kind": kind.lower(),
            **model_item(model),
        }

    def ids(self, practice_id: str, after: str | None = None) -> Iterator[str]:
        """The practice's patient ids in order (those after `after`, to go on from there)."""
        for patient_id, _active in self.ids_and_activity(practice_id, after):
            yield patient_id

    def record(self, practice_id: str, patient_id: str) -> PatientRecord | None:
        """The patient with their appointments and plans, in one query of their partition."""
        found = self.file(practice_id, patient_id)
        return found.record if found is not None else None

    def file(self, practice_id: str, patient_id: str) -> PatientFile | None:
        """The patient with everything about them: record, state, sequences, messages."""
        return read_patient_file(self._client, self._table, practice_id, patient_id)

    def ids_with_mobile(self, practice_id: str, number: str) -> list[str]:
        """Every patient of the practice with this mobile number (a family often shares one)."""
        return [
            str(item["gsi2sk"])
            for item in query(
                self._client,
                TableName=self._table,
                IndexName="ByMobile",
                KeyConditionExpression="gsi2pk = :pk",
                ExpressionAttributeValues=to_attributes(
                    {":pk": Keys.collection(practice_id, f"MOBILE#{number}")}
                ),
            )
        ]
