"""The practice's world: practices, patients, appointments, plans, sequences, messages, replies."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _e164(value: str) -> str:
    if not E164.match(value):
        raise ValueError("not an E.164 phone number")
    return value


def _email(value: str) -> str:
    if not EMAIL.match(value):
        raise ValueError("not an email address")
    return value.lower()


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError("not an IANA timezone") from error
    return value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a moment needs its UTC offset")
    return value


PhoneNumber = Annotated[str, AfterValidator(_e164)]
EmailAddress = Annotated[str, AfterValidator(_email)]
TimeZoneName = Annotated[str, AfterValidator(_timezone)]
Moment = Annotated[datetime, AfterValidator(_aware)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Vertical(StrEnum):
    DENTAL = "dental"
    MEDSPA = "medspa"
    DERMATOLOGY = "dermatology"


class Campaign(StrEnum):
    MISSED_APPOINTMENT = "missed_appointment"
    CLINICAL_REVIEW = "clinical_review"
    FOLLOW_UP_DUE = "follow_up_due"
    UNSCHEDULED_TREATMENT = "unscheduled_treatment"
    CONSULT_NOT_STARTED = "consult_not_started"
    NEW_PATIENT = "new_patient"
    SERIES_INCOMPLETE = "series_incomplete"
    MAINTENANCE_DUE = "maintenance_due"
    RECALL_DUE = "recall_due"
    LAPSED_MEMBERSHIP = "lapsed_membership"
    LAPSED_PATIENT = "lapsed_patient"


DEFAULT_CAMPAIGNS: dict[Vertical, frozenset[Campaign]] = {
    Vertical.DENTAL: frozenset(
        {
            Campaign.MISSED_APPOINTMENT,
            Campaign.UNSCHEDULED_TREATMENT,
            Campaign.NEW_PATIENT,
            Campaign.RECALL_DUE,
            Campaign.LAPSED_MEMBERSHIP,
            Campaign.LAPSED_PATIENT,
        }
    ),
    Vertical.MEDSPA: frozenset(
        {
            Campaign.MISSED_APPOINTMENT,
            Campaign.CONSULT_NOT_STARTED,
            Campaign.NEW_PATIENT,
            Campaign.SERIES_INCOMPLETE,
            Campaign.MAINTENANCE_DUE,
            Campaign.LAPSED_MEMBERSHIP,
            Campaign.LAPSED_PATIENT,
        }
    ),
    Vertical.DERMATOLOGY: frozenset(
        {
            Campaign.MISSED_APPOINTMENT,
            Campaign.CLINICAL_REVIEW,
            Campaign.FOLLOW_UP_DUE,
            Campaign.CONSULT_NOT_STARTED,
            Campaign.NEW_PATIENT,
            Campaign.SERIES_INCOMPLETE,
            Campaign.MAINTENANCE_DUE,
            Campaign.LAPSED_PATIENT,
        }
    ),
}


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


class Language(StrEnum):
    EN = "en"
    ES = "es"


class ServiceCategory(StrEnum):
    HYGIENE = "hygiene"
    EXAM = "exam"
    RESTORATIVE = "restorative"
    TREATMENT = "treatment"
    NEUROTOXIN = "neurotoxin"
    FILLER = "filler"
    LASER = "laser"
    BODY_CONTOURING = "body_contouring"
    FACIAL = "facial"
    CONSULTATION = "consultation"
    SKIN_CHECK = "skin_check"
    MEDICAL_DERM = "medical_derm"
    COSMETIC_OTHER = "cosmetic_other"
    OTHER = "other"


class AppointmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class Weekday(StrEnum):
    """The days outreach may go out (never Sunday)."""

    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"

    @property
    def number(self) -> int:
        """Monday = 0, as date.weekday() counts."""
        return list(Weekday).index(self)


class EnrolmentSlot(Frozen):
    """When, in the practice's own week and timezone, the weekly enrolment runs."""

    weekday: Weekday = Weekday.TUESDAY
    hour: int = Field(default=10, ge=0, le=23)


