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


class Reading(StrEnum):
    """How the conversation changed the classifier's reading (stored with the reply)."""

    AS_CLASSIFIED = "as_classified"
    ACKNOWLEDGEMENT = "acknowledgement"  # nothing changes, nobody is notified
    YES = "yes"  # an "ok" / "👍" right after an outreach message: book
    PICK = "pick"  # picks one of the times offered
    ALREADY_BOOKED = "already_booked"  # ends the sequence; the front desk confirms it
    OPT_IN = "opt_in"  # a YES right after the opt-out confirmation


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
    #: How its conversation changed the classifier's reading (an acknowledgement, a yes to an
    #: outreach message, a pick, an "already booked", a YES to the opt-out confirmation);
    #: None: read as classified.
    reading: Reading | None = None


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


class SentKind(StrEnum):
    """What the last text to a number was."""

    OUTREACH = "outreach"  # a campaign's step
    OFFER = "offer"  # open times to pick from (offered, or offered again after one was taken)
    CONFIRMATION = "confirmation"  # a picked time held, an opt-in confirmed
    ANSWER = "answer"  # an FAQ's answer, HELP, a handoff's or a not-now's acknowledgement
    OPT_OUT_CONFIRMATION = "opt_out_confirmation"


class LastSent(Frozen):
    """The last text sent to a number, kept on it: its kind, when, and about whom."""

    kind: SentKind
    at: Moment
    patient_id: str | None = None
    sequence_id: str | None = None
    #: The campaign step, for an outreach message.
    step: int | None = None
