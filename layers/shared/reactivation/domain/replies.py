"""What a patient's reply means (../shared/spec/replies.md).

This first classifier knows the rules that carry legal weight: the opt-out keywords and
phrases, START/UNSTOP, HELP, and that a quoted reaction is not an opt-out. Everything it
cannot place with confidence is `other`, which a human sees.
"""

from __future__ import annotations

import re
import unicodedata

from reactivation.domain.models import Classification, Intent

OPT_OUT_KEYWORDS = frozenset(
    {
        "stop",
        "stopall",
        "unsubscribe",
        "cancel",
        "end",
        "quit",
        "revoke",
        "optout",
        "remove",
        "arret",
        "td",
        "alto",
        "parar",
        "cancelar",
        "baja",
    }
)
OPT_IN_KEYWORDS = frozenset({"start", "unstop"})
HELP_KEYWORDS = frozenset({"help", "info"})
YES_WORDS = frozenset({"yes", "y", "si"})

# Wording that reasonably asks for the messages to stop (revocation "by any reasonable means").
OPT_OUT_PHRASES = re.compile(
    r"\b(stop|quit|no more|don'?t|do not|never)\s+"
    r"(texting|messaging|contacting|sending|text|message|contact)"
    r"|\b(take|remove)\s+me\s+off\b|\bunsubscribe\s+me\b|\bopt\s*me\s*out\b|\bleave me alone\b"
    r"|\bno\s+me\s+(escriban|manden|envien)\b",
    re.IGNORECASE,
)
REACTION = re.compile(
    r"^\s*(liked|loved|laughed at|emphasized|disliked|questioned|reacted \S+ to)\s+[\"“]",
    re.IGNORECASE,
)


def _keyword(text: str) -> str:
    """The reply reduced to letters, as a keyword: 'STOP!!!' -> 'stop', 'Stopp' -> 'stop'."""
    folded = unicodedata.normalize("NFKD", text.lower())
    letters = "".join(ch for ch in folded if "a" <= ch <= "z")
    return re.sub(r"(.)\1+", r"\1", letters)


def _matches(word: str, keywords: frozenset[str]) -> bool:
    collapsed = {re.sub(r"(.)\1+", r"\1", k) for k in keywords}
    return word in collapsed


def classify(text: str, *, opted_out: bool = False) -> Classification:
    """One intent for one reply, and whether a human must see it."""
    if REACTION.match(text):
        return Classification(intent=Intent.OTHER, notify_staff=True)
    word = _keyword(text)
    if _matches(word, OPT_OUT_KEYWORDS) or OPT_OUT_PHRASES.search(text):
        return Classification(intent=Intent.OPT_OUT, notify_staff=False)
    if _matches(word, OPT_IN_KEYWORDS) or (opted_out and _matches(word, YES_WORDS)):
        return Classification(intent=Intent.OPT_IN, notify_staff=False)
    if _matches(word, HELP_KEYWORDS):
        return Classification(intent=Intent.HELP, notify_staff=False)
    return Classification(intent=Intent.OTHER, notify_staff=True)
