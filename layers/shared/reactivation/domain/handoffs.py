"""Which replies a person must see, who sees them, and how urgently (spec/replies.md); and the
practice's approved answers to common questions."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from reactivation.domain.conversation import Intent
from reactivation.domain.practice import FaqAnswer
from reactivation.domain.text import words
from reactivation.domain.types import Frozen, Moment


class Team(StrEnum):
    CLINICAL = "clinical"  # the practice's clinical contact
    FRONT_DESK = "front_desk"
    MANAGER = "manager"  # the owners


class HandoffReason(StrEnum):
    CLINICAL = "clinical"
    SENSITIVE = "sensitive"
    COMPLAINT = "complaint"
    BILLING = "billing"
    QUESTION = "question"  # no approved answer matched
    OTHER = "other"
    UNKNOWN_NUMBER = "unknown_number"
    OPT_OUT_NOTE = "opt_out_note"  # an opt-out that also says something staff must see
    BOOKING = "booking"  # a yes with no openings known: the front desk finds a time
    BOOKING_REQUEST = "booking_request"  # a patient picked an offered time: book it
    #: "Already booked" / "I called and booked": the front desk confirms it in its system.
    BOOKING_TO_CONFIRM = "booking_to_confirm"


class HandoffOutcome(StrEnum):
    """How staff close a handoff (campaigns.md, "Readings of the sequence rules")."""

    RESUME = "resume"  # answered: a paused sequence goes on
    BOOKED = "booked"  # the patient booked (by phone, at the desk): the sequence ends
    END = "end"  # nothing more to send: the sequence ends
    OPT_OUT = "opt_out"  # the patient asked for no more messages


class Handoff(Frozen):
    """A reply handed to a person, until staff close it."""

    practice_id: str
    handoff_id: str  # the inbound message's id
    from_number: str
    patient_ids: tuple[str, ...]
    reason: HandoffReason
    team: Team
    urgent: bool
    opened_at: Moment
    closed_at: Moment | None = None
    note: str | None = None  # staff's, when they close it
    outcome: HandoffOutcome | None = None  # how staff closed it
    closed_by: str | None = None  # who closed it (a staff user's id, or "cli")
    #: What the system adds for staff (the time a patient picked); never clinical.
    detail: str | None = None


#: The handoffs whose patients get no outreach until staff close them (service recovery).
#: A clinical, complaint or sensitive hold lasts until staff close it (campaigns.md).
HOLDING_REASONS = frozenset(
    {HandoffReason.CLINICAL, HandoffReason.COMPLAINT, HandoffReason.SENSITIVE}
)

_ROUTES: dict[HandoffReason, tuple[Team, bool]] = {
    HandoffReason.CLINICAL: (Team.CLINICAL, True),  # "handed to clinical staff at once, urgent"
    HandoffReason.SENSITIVE: (Team.FRONT_DESK, True),  # stop everything; a person, with care
    HandoffReason.COMPLAINT: (Team.MANAGER, False),
    HandoffReason.BILLING: (Team.FRONT_DESK, False),
    HandoffReason.QUESTION: (Team.FRONT_DESK, False),
    HandoffReason.OTHER: (Team.FRONT_DESK, False),
    HandoffReason.UNKNOWN_NUMBER: (Team.FRONT_DESK, False),
    HandoffReason.OPT_OUT_NOTE: (Team.FRONT_DESK, False),
    HandoffReason.BOOKING: (Team.FRONT_DESK, False),
    HandoffReason.BOOKING_REQUEST: (Team.FRONT_DESK, False),
    HandoffReason.BOOKING_TO_CONFIRM: (Team.FRONT_DESK, False),
}


def handoff_reason(
    intent: Intent,
    notify_staff: bool,
    *,
    known_number: bool,
    answered_from_faq: bool = False,
    openings_offered: bool = False,
) -> HandoffReason | None:
    """Why this reply goes to a person, or None when the system's answer is the whole answer."""
    if not known_number and intent not in (Intent.OPT_OUT, Intent.OPT_IN, Intent.HELP):
        return HandoffReason.UNKNOWN_NUMBER
    match intent:
        case Intent.CLINICAL | Intent.SENSITIVE | Intent.COMPLAINT | Intent.BILLING:
            return HandoffReason(intent.value)
        case Intent.QUESTION:
            return None if answered_from_faq else HandoffReason.QUESTION
        case Intent.OTHER:
            return HandoffReason.OTHER
        case Intent.OPT_OUT:
            return HandoffReason.OPT_OUT_NOTE if notify_staff else None
        case Intent.BOOK:
            return None if openings_offered else HandoffReason.BOOKING
    return None