class SendingWindow(Frozen):
    """Local hours in which outreach may be sent: 09:00-20:00 by default, never wider than 08-21."""

    opens_hour: int = Field(default=9, ge=8, le=21)
    closes_hour: int = Field(default=20, ge=8, le=21)

    @model_validator(mode="after")
    def _opens_before_it_closes(self) -> SendingWindow:
        if self.opens_hour >= self.closes_hour:
            raise ValueError("the window must open before it closes")
        return self


class FaqAnswer(Frozen):
    """An answer the practice approved, sent when a patient's question matches it."""

    question: str = Field(min_length=3, max_length=200)
    answer: str = Field(min_length=1, max_length=300)


class CampaignSettings(Frozen):
    """What the rules need of a practice (a preview has nothing more)."""

    practice_id: str
    timezone: TimeZoneName
    campaigns: frozenset[Campaign]
    holdout_percent: int = Field(default=10, ge=0, le=50)
    lapsed_max_months: int = Field(default=36, ge=12, le=120)


class MessageOverride(Frozen):
    """A practice's own text for one message of the library (checked when it is saved)."""

    text: str = Field(min_length=1, max_length=4000)
    #: The practice means the characters outside GSM-7 it uses (an accent, an emoji).
    allow_unicode: bool = False


class Practice(Frozen):
    practice_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    name: str = Field(min_length=1, max_length=60)
    vertical: Vertical
    timezone: TimeZoneName
    country: str = Field(default="US", pattern=r"^[A-Z]{2}$")
    phone: PhoneNumber
    sending_number: PhoneNumber
    #: The AWS End User Messaging origination identity (phone number id or ARN), when used.
    origination_identity: str | None = None
    #: The End User Messaging opt-out list its opt-outs are written to (else the deployment's).
    sms_opt_out_list: str | None = Field(default=None, max_length=256)
    #: Texts a second its sending number may send (a toll-free number: 3; a 10DLC number: its
    #: campaign's rate).
    sms_per_second: float = Field(default=3.0, gt=0, le=100)
    from_email: EmailAddress
    owner_emails: tuple[EmailAddress, ...] = Field(min_length=1)
    front_desk_email: EmailAddress | None = None
    clinical_email: EmailAddress | None = None
    booking_link: str | None = Field(default=None, pattern=r"^https://\S+$", max_length=80)
    faq: tuple[FaqAnswer, ...] = ()
    #: Their column names -> the format's (data-format.md), e.g. {"Cell Phone": "mobile"}.
    column_map: dict[str, str] = Field(default_factory=dict)
    holdout_percent: int = Field(default=10, ge=0, le=50)
    enabled_campaigns: frozenset[Campaign] | None = None
    sending_window: SendingWindow = SendingWindow()
    #: The weekly enrolment: by default Tuesday 10:00 local time, inside the sending window.
    enrolment: EnrolmentSlot = EnrolmentSlot()
    #: lapsed_patient's upper bound: older contact data is stale.
    lapsed_max_months: int = Field(default=36, ge=12, le=120)
    #: An enrolment is credited with a booking made this many days after its first message.
    attribution_days: int = Field(default=30, ge=7, le=90)
    #: The practice's own texts, by library key ("recall_due.1.en.sms", "system.help.es").
    message_overrides: dict[str, MessageOverride] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _enrolment_inside_the_window(self) -> Practice:
        window = self.sending_window
        if not window.opens_hour <= self.enrolment.hour < window.closes_hour:
            raise ValueError(
                f"enrolment.hour {self.enrolment.hour} is outside the sending window "
                f"({window.opens_hour}-{window.closes_hour}): its first messages would wait"
            )
        return self

    def override_texts(self) -> dict[str, str]:
        return {key: override.text for key, override in self.message_overrides.items()}

    def enrolment_due(self, at: datetime) -> bool:
        """Whether `at` (an hourly schedule's time) falls in the practice's enrolment hour, in
        its own timezone (DST included: the hour is local)."""
        local = at.astimezone(ZoneInfo(self.timezone))
        return (
            local.weekday() == self.enrolment.weekday.number and local.hour == self.enrolment.hour
        )

    def campaigns(self) -> frozenset[Campaign]:
        if self.enabled_campaigns is not None:
            return self.enabled_campaigns
        return DEFAULT_CAMPAIGNS[self.vertical]

    def campaign_settings(self, sendable: frozenset[Campaign] | None = None) -> CampaignSettings:
        """The rules' view of this practice (only `sendable` campaigns, when given)."""
        campaigns = self.campaigns() if sendable is None else self.campaigns() & sendable
        return CampaignSettings(
            practice_id=self.practice_id,
            timezone=self.timezone,
            campaigns=campaigns,
            holdout_percent=self.holdout_percent,
            lapsed_max_months=self.lapsed_max_months,
        )


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


