"""A reply read in its conversation (replies.md, "In the conversation"): what was last sent to
the number (an outreach step, an offer of times, a confirmation, an answer, the opt-out
confirmation) changes what a short reply means. `classify` reads the text alone; this reads
its classification against the last message sent, and never overrides an opt-out or a matter
staff must see.

- An acknowledgement ("thanks", "ok", "👍", a tapback) after a confirmation, an answer, an
  offer or the opt-out confirmation changes nothing and notifies nobody.
- Right after an outreach message a plain "ok" / "👍" is a yes; a "thanks" or a tapback
  is an acknowledgement (the sequence goes on).
- "2" while an offer of times stands picks that time.
- "Already booked" / "I called and booked" (English or Spanish) ends the sequence and gives
  the front desk a booking to confirm.
- A bare YES is `opt_in` when the last message was the opt-out confirmation (or the number is
  opted out); an "ok" or "thanks" to it is an acknowledgement, never a resubscription.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from reactivation.domain.conversation import (
    Classification,
    Intent,
    LastSent,
    Offer,
    Reading,
    SentKind,
)
from reactivation.domain.openings import picked
from reactivation.domain.replies import REACTION
from reactivation.domain.text import fold, words
from reactivation.domain.types import Language

#: Each system text (library.toml `[system.*]`) by the kind of message it is.
_SYSTEM_TEXTS = {
    "opt_out_confirmation": SentKind.OPT_OUT_CONFIRMATION,
    "opt_in_confirmation": SentKind.CONFIRMATION,
    "booking_held": SentKind.CONFIRMATION,
    "offer_times": SentKind.OFFER,
    "time_taken": SentKind.OFFER,
}


def sent_kind(system_text: str) -> SentKind:
    """The kind of a system text; an FAQ's answer, HELP and the others are answers."""
    return _SYSTEM_TEXTS.get(system_text, SentKind.ANSWER)


@dataclass(frozen=True)
class InConversation:
    intent: Intent
    notify_staff: bool
    reading: Reading


#: Never read otherwise: an opt-out, a matter staff must see, a wrong number, a keyword.
_AS_SAID = frozenset(
    {Intent.OPT_OUT, Intent.CLINICAL, Intent.SENSITIVE, Intent.COMPLAINT, Intent.BILLING,
     Intent.WRONG_NUMBER, Intent.HELP}
)  # fmt: skip
#: What "already booked" may replace (an "already booked" that is also a handoff, an opt-out
#: or a wrong number stays one).
_BOOKED_OVER = frozenset(
    {Intent.BOOK, Intent.OTHER, Intent.QUESTION, Intent.NOT_NOW, Intent.DECLINE}
)


def read_in_conversation(
    classification: Classification,
    text: str,
    last_sent: LastSent | None,
    *,
    opted_out: bool,
    offer: Offer | None = None,
    now: datetime | None = None,
) -> InConversation:
    """The reply's reading against the last text sent to the number (and the offer of times
    standing on it, if any). Pure."""
    intent, notify = classification.intent, classification.notify_staff
    as_classified = InConversation(intent, notify, Reading.AS_CLASSIFIED)
    kind = last_sent.kind if last_sent is not None else None
    if intent is Intent.OPT_OUT:
        return as_classified
    if (
        intent is Intent.OPT_IN
        and opted_out
        and is_acknowledgement(text)
        and not _opt_in_word(text)
    ):
        # "ok" / "thanks" to "You are unsubscribed ... Reply START": heard, not a resubscription
        return InConversation(Intent.OTHER, False, Reading.ACKNOWLEDGEMENT)
    if intent in _AS_SAID:
        return as_classified
    if kind is SentKind.OPT_OUT_CONFIRMATION and not opted_out and _bare_yes(text):
        return InConversation(Intent.OPT_IN, False, Reading.OPT_IN)
    if intent is Intent.OPT_IN:
        return as_classified
    if (
        not opted_out
        and intent in (Intent.BOOK, Intent.OTHER)
        and now is not None
        and picked(offer, text, now) is not None
        and not (
            offer is not None
            and last_sent is not None
            and kind is SentKind.OUTREACH
            and last_sent.at > offer.offered_at
        )
    ):
        return InConversation(Intent.BOOK, False, Reading.PICK)
    if intent in _BOOKED_OVER and already_booked(text):
        return InConversation(Intent.BOOK, True, Reading.ALREADY_BOOKED)
    if kind is None:  # nothing sent to the number that we know of: the text alone
        return as_classified
    acknowledged = InConversation(intent, False, Reading.ACKNOWLEDGEMENT)
    if is_tapback(text):
        return acknowledged
    if kind is SentKind.OUTREACH:
        if is_plain_yes(text) and not opted_out:  # to an opted-out number: heard, no more
            return InConversation(Intent.BOOK, False, Reading.YES)
        return acknowledged if is_acknowledgement(text) else as_classified
    if is_acknowledgement(text) or (kind is SentKind.CONFIRMATION and _bare_yes(text)):
        return acknowledged
    return as_classified


