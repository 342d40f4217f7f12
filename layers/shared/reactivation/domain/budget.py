"""A practice's monthly SMS budget: what its outreach texts may cost in a calendar month (its
own timezone's), estimated from the segments sent and the price of one segment. Over it,
outreach waits for the next month; a patient's answers are not outreach and are never held."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

#: The estimated price of one SMS segment, in dollars, for practices without their own (US,
#: SNS, before carrier fees): the weekly report's estimate too.
DEFAULT_SEGMENT_PRICE = 0.0079
#: Amounts are compared in millionths of a dollar: no float rounding at the boundary.
MICRO = 1_000_000


def _micro(dollars: float) -> int:
    return round(dollars * MICRO)


@dataclass(frozen=True)
class SmsBudget:
    monthly_usd: float
    segment_price: float = DEFAULT_SEGMENT_PRICE

    def allows(self, segments_this_month: int, segments: int) -> bool:
        """Whether `segments` more fit in the month, after those already sent: the month's
        cost may reach the budget, never pass it."""
        spent = (segments_this_month + segments) * _micro(self.segment_price)
        return spent <= _micro(self.monthly_usd)

    def spent(self, segments_this_month: int) -> float:
        return segments_this_month * _micro(self.segment_price) / MICRO


def budget_month(at: datetime, timezone: str) -> str:
    """The month `at` falls in, in the practice's timezone: "2026-12"."""
    return at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")


def next_month_start(at: datetime, timezone: str) -> datetime:
    """The first moment of the month after `at`'s, in the practice's timezone."""
    local = at.astimezone(ZoneInfo(timezone))
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return datetime(year, month, 1, tzinfo=ZoneInfo(timezone))