def route(reason: HandoffReason) -> tuple[Team, bool]:
    """Who sees a handoff, and whether it is urgent."""
    return _ROUTES[reason]


_STOPWORDS = frozenset((
    "a", "an", "the", "is", "are", "do", "does", "you", "your", "we", "our", "i", "my", "me",
    "of", "to", "for", "in", "on", "at", "it", "what", "when", "where", "how", "who", "can",
    "could", "would", "will", "there", "this", "that", "have", "has", "and", "or", "any",
    "el", "la", "los", "las", "es", "de", "que", "en", "y", "su", "sus", "un", "una", "hay",
    "tienen",
))  # fmt: skip


def _words(text: str) -> frozenset[str]:
    return frozenset(w.rstrip("s") for w in words(text) if w not in _STOPWORDS)


def faq_answer(question: str, faq: Sequence[FaqAnswer]) -> str | None:
    """The practice's approved answer whose question shares most of its content words with
    the patient's (at least half of them), or None: then a person answers."""
    asked = _words(question)
    best: tuple[float, str] | None = None
    for entry in faq:
        wanted = _words(entry.question)
        if not wanted or not asked:
            continue
        score = len(asked & wanted) / len(wanted)
        if score >= 0.5 and (best is None or score > best[0]):
            best = (score, entry.answer)
    return best[1] if best else None


_TEAM_WORDS = {
    Team.CLINICAL: "a clinician",
    Team.FRONT_DESK: "the front desk",
    Team.MANAGER: "the practice manager",
}
_REASON_WORDS = {
    HandoffReason.CLINICAL: "a clinical question or concern",
    HandoffReason.SENSITIVE: "something personal: please answer with care (outreach is held)",
    HandoffReason.COMPLAINT: "a complaint (the patient is in service recovery until closed)",
    HandoffReason.BILLING: "a billing or insurance question",
    HandoffReason.QUESTION: "a question no approved answer covers",
    HandoffReason.OTHER: "a reply the system could not place",
    HandoffReason.UNKNOWN_NUMBER: "a text from a number that is no patient's",
    HandoffReason.OPT_OUT_NOTE: "an opt-out (done) that also says something staff should see",
    HandoffReason.BOOKING: "a yes: please find a time (no openings are loaded)",
    HandoffReason.BOOKING_REQUEST: "a booking: the patient picked an offered time (held for"
    " them); please book it and confirm",
    HandoffReason.BOOKING_TO_CONFIRM: "the patient says they already booked (their texts have"
    " stopped); please check the booking is in your system",
}


def notification(
    handoff: Handoff, practice_name: str, conversation: Sequence[tuple[Moment, str]]
) -> tuple[str, str]:
    """The email to the team: subject and plain text (the conversation so far, the number's
    last four digits, the chart numbers; how to close it)."""
    urgent = "[Urgent] " if handoff.urgent else ""
    subject = f"{urgent}{practice_name}: a patient's reply needs {_TEAM_WORDS[handoff.team]}"
    lines = [
        f"What: {_REASON_WORDS[handoff.reason]}.",
        f"From: the mobile ending {handoff.from_number[-4:]}"
        + (f" (chart {', '.join(handoff.patient_ids)})" if handoff.patient_ids else ""),
        *([f"Time: {handoff.detail}"] if handoff.detail else []),
        "",
        "The conversation:",
        *(f"  {at:%a %b %d %H:%M} UTC  {text}" for at, text in conversation),
        "",
        f"When it is handled: reactivation handoffs close {handoff.practice_id} "
        f"{handoff.handoff_id} [--note ...]",
        f"If the reply was misread: reactivation replies correct {handoff.practice_id} "
        f"{handoff.handoff_id} INTENT",
    ]
    return subject, "\n".join(lines)


def recipients(
    team: Team,
    *,
    clinical: str | None,
    front_desk: str | None,
    owners: Sequence[str],
) -> tuple[str, ...]:
    """Where a team's handoffs are emailed: its own address, else the front desk's, else the
    owners' (a practice without a clinical contact still hears of a clinical reply)."""
    if team is Team.CLINICAL and clinical:
        return (clinical,)
    if team in (Team.CLINICAL, Team.FRONT_DESK) and front_desk:
        return (front_desk,)
    return tuple(owners)
