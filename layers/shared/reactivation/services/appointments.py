"""Single appointment changes from a practice's system, applied within minutes of happening."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.domain.importing import ImportSettings, RowError, parse_appointment_row
from reactivation.domain.models import Appointment


class ChangeRefused(ValueError):
    """The change cannot be applied as it is (its message says why, never patient data); it
    is retried, then parked in the dead-letter queue for an operator."""


class ChangeOutcome(StrEnum):
    APPLIED = "applied"
    STALE = "stale"  # a newer change of this appointment was already applied


@dataclass(frozen=True)
class AppliedChange:
    outcome: ChangeOutcome
    appointment: Appointment


class AppointmentChangeService:
    def __init__(self, practices: PracticeRepository, patients: PatientRepository) -> None:
        self._practices = practices
        self._patients = patients

    def apply(self, practice_id: str, row: dict[str, str], changed_at: datetime) -> AppliedChange:
        practice = self._practices.get(practice_id)
        if practice is None:
            raise ChangeRefused("no such practice")
        settings = ImportSettings(
            timezone=practice.timezone, country=practice.country, column_map=practice.column_map
        )
        try:
            appointment = parse_appointment_row(row, settings)
        except RowError as error:
            raise ChangeRefused(str(error)) from error
        # A patient the practice's last export did not have (new since): the next export
        # brings them, and the message comes round again until then (then the DLQ).
        if not self._patients.exists(practice_id, appointment.patient_id):
            raise ChangeRefused("patient_id is not a patient of the practice (yet)")
        applied = self._patients.apply_appointment_change(practice_id, appointment, changed_at)
        return AppliedChange(ChangeOutcome.APPLIED if applied else ChangeOutcome.STALE, appointment)
