"""Patients as the practice's system knows them (record, appointments, plans) and what the
system learned about them (history)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import Field

from reactivation.domain.types import (
    Campaign,
    EmailAddress,
    Frozen,
    Language,
    Moment,
    PhoneNumber,
    ServiceCategory,
    TimeZoneName,
)


class AppointmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class MembershipStatus(StrEnum):
    NONE = "none"
    ACTIVE = "active"
    CANCELLED = "cancelled"


class PlanKind(StrEnum):
    TREATMENT_PLAN = "treatment_plan"
    FOLLOW_UP = "follow_up"
    SERIES = "series"
    CONSULTATION = "consultation"
    CHRONIC_REVIEW = "chronic_review"
    SURVEILLANCE = "surveillance"


class PlanStatus(StrEnum):
    OPEN = "open"
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    DECLINED = "declined"


class Patient(Frozen):
    """A patient as the practice's system exported them (contact data already normalised)."""

    patient_id: str = Field(min_length=1, max_length=64)
    first_name: str = Field(min_length=1, max_length=40)
    last_name: str | None = None
    mobile: PhoneNumber | None = None
    email: EmailAddress | None = None
    sms_opt_in: bool | None = None
    email_opt_in: bool | None = None
    marketing_opt_in: bool = False
    do_not_contact: bool = False
    deceased: bool = False
    timezone: TimeZoneName | None = None
    language: Language = Language.EN
    membership_status: MembershipStatus = MembershipStatus.NONE
    membership_ended_on: date | None = None
    benefits_expire_on: date | None = None
    lead_created_on: date | None = None
    lead_source: str | None = None
    active: bool = True


class Appointment(Frozen):
    appointment_id: str = Field(min_length=1)
    patient_id: str = Field(min_length=1)
    starts_at: Moment
    category: ServiceCategory
    status: AppointmentStatus
    provider: str | None = None
    revenue: float | None = None


class Plan(Frozen):
    """What a provider recommended (no clinical detail: never a diagnosis or procedure)."""

    plan_id: str = Field(min_length=1)
    patient_id: str = Field(min_length=1)
    kind: PlanKind
    category: ServiceCategory | None = None
    created_on: date
    due_on: date | None = None
    sessions_planned: int | None = Field(default=None, ge=1)
    sessions_completed: int | None = Field(default=None, ge=0)
    status: PlanStatus


class PatientRecord(Frozen):
    """A patient with the appointments and plans the practice's system knows of."""

    patient: Patient
    appointments: tuple[Appointment, ...] = ()
    plans: tuple[Plan, ...] = ()

    @property
    def usual_provider(self) -> str | None:
        """The provider of their latest completed visit (so a rebooking can keep them)."""
        done = [a for a in self.appointments
                if a.status is AppointmentStatus.COMPLETED and a.provider]  # fmt: skip
        return max(done, key=lambda a: a.starts_at).provider if done else None

    def has_future_appointment(self, at: datetime) -> bool:
        """A `scheduled` appointment starting at or after `at` (a past one the PMS never
        updated is not one; cancelled and no-show ones never are)."""
        return any(
            a.status is AppointmentStatus.SCHEDULED and a.starts_at >= at for a in self.appointments
        )


class CompletedSequence(Frozen):
    """A campaign's latest sequence that sent every step (for the no-reply cooldowns)."""

    started_at: Moment
    #: When its last step went (was queued, at its due time).
    last_step_at: Moment


class PatientHistory(Frozen):
    """What the system itself learned about a patient; an import never overwrites it."""

    opted_out: frozenset[str] = frozenset()
    in_sequence: bool = False
    last_sequence_ended_at: Moment | None = None
    snoozed_until: date | None = None
    #: Outreach held until staff close it: an open complaint, or a sensitive reply.
    service_recovery: bool = False
    #: The date the patient declined each campaign.
    declined: dict[Campaign, date] = Field(default_factory=dict)
    #: Contacts that reached someone else ("wrong number"): as if absent.
    invalid_contacts: frozenset[str] = frozenset()
    #: The unfinished sequence and its campaign (when `in_sequence`).
    active_sequence_id: str | None = None
    active_campaign: Campaign | None = None
    #: Each campaign's latest sequence that sent every step.
    completed: dict[Campaign, CompletedSequence] = Field(default_factory=dict)
    #: The latest reply from the patient's number (any reply: a question, a "thanks").
    last_reply_at: Moment | None = None
    #: The start of the latest missed_appointment sequence (a holdout one too).
    rescued_at: Moment | None = None

    def unanswered(self) -> dict[Campaign, datetime]:
        """The campaigns whose latest sequence sent every step and got no reply since it
        started, with when their last step went. A question's follow-up is not one: it
        follows a conversation the patient started."""
        return {
            campaign: done.last_step_at
            for campaign, done in self.completed.items()
            if (self.last_reply_at is None or self.last_reply_at < done.started_at)
            and campaign is not Campaign.QUESTION_FOLLOW_UP
        }
