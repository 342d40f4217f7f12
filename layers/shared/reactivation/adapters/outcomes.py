"""What the weekly report needs of a patient to judge an enrolment's outcome: their
appointments as the system has them, and the bookings earlier reports saw (kept, so that a
later report never moves a booking to another week)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from reactivation.adapters.items import (
    Keys,
    TableRepository,
    iso,
    model_fields,
    put_new,
    query,
    to_attributes,
)
from reactivation.domain.outcomes import KnownAppointment, Observed
from reactivation.domain.patients import Appointment

if TYPE_CHECKING:
    pass


class OutcomeRepository(TableRepository):
    def facts(
        self, practice_id: str, patient_id: str
    ) -> tuple[list[KnownAppointment], dict[str, Observed]]:
        """The patient's appointments (with when each changed in the PMS, for those an event
        reported) and the bookings observed so far, by enrolment (one query)."""
        appointments: list[KnownAppointment] = []
        observed: dict[str, Observed] = {}
        for item in query(
            self._client,
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_attributes({":pk": Keys.patient(practice_id, patient_id)}),
        ):
            sk = str(item["sk"])
            if sk.startswith("APPOINTMENT#"):
                changed = item.get("changed_at")
                appointments.append(KnownAppointment(
                    Appointment.model_validate(model_fields(Appointment, item)),
                    datetime.fromisoformat(str(changed)) if changed else None,
                ))  # fmt: skip
            elif sk.startswith("OUTCOME#"):
                observed[sk.removeprefix("OUTCOME#")] = Observed(
                    str(item["appointment_id"]), datetime.fromisoformat(str(item["booked_at"]))
                )
        return appointments, observed

    def observe(
        self, practice_id: str, patient_id: str, sequence_id: str, seen: Observed, at: datetime
    ) -> bool:
        """Keeps the booking an enrolment is credited with, the first time a report sees it
        (False: seen before, and kept as it was)."""
        return put_new(self._client, self._table, {
            "pk": Keys.patient(practice_id, patient_id), "sk": f"OUTCOME#{sequence_id}",
            "kind": "outcome", "appointment_id": seen.appointment_id,
            "booked_at": iso(seen.booked_at), "observed_at": iso(at),
        })  # fmt: skip
