"""Outreach: the decision for a patient, their enrolments in campaigns, the messages sent and the
recipients (contacts) they go to."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from reactivation.domain.conversation import AnswerClaim, LastSent, Offer
from reactivation.domain.patients import PatientHistory, PatientRecord
from reactivation.domain.types import Campaign, Channel, Frozen, Moment, TimeZoneName


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


class Enrolment(Frozen):
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
    #: A reply paused it (a question nobody could answer, a reply nobody could place): no step
    #: until staff close the handoff, or until `paused_until`, when it resumes by itself.
    paused_at: Moment | None = None
    paused_until: Moment | None = None

    @property
    def paused(self) -> bool:
        return self.paused_at is not None


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


class PatientFile(Frozen):
    """Everything a send decides on about one patient, read in one query of their items:
    the record, what the system learned, their sequences and every message of theirs."""

    record: PatientRecord
    history: PatientHistory
    sequences: dict[str, Enrolment] = Field(default_factory=dict)
    #: Each message's status, by job id.
    messages: dict[str, SendStatus] = Field(default_factory=dict)
    #: When each message that went out (or may have: claimed, unconfirmed) was sent, and by
    #: which channel, with its job id.
    sends: tuple[tuple[Moment, Channel, str], ...] = ()
    active_sequence_id: str | None = None

    @property
    def active(self) -> Enrolment | None:
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
    #: The last text sent to it (outreach, an offer, a confirmation, an answer), if known:
    #: the conversation a reply is read in.
    last_sent: LastSent | None = None

    def has_reply(self, inbound_message_id: str) -> bool:
        return any(message_id == inbound_message_id for _, message_id, _ in self.replies)


class PendingFollowUp(Frozen):
    """A patient asked a question that was answered at `answered_at`; unless they book or
    write again, they are asked once, at `due_at`, whether they would like to book."""

    practice_id: str
    patient_id: str
    answered_at: Moment
    due_at: Moment