# ---- the detectors (pure; measured on the reply corpus's train and dev writers)

#: Emoji that thank or agree (skin tones and variation selectors are dropped first).
_ACK_EMOJI = frozenset("👍👌🙏😊🙂☺❤♥💙💜💕💖😀😁😃😄🤗✅💯🙌👏😘")
_YES_EMOJI = frozenset("👍👌")
_MODIFIERS = re.compile("[\U0001f3fb-\U0001f3ff\ufe0f\u200d]")
#: Words that thank or acknowledge, alone or together ("ok thanks", "gracias!").
_ACK_CORE = frozenset(
    {"thanks", "thank", "thankyou", "thx", "thnx", "thanx", "tx", "ty", "tysm", "tyvm", "gracias",
     "ok", "okay", "okey", "oki", "okie", "k", "kk", "noted", "perfect", "perfecto", "perfecta",
     "great", "cool", "awesome", "excellent", "vale", "listo", "lista", "entendido", "bueno",
     "dale", "appreciated", "appreciate", "alright", "gotcha", "roger", "acknowledged"}
)  # fmt: skip
#: Words that may go with them ("thank you so much", "muchas gracias", "thanks for the info").
_ACK_FILL = frozenset(
    {"you", "u", "so", "much", "very", "again", "for", "the", "info", "reminder", "message",
     "a", "lot", "many", "mil", "muchas", "muchisimas", "y", "and", "dear", "senora", "senor",
     "mucho", "por", "todo", "la", "informacion", "el", "mensaje", "recordatorio", "it", "then",
     "soon", "there", "pronto", "entonces"}
)  # fmt: skip
#: Phrases that acknowledge as one word does.
_ACK_PHRASES = (
    ("sounds", "good"), ("got", "it"), ("will", "do"), ("all", "good"), ("all", "set"),
    ("de", "acuerdo"), ("muy", "bien"), ("esta", "bien"), ("no", "problem"), ("see", "you"),
    ("nos", "vemos"),
)  # fmt: skip
#: A plain "ok": right after an outreach message, a yes.
_PLAIN_YES = frozenset({"ok", "okay", "okey", "oki", "okie", "k", "kk", "vale", "dale"})
#: The words of a YES that resubscribes (after the opt-out confirmation).
_OPT_IN_YES = frozenset({"yes", "y", "yeah", "yep", "yup", "si", "sure", "yes please"})
_OPT_IN_WORDS = frozenset({"start", "unstop", "subscribe", "resubscribe"})
#: The tapbacks that approve (a "Disliked" or "Questioned" one is read as it is: a person sees).
_POSITIVE_REACTIONS = re.compile(
    r"^\s*(liked|loved|laughed at|emphasi[sz]ed|le gusto|le encanto|se rio de|enfatizo|"
    r"reacted (\S{1,4}) to|reacciono (\S{1,4}) a)\s*[\"“”'«]"
)
_MAX_ACK_WORDS = 6


def _parts(text: str) -> tuple[list[str], set[str]] | None:
    """The folded words and the emoji of a short reply, or None when it holds a symbol that
    is neither punctuation nor an emoji that thanks or agrees."""
    folded = _MODIFIERS.sub("", fold(text))
    emoji: set[str] = set()
    for ch in folded:
        if ch.isalnum() or ch.isspace():
            continue
        if unicodedata.category(ch).startswith("P"):
            continue
        if ch not in _ACK_EMOJI:
            return None
        emoji.add(ch)
    return words(folded), emoji


def is_acknowledgement(text: str) -> bool:
    """ "thanks", "ok", "ok thanks", "👍", "muchas gracias 🙏", "got it": a short reply that
    only thanks or acknowledges (a tapback is `is_tapback`)."""
    parts = _parts(text)
    if parts is None:
        return False
    said, emoji = parts
    if len(said) > _MAX_ACK_WORDS:
        return False
    joined = f" {' '.join(said)} "
    for phrase in _ACK_PHRASES:
        joined = joined.replace(f" {' '.join(phrase)} ", " ok ")
    kept = joined.split()
    if not kept:
        return bool(emoji)
    return any(w in _ACK_CORE for w in kept) and all(w in _ACK_CORE or w in _ACK_FILL
                                                     for w in kept)  # fmt: skip


def is_plain_yes(text: str) -> bool:
    """A plain "ok" or "👍" (no thanks): right after an outreach message, a yes."""
    parts = _parts(text)
    if parts is None:
        return False
    said, emoji = parts
    return bool(said or emoji) and set(said) <= _PLAIN_YES and emoji <= _YES_EMOJI


