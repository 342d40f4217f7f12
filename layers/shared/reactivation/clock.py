"""The one place handlers read the time; tests and the local stack set it instead."""

from __future__ import annotations

from datetime import UTC, datetime

_frozen: datetime | None = None


def now() -> datetime:
    return _frozen if _frozen is not None else datetime.now(UTC)


def freeze(at: datetime | None) -> None:
    """Makes `now()` answer `at` (None: the real time again)."""
    global _frozen
    if at is not None and at.tzinfo is None:
        raise ValueError("freeze needs an aware datetime")
    _frozen = at