class SkipReason(StrEnum):
    DECEASED = "deceased"
    DO_NOT_CONTACT = "do_not_contact"
    INACTIVE = "inactive"
    HAS_FUTURE_APPOINTMENT = "has_future_appointment"
    OPTED_OUT = "opted_out"
    NO_CHANNEL = "no_channel"
    IN_SEQUENCE = "in_sequence"
    SNOOZED = "snoozed"
    SERVICE_RECOVERY = "service_recovery"
    COOLDOWN = "cooldown"
    NO_MARKETING_CONSENT = "no_marketing_consent"
    NOT_ELIGIBLE = "not_eligible"


class Decision(Frozen):
    """For one patient and one run: a campaign to enrol in, or the reason to skip."""

    patient_id: str
    campaign: Campaign | None = None
    skip: SkipReason | None = None
    channel: Channel | None = None
    holdout: bool = False


class Sequence(Frozen):
    """One enrolment of a patient in a campaign: the messages of its steps, one after another."""

    sequence_id: str
    practice_id: str
    patient_id: str
    campaign: Campaign
    channel: Channel
    holdout: bool
    started_at: Moment
    #: The practice's timezone, for steps due at a local time ("the next morning").
    timezone: TimeZoneName | None = None
    #: None once the last step is queued (or the sequence stopped): stored items leave it out.
    next_step: int | None = None
    next_step_due_at: Moment | None = None
    ended_at: Moment | None = None
    end_reason: str | None = None


class SendJob(Frozen):
    """One message to deliver: which patient, which campaign step, by which channel."""

    job_id: str = Field(min_length=1, max_length=200)
    practice_id: str
    patient_id: str
    sequence_id: str
    campaign: Campaign
    step: int = Field(ge=1, le=4)
    channel: Channel
    created_at: Moment


class SendStatus(StrEnum):
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"
    DEFERRED = "deferred"


