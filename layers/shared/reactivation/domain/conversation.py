"""The conversation with a number: replies and their classification, offers of times, bookings,
and the claims on a reply's answers."""

from __future__ import annotations

from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import Field

from reactivation.domain.types import Frozen, Language, Moment, PhoneNumber, ServiceCategory


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


#: The reasons a patient gives for a decline, a not-now, a question, a billing question or a
#: complaint (replies.md, "In the conversation"); the weekly report counts them.
BARRIERS = (
    "cost", "insurance", "schedule", "fear", "moved", "health_life_event", "dissatisfaction",
    "other",
)  # fmt: skip
#: The intents whose replies may carry a barrier.
WITH_BARRIER = frozenset({"decline", "not_now", "question", "billing", "complaint"})


class Classification(Frozen):
    intent: Intent
    notify_staff: bool
    #: The reason the patient gives (one of BARRIERS), for the intents that carry one.
    barrier: str | None = None


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
    #: What the patient said holds them back ("cost", "time", ...), when the classifier
    #: read one; None for none (the weekly report counts them).
    barrier: str | None = Field(default=None, max_length=40)


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
