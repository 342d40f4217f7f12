"""Single appointment changes from a practice's system, applied within minutes of happening;
a no-show or a late cancellation starts the missed-appointment rescue at once. The same system
publishes the practice's open times, offered to patients who say yes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.openings import OpeningRepository
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain import rules, sequences
from reactivation.domain.conversation import Opening
from reactivation.domain.importing import ImportSettings, RowError, parse_appointment_row
from reactivation.domain.outreach import Enrolment, SkipReason
from reactivation.domain.patients import Appointment
from reactivation.domain.practice import Practice
from reactivation.domain.rescue import rescue_due_at
from reactivation.domain.types import Campaign

#: Reads of the patient's state a rescue makes when their sequence moves under it.
ATTEMPTS = 3


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
    #: A no-show or late cancellation: the rescue sequence it started (holdout ones too)...
    rescue: Enrolment | None = None
    #: ...or why it started none (None when the change called for no rescue).
    no_rescue: SkipReason | str | None = None


class AppointmentChangeService:
    def __init__(
        self,
        practices: PracticeRepository,
        patients: PatientRepository,
        consent: ConsentRepository,
        sequences: SequenceRepository,
        sendable: frozenset[Campaign],
        openings: OpeningRepository,
    ) -> None:
        self._openings = openings
        self._practices = practices
        self._patients = patients
        self._consent = consent
        self._sequences = sequences
        self._sendable = sendable

    def apply(
        self, practice_id: str, row: dict[str, str], changed_at: datetime, now: datetime
    ) -> AppliedChange:
        practice = self._practices.get(practice_id)
        if practice is None:
            raise ChangeRefused("no such practice")
        settings = ImportSettings.of(practice)
        try:
            appointment = parse_appointment_row(row, settings)
        except RowError as error:
            raise ChangeRefused(str(error)) from error
        # A patient the practice's last export did not have (new since): the next export
        # brings them, and the message comes round again until then (then the DLQ).
        if not self._patients.exists(practice_id, appointment.patient_id):
            raise ChangeRefused("patient_id is not a patient of the practice (yet)")
        if not self._patients.apply_appointment_change(practice_id, appointment, changed_at):
            return AppliedChange(ChangeOutcome.STALE, appointment)
        due = rescue_due_at(appointment, now)
        if due is None:
            return AppliedChange(ChangeOutcome.APPLIED, appointment)
        return self._rescue(practice, appointment, due)

    def publish_openings(self, practice_id: str, openings: list[Opening]) -> int:
        """Adds the practice's open times (those published before are left as they are);
        returns how many were new."""
        if self._practices.get(practice_id) is None:
            raise ChangeRefused("no such practice")
        return self._openings.publish(practice_id, openings)

    def _rescue(self, practice: Practice, appointment: Appointment, due: datetime) -> AppliedChange:
        """The rescue's own rules decide at `due` (campaigns.md, "Readings of the sequence
        rules"): opt-outs, holds, a new booking and a rescue in the last 30 days block it; the
        other cooldowns do not, and a sequence of lower priority ends for it. It does not count
        toward the weekly cap; the send function keeps it within sending hours and the caps."""
        settings = practice.campaign_settings(sendable=self._sendable)
        applied = ChangeOutcome.APPLIED
        if Campaign.MISSED_APPOINTMENT not in settings.campaigns:
            return AppliedChange(applied, appointment, no_rescue="campaign_disabled")
        record = self._patients.record(practice.practice_id, appointment.patient_id)
        if record is None:
            return AppliedChange(applied, appointment, no_rescue=SkipReason.INACTIVE)
        patient = record.patient
        opted_out = self._consent.opted_out(practice.practice_id, (patient.mobile, patient.email))
        for _ in range(ATTEMPTS):
            history = self._sequences.history(practice.practice_id, patient.patient_id, opted_out)
            decision = rules.decide_rescue(settings, record, history, due)
            if decision.campaign is not Campaign.MISSED_APPOINTMENT:
                return AppliedChange(applied, appointment, no_rescue=decision.skip)
            sequence = sequences.start(practice.practice_id, decision, due, practice.timezone)
            active = history.active_sequence_id
            if rules.rescue_preempts(history, decision) and active is not None:
                enrolled = self._sequences.enrol_over(active, sequence)
            else:
                enrolled = self._sequences.enrol(sequence)
            if enrolled:
                return AppliedChange(applied, appointment, rescue=sequence)
            # the patient's sequence moved meanwhile (it ended, or another began): read again
        return AppliedChange(applied, appointment, no_rescue=SkipReason.IN_SEQUENCE)
