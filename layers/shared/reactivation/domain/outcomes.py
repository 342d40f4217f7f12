"""What an enrolment brought back (attribution): the booking it is credited with, and the
completed visit and revenue that booking became. Holdout enrolments (never contacted) are
judged the same way, from the moment their first message would have gone, so that the two
groups' rebooking rates can be compared.

An enrolment is credited with the patient's first appointment that starts after the enrolment
(a patient is enrolled only without a future visit, so it is a new booking), is not cancelled,
and was booked within `attribution_days` of the first message; or, until the practice's system
reports it, with a time the patient picked by text. When it was booked:
- a time the patient picked by text: when they picked it;
- an appointment the practice's system reported by event: when it changed there;
- an appointment seen only in an import: when the system first saw it (each report records
  what it sees, so a later report never moves it). Never earlier than the truth: the credit
  errs on the side of the practice's doubt, not its flattery.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from reactivation.domain.conversation import BookingRequest
from reactivation.domain.outreach import Enrolment
from reactivation.domain.patients import Appointment, AppointmentStatus
from reactivation.domain.types import Campaign


@dataclass(frozen=True)
class KnownAppointment:
    """An appointment as the system has it, and when it changed in the PMS (events only)."""

    appointment: Appointment
    changed_at: datetime | None = None


@dataclass(frozen=True)
class Observed:
    """A booking a report saw before: the appointment and when it was booked, kept."""

    appointment_id: str
    booked_at: datetime


@dataclass(frozen=True)
class Outcome:
    sequence_id: str
    patient_id: str
    campaign: Campaign
    holdout: bool
    #: The first message's time (a holdout's: its enrolment's).
    anchor_at: datetime
    contacted: bool
    booked_at: datetime | None = None
    appointment_id: str | None = None
    #: When the credited visit is (or was): the appointment's start, or the time picked.
    visit_at: datetime | None = None
    #: The credited visit happened (completed), at its start; its revenue (0 when not billed).
    completed_at: datetime | None = None
    revenue: float = 0.0
    #: A booking outside the window (or before the first message): the patient came back,
    #: but the credit is not outreach's.
    booked_outside: bool = False

    @property
    def booked(self) -> bool:
        return self.booked_at is not None

    @property
    def hours_to_booking(self) -> float | None:
        if self.booked_at is None:
            return None
        return (self.booked_at - self.anchor_at).total_seconds() / 3600


def outcome(
    sequence: Enrolment,
    first_message_at: datetime | None,
    appointments: Sequence[KnownAppointment],
    requests: Sequence[BookingRequest],
    observed: Observed | None,
    *,
    now: datetime,
    attribution_days: int,
) -> Outcome:
    """The enrolment's outcome as of `now` (the report's run)."""
    anchor = first_message_at or sequence.started_at
    base = Outcome(
        sequence_id=sequence.sequence_id,
        patient_id=sequence.patient_id,
        campaign=sequence.campaign,
        holdout=sequence.holdout,
        anchor_at=anchor,
        contacted=first_message_at is not None and not sequence.holdout,
    )
    window_end = anchor + timedelta(days=attribution_days)
    candidates = [
        known
        for known in appointments
        if known.appointment.starts_at > sequence.started_at
        and known.appointment.status is not AppointmentStatus.CANCELLED
    ]
    pick = min(
        (r for r in requests if r.patient_id == sequence.patient_id and r.requested_at >= anchor),
        key=lambda r: r.requested_at,
        default=None,
    )
    picked_at = pick.requested_at if pick is not None else None
    if not candidates:  # a time picked by text is a booking before the PMS reports it
        if pick is None or pick.requested_at > window_end:
            return base
        return replace(base, booked_at=pick.requested_at, visit_at=pick.opening.starts_at)

    def booked_at(known: KnownAppointment) -> datetime:
        if observed is not None and observed.appointment_id == known.appointment.appointment_id:
            return observed.booked_at
        evidence = [t for t in (picked_at, known.changed_at) if t is not None]
        return max(anchor, min(evidence)) if evidence else now

    chosen = min(candidates, key=lambda k: (booked_at(k), k.appointment.starts_at))
    when = booked_at(chosen)
    if not anchor <= when <= window_end:
        return replace(base, booked_outside=True)
    appointment = chosen.appointment
    completed = appointment.status is AppointmentStatus.COMPLETED
    return replace(
        base,
        booked_at=when,
        appointment_id=appointment.appointment_id,
        visit_at=appointment.starts_at,
        completed_at=appointment.starts_at if completed else None,
        revenue=(appointment.revenue or 0.0) if completed else 0.0,
    )
