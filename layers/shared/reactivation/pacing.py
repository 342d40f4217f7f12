"""Pacing the texts a sending number sends: 10DLC and toll-free numbers take only a few
messages a second (a practice setting). The send function's instances are at most its event
source's maximum concurrency; each keeps to its share of the number's rate, so that together
they never exceed it."""

from __future__ import annotations

from collections.abc import Callable

#: The longest a send waits in place for its number's next slot; a longer wait goes back to
#: the queue as a delay (an invocation must not spend its time asleep).
LONGEST_PAUSE = 2.0


class Pacer:
    def __init__(
        self,
        instances: int,
        monotonic: Callable[[], float],
        pause: Callable[[float], None],
        longest_pause: float = LONGEST_PAUSE,
    ) -> None:
        self._instances = instances
        self._monotonic = monotonic
        self._pause = pause
        self._longest_pause = longest_pause
        self._next_slot: dict[str, float] = {}

    def admit(self, number: str, per_second: float) -> float:
        """Takes the number's next slot in this instance: 0 once it is here (after a short
        pause if need be), else the seconds until it (the caller delays the job that long;
        the slot stays reserved for it, so that later jobs queue behind it)."""
        interval = self._instances / per_second
        now = self._monotonic()
        slot = max(now, self._next_slot.get(number, now))
        self._next_slot[number] = slot + interval
        wait = slot - now
        if wait <= self._longest_pause:
            self._pause(wait)
            return 0.0
        return wait
