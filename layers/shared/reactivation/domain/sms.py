"""SMS encoding and segments: what the carrier bills."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# GSM 03.38 basic set and extension table (an extension character costs two septets).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

#: The most characters one outreach SMS may hold (the TCPA healthcare exemption's bound).
MAX_SMS_CHARACTERS = 160


class TextKind(StrEnum):
    """What a text the practice pays for was (the weekly report counts each kind)."""

    OUTREACH = "outreach"  # a campaign's message
    #: the system's answer to a reply: help, an offer of times, an FAQ's answer, an opt-out
    #: or opt-in confirmed, a picked time held
    ANSWER = "answer"
    STAFF_REPLY = "staff_reply"  # a person's text from the staff inbox


@dataclass(frozen=True)
class SmsEncoding:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def encode(text: str) -> SmsEncoding:
    """Encoding and segment count: 160/153 septets for GSM-7, 70/67 code units for UCS-2."""
    if is_gsm7(text):
        units = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        single, multi, name = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, name = 70, 67, "UCS-2"
    segments = 1 if units <= single else -(-units // multi)
    return SmsEncoding(encoding=name, units=units, segments=max(segments, 1))
