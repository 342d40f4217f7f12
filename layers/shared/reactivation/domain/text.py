"""How every reader of a patient's text folds it, once and the same way: case, accents,
curly apostrophes and compatibility forms ("Mañana", "MAÑANA" and "manana" are one word),
punctuation (words are runs of letters and digits) and, for keywords, repeated letters."""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00b4": "'"})
_WORD = re.compile(r"[a-z0-9]+")
_LETTERS = re.compile(r"[a-z]+")
_REPEATS = re.compile(r"(.)\1+")


def fold(text: str) -> str:
    """Lower case, accents removed, curly apostrophes straight: 'Miércoles' -> 'miercoles'.
    Punctuation is kept (a question mark, an apostrophe still mean something)."""
    # lower case after decomposing too: a compatibility form (a script A) decomposes to a capital
    lowered = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES)).lower()
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str, *, digits: bool = True) -> list[str]:
    """The folded words, in order, punctuation dropped:
    "¿Mañana, a las 9?" -> ['manana', 'a', 'las', '9']. `digits=False`: digits part words as
    punctuation does, and are dropped ("STOP2" -> ['stop'], as a keyword is read)."""
    return (_WORD if digits else _LETTERS).findall(fold(text))


def squeeze(word: str) -> str:
    """Repeated letters once: 'stoooop' -> 'stop'."""
    return _REPEATS.sub(r"\1", word)
