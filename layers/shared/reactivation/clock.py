"""The one place handlers read the time; tests and the local stack set it instead.

Two clocks: `now()` is business time (the local stack runs it ahead, to sending hours);
`wall_now()` is the real time a request is judged against (is an SNS message fresh?),
which only tests freeze.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

#: Seconds left in the invocation (Lambda's context counts them; tests pass their own).
TimeLeft = Callable[[], float]


class _Clock:
    def __init__(self) -> None:
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        return self._frozen if self._frozen is not None else datetime.now(UTC)

    def freeze(self, at: datetime | None) -> None:
        """Makes `now()` answer `at` (None: the real time again)."""
        if at is not None and at.tzinfo is None:
            raise ValueError("a clock is frozen at an aware datetime")
        self._frozen = at


_business = _Clock()
_wall = _Clock()
now = _business.now
freeze = _business.freeze
wall_now = _wall.now
freeze_wall = _wall.freeze


class _Pauses:
    """Pauses inside an invocation (a send pacing itself): real ones on AWS; where business
    time is frozen (tests, the local stack) only counted, on a monotonic clock of their own."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.skipped

    def pause(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if _business._frozen is not None:
            self.skipped += seconds
        else:
            time.sleep(seconds)


_pauses = _Pauses()
monotonic = _pauses.monotonic
pause = _pauses.pause
