"""When a message may go out: the sending window in the patient's local time."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from reactivation.domain.models import SendingWindow

SUNDAY = 6


def next_opening(now: datetime, timezone: str, window: SendingWindow) -> datetime:
    """`now` when it is inside the window, else the next moment the window opens.

    The window is [opens, closes) local time, Monday to Saturday.
    """
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        if day.weekday() == SUNDAY:
            continue
        opens = datetime.combine(day, time(window.opens_hour), zone)
        closes = datetime.combine(day, time(window.closes_hour), zone)
        if opens <= local < closes:
            return now
        if local < opens:
            return opens
    raise AssertionError("a week always has an opening")  # pragma: no cover


def is_open(now: datetime, timezone: str, window: SendingWindow) -> bool:
    return next_opening(now, timezone, window) == now