def is_tapback(text: str) -> bool:
    """A phone's approving reaction to our message ('Liked "Hi Maria, ..."', 'Reacted 👍
    to "..."'); a disliked or questioned one is not."""
    folded = fold(text)
    if not REACTION.match(folded):
        return False
    found = _POSITIVE_REACTIONS.match(folded)
    if found is None:
        return False
    emoji = found.group(2) or found.group(3)
    return emoji is None or set(_MODIFIERS.sub("", emoji)) <= _ACK_EMOJI


def _bare_yes(text: str) -> bool:
    said = " ".join(words(text))
    return said in _OPT_IN_YES or (bool(said) and set(said.split()) <= {"yes", "si"})


def _opt_in_word(text: str) -> bool:
    """START, UNSTOP, YES and the like: a resubscription (an "ok" or "thanks" is none)."""
    said = words(text)
    return _bare_yes(text) or any(w in _OPT_IN_WORDS for w in said)


_NEGATION = re.compile(
    r"\b(not|haven'?t|havent|hasn'?t|didn'?t|didnt|never|nobody|no one|can'?t|cant|couldn'?t|"
    r"couldnt|wasn'?t|won'?t|yet|todavia|aun no|no he|no pude|nadie|nunca)\b"
)
_ELSEWHERE = re.compile(
    r"\b(another|other|different|new|elsewhere|somewhere else|otro|otra|otros|nuevo|nueva)\b"
)
#: A booking that went wrong is a complaint, not one to confirm ("booked online, but ...").
#: Nor is "4 texts about a visit I already booked, does your system talk to itself?".
_TROUBLE = re.compile(
    r"\b(but|pero|showed up|no record|lost|mix ?up|your system)\b"
    r"|\b\d+ (texts|messages|reminders|mensajes)\b"
)
_ASKING = re.compile(
    r"^\W*(do|did|can|could|should|is|was|am|are|have|has|when|how|puedo|tengo que)\b"
)
_BOOKED = re.compile(
    r"|".join(
        (
            # already / just booked (scheduled, made the appointment)
            r"\b(already|alrdy|allready|just)\b\W*(\w+\W+){0,3}?(booked|scheduled|rescheduled|"
            r"reserved|made (an|my|the) (appt|appointment)|got (an|my|the) (appt|appointment))\b",
            r"\balready\W+(book|schedule|have (an|my|the) (appt|appointment))\b",
            # booked online / yesterday / already
            r"\b(booked|scheduled)\b\W*(it\W+|her\W+|him\W+|them\W+)?(\w+\W+){0,1}?(already|"
            r"online|on line|yesterday|today|this morning|last night|thru|through)\b",
            # I called and booked
            r"\b(called|call|phoned|rang)\b.{0,35}\b(booked|scheduled|made (an |my |the )?"
            r"(appt|appointment)|set (it |one )?up)\b",
            # Spanish: ya agende / ya reserve / ya hice (la) cita / ya tengo cita
            r"\bya\b\W*(\w+\W+){0,3}?(agende|reserve|programe|separe|hice (la |una |mi )?cita|"
            r"tengo (la |una |mi )?cita|saque (la |una |mi )?cita|hice (la |una |mi )?reserva)\b",
            r"\b(llame|marque|hable)\b.{0,35}\b(agende|reserve|programe|hice (la |una |mi )?cita|"
            r"saque (la |una |mi )?cita|hice (la |una |mi )?reserva)\b",
            r"\b(agende|reserve|hice la cita)\b.{0,10}\b(en linea|online|por internet)\b",
        )
    )
)


def already_booked(text: str) -> bool:
    """'Already booked', 'I called and booked', 'just booked online', 'ya reservé': the patient
    says they booked (never one who booked elsewhere, has not booked, or asks)."""
    folded = fold(text)
    found = _BOOKED.search(folded)
    if found is None:
        return False
    around = folded[max(0, found.start() - 20) : found.end() + 20]
    if _NEGATION.search(around) or _ELSEWHERE.search(folded) or _TROUBLE.search(folded):
        return False
    return not (_ASKING.match(folded) and "?" in folded)


# ---- the not-now acknowledgement's date

_MONTHS = {
    Language.EN: ("January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December"),
    Language.ES: ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
                  "septiembre", "octubre", "noviembre", "diciembre"),
}  # fmt: skip


def check_back_words(day: date, language: Language) -> str:
    """When the practice will check back, as a patient reads it: "March 1", "1 de marzo"."""
    months = _MONTHS.get(language, _MONTHS[Language.EN])
    month = months[day.month - 1]
    if language is Language.ES:
        return f"{day.day} de {month}"
    return f"{month} {day.day}"
