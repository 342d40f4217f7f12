"""When an outreach message may go out (campaigns.md, "Limits that hold for every message").

- Sending hours: the practice's window (09:00-20:00 by default), Monday to Saturday, never on
  a US federal holiday, in every timezone that applies (the patient's and the mobile number's
  area code's): the window must hold in all of them.
- Frequency: at most 1 outreach message a (local) day, 2 in any 7 days, 4 in any 30 days,
  per patient and per number.

A message due outside either is held until the first moment both allow, never sent early.
Every computation is on UTC instants: arithmetic on local times is wall-clock arithmetic in
Python, and "30 days" across a DST change would be an hour off.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from reactivation.domain.outreach import PendingStep
from reactivation.domain.practice import SendingWindow
from reactivation.domain.rules import PRIORITY
from reactivation.domain.types import Campaign

if TYPE_CHECKING:
    import holidays

SUNDAY = 6
#: (how many, in how long): rolling caps on outreach per patient and per number.
ROLLING_CAPS: tuple[tuple[int, timedelta], ...] = ((2, timedelta(days=7)), (4, timedelta(days=30)))
#: How long a pending step of another patient holds a shared number's slot: long enough for
#: a step deferred overnight or over a weekend; a marker older than this is stale (ignored).
PENDING_HOLD = timedelta(days=4)


# holidays and phonenumbers' timezone data are imported when first asked, not at a function's
# cold start.


@cache
def _us_holidays() -> holidays.HolidayBase:
    import holidays

    return holidays.country_holidays("US")  # federal, with the observed days


def is_us_federal_holiday(day: date) -> bool:
    return day in _us_holidays()


def number_timezones(e164: str) -> tuple[str, ...]:
    """The timezones of a number's area code (several where an area code spans zones)."""
    import phonenumbers
    from phonenumbers import timezone as number_timezone

    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return ()
    return tuple(z for z in number_timezone.time_zones_for_number(number) if "/" in z
                 and not z.startswith("Etc/"))  # fmt: skip


def _opening_in(now: datetime, timezone: str, window: SendingWindow) -> datetime:
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    for offset in range(15):
        day = local.date() + timedelta(days=offset)
        if day.weekday() == SUNDAY or is_us_federal_holiday(day):
            continue
        opens = datetime.combine(day, time(window.opens_hour), zone)
        closes = datetime.combine(day, time(window.closes_hour), zone)
        if opens <= local < closes:
            return now
        if local < opens:
            return opens.astimezone(UTC)
    raise AssertionError("a fortnight always has an opening")  # pragma: no cover


class NoSendingHours(ValueError):
    """The sending window never opens in the patient's and the number's zones at the same
    time (a narrow window, a patient in Honolulu with a New York number): never texted."""


def next_opening(now: datetime, timezones: str | Iterable[str], window: SendingWindow) -> datetime:
    """`now` when the window is open in every timezone, else the first moment it is;
    NoSendingHours when there is none."""
    zones = [timezones] if isinstance(timezones, str) else sorted(set(timezones))
    candidate = now.astimezone(UTC)
    for _ in range(50):
        moved = max((_opening_in(candidate, zone, window) for zone in zones), default=candidate)
        if moved == candidate:
            return candidate
        candidate = moved
    raise NoSendingHours("the window never opens in all these timezones at once")


def is_open(now: datetime, timezone: str | Iterable[str], window: SendingWindow) -> bool:
    return next_opening(now, timezone, window) == now


def next_allowed_by_caps(now: datetime, sent: Sequence[datetime], timezone: str) -> datetime:
    """The first moment from `now` at which one more message keeps within every cap."""
    zone = ZoneInfo(timezone)
    history = sorted(s.astimezone(UTC) for s in sent)
    candidate = now.astimezone(UTC)
    for _ in range(50):
        moved = candidate
        local_day = candidate.astimezone(zone).date()
        if any(s.astimezone(zone).date() == local_day for s in history):
            moved = datetime.combine(local_day + timedelta(days=1), time(0), zone).astimezone(UTC)
        for limit, span in ROLLING_CAPS:
            recent = [s for s in history if moved - span < s <= moved]
            if len(recent) >= limit:
                moved = max(moved, recent[len(recent) - limit] + span)
        if moved == candidate:
            return candidate
        candidate = moved
    raise AssertionError("caps never clear")  # pragma: no cover


def next_send_time(
    now: datetime,
    patient_timezone: str,
    number_zones: Iterable[str],
    window: SendingWindow,
    sent_to_patient: Sequence[datetime],
    sent_to_number: Sequence[datetime],
) -> datetime:
    """The first moment inside sending hours (in the patient's and the number's zones) and
    within the caps, for the patient and for the number (days counted in the patient's zone)."""
    zones = sorted({patient_timezone, *number_zones})
    primary = patient_timezone
    candidate = now.astimezone(UTC)
    for _ in range(50):
        opening = next_opening(candidate, zones, window)
        allowed = max(
            next_allowed_by_caps(opening, sent_to_patient, primary),
            next_allowed_by_caps(opening, sent_to_number, primary),
        )
        if allowed == opening:
            return opening
        candidate = allowed
    raise AssertionError("no moment satisfies the window and the caps")  # pragma: no cover


def outranks(campaign: Campaign, patient_id: str, other: PendingStep) -> bool:
    """Whether the other patient's pending step comes before this one on a shared number
    (campaigns.md: "at most one outreach message a day, the highest-priority patient's";
    equal priorities: the lower patient id, so that both sides agree)."""
    mine, theirs = PRIORITY.index(campaign), PRIORITY.index(other.campaign)
    return (theirs, other.patient_id) < (mine, patient_id)


def held_slots(
    now: datetime, campaign: Campaign, patient_id: str, pending: Sequence[PendingStep]
) -> list[datetime]:
    """The moments a shared number's slots are held by other patients' higher-priority steps
    that are queued and not yet sent: each counts as a message to the number, due at its time
    (or now, when it is already due), so that the caps give it the day."""
    return [
        max(step.due_at, now)
        for step in pending
        if step.patient_id != patient_id
        and now - PENDING_HOLD <= step.due_at <= now + timedelta(days=1)
        and outranks(campaign, patient_id, step)
    ]
