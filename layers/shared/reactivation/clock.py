"""The one place handlers read the time; tests and the local stack set it instead.

Two clocks: `now()` is business time (the local stack runs it ahead, to sending hours);
`wall_now()` is the real time a request is judged against (is an SNS message fresh?),
which only tests freeze.
"""

from __future__ import annotations

from datetime import UTC, datetime

_frozen: datetime | None = None
_frozen_wall: datetime | None = None


def now() -> datetime:
    return _frozen if _frozen is not None else datetime.now(UTC)


def freeze(at: datetime | None) -> None:
    """Makes `now()` answer `at` (None: the real time again)."""
    global _frozen
    if at is not None and at.tzinfo is None:
        raise ValueError("freeze needs an aware datetime")
    _frozen = at


def wall_now() -> datetime:
    return _frozen_wall if _frozen_wall is not None else datetime.now(UTC)


def freeze_wall(at: datetime | None) -> None:
    global _frozen_wall
    if at is not None and at.tzinfo is None:
        raise ValueError("freeze_wall needs an aware datetime")
    _frozen_wall = at