class Intent(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    BOOK = "book"
    QUESTION = "question"
    CLINICAL = "clinical"
    BILLING = "billing"
    COMPLAINT = "complaint"
    SENSITIVE = "sensitive"
    NOT_NOW = "not_now"
    DECLINE = "decline"
    WRONG_NUMBER = "wrong_number"
    OTHER = "other"


class Classification(Frozen):
    intent: Intent
    notify_staff: bool


class InboundSms(Frozen):
    """A patient's text as the carrier delivered it."""

    inbound_message_id: str = Field(min_length=1, max_length=128)
    from_number: PhoneNumber
    to_number: PhoneNumber
    body: str = Field(max_length=1600)
    received_at: Moment


class Reply(Frozen):
    """An inbound text, stored with its classification so that staff can correct it."""

    practice_id: str
    inbound_message_id: str
    from_number: str
    body: str
    received_at: Moment
    intent: Intent
    notify_staff: bool
    patient_ids: tuple[str, ...]
    #: When it was recorded (the carrier's clock, `received_at`, may differ from ours).
    recorded_at: Moment | None = None


class PatientFile(Frozen):
    """Everything a send decides on about one patient, read in one query of their items:
    the record, what the system learned, their sequences and every message of theirs."""

    record: PatientRecord
    history: PatientHistory
    sequences: dict[str, Sequence] = Field(default_factory=dict)
    #: Each message's status, by job id.
    messages: dict[str, SendStatus] = Field(default_factory=dict)
    #: When each message that went out (or may have: claimed, unconfirmed) was sent, and by
    #: which channel, with its job id.
    sends: tuple[tuple[Moment, Channel, str], ...] = ()
    active_sequence_id: str | None = None

    @property
    def active(self) -> Sequence | None:
        """The sequence the patient is in now, if any."""
        if self.active_sequence_id is None:
            return None
        return self.sequences.get(self.active_sequence_id)


class NumberSend(Frozen):
    """One outreach message to a number (any patient of the practice who uses it)."""

    at: Moment
    patient_id: str
    job_id: str


class PendingStep(Frozen):
    """A patient's step that is queued for a shared number and not yet sent: it holds the
    number's daily slot against lower-priority steps of the other patients who use it."""

    patient_id: str
    campaign: Campaign
    due_at: Moment
    job_id: str | None = None


class Opening(Frozen):
    """A time the practice can see a patient (its `slots.csv`, or pushed by its system)."""

    starts_at: Moment
    provider: str | None = None
    category: ServiceCategory | None = None

    @property
    def opening_id(self) -> str:
        """Stable and unique per practice: the start (UTC) and the provider."""
        return f"{self.starts_at.astimezone(ZoneInfo('UTC')):%Y%m%dT%H%M}-{self.provider or 'any'}"


class Offer(Frozen):
    """The open times a patient who said yes was offered by text ("1) ... 2) ... 3) ..."),
    kept on their number until they pick one, or it expires."""

    patient_id: str
    openings: tuple[Opening, ...] = Field(min_length=1, max_length=3)
    offered_at: Moment
    language: Language = Language.EN


class BookingRequest(Frozen):
    """A patient picked an offered time by text: it is held for them, and the front desk (and
    the practice's system, through the "Booking Requested" event) books it."""

    practice_id: str
    patient_id: str
    opening: Opening
    #: The reply that picked it (its inbound message id): the request's idempotency key.
    reply_id: str
    requested_at: Moment


class AnswerClaim(Frozen):
    """The claim on a reply's answers (its text, the staff's email, the practice event): each
    goes out at most once. A claim left taken is a process that died while answering: in
    doubt, never answered again. A claim given back (a send failed for sure) lists what had
    gone out, and the next delivery of the reply sends the rest."""

    released: bool = False
    done: frozenset[str] = frozenset()


class Recipient(Frozen):
    """A contact (a mobile number or an email address) as one recipient of a practice:
    its opt-out, the outreach it got lately and the steps waiting for it."""

    contact: str
    opted_out: bool = False
    sends: tuple[NumberSend, ...] = ()
    pending: tuple[PendingStep, ...] = ()
    #: Bumped by every send to it: two workers never both take the number's daily slot.
    version: int = 0
    #: When (by the carrier's clock) its opt-out or opt-in was last changed.
    consent_changed_at: Moment | None = None
    #: Its replies to the practice, oldest first: (carrier time, inbound message id, text).
    replies: tuple[tuple[Moment, str, str], ...] = ()
    #: The times it was last offered, if it was and has not picked one.
    offer: Offer | None = None
    #: The answers to its replies that were claimed, by inbound message id.
    answers: dict[str, AnswerClaim] = Field(default_factory=dict)

    def has_reply(self, inbound_message_id: str) -> bool:
        return any(message_id == inbound_message_id for _, message_id, _ in self.replies)
