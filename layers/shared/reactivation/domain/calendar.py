"""Calendar arithmetic of the spec: whole days, calendar months with month ends clamped."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=65536)  # a run asks about the same few thousand days again and again
def add_months(day: date, months: int) -> date:
    """`day` plus calendar months, clamped to the month's end (Aug 31 + 6 months = Feb 28/29):
    what dateutil's relativedelta(months=...) gives, in an eighth of its time."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


@lru_cache(maxsize=65536)
def local_date(moment: datetime, timezone: str) -> date:
    """The date of `moment` in `timezone`."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def iso_quarter(day: date) -> str:
    """ISO year and quarter of `day`, as the holdout's hash uses it: `2026-Q4`."""
    iso_year, iso_week, _ = day.isocalendar()
    quarter = min(4, (iso_week - 1) // 13 + 1)
    return f"{iso_year}-Q{quarter}"
