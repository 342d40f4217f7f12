"""Sending hours: never outside 09:00-20:00 local, Monday to Saturday; held, never dropped."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from reactivation.domain.models import SendingWindow
from reactivation.domain.sending import is_open, next_opening
from tests.builders import at

WINDOW = SendingWindow()
ZONES = ["America/New_York", "America/Phoenix", "Pacific/Honolulu", "America/Los_Angeles"]


def test_inside_the_window_is_now() -> None:
    now = at("2026-11-24 10:00")
    assert next_opening(now, "America/New_York", WINDOW) == now


def test_after_closing_it_is_the_next_morning_and_saturday_evening_waits_for_monday() -> None:
    assert next_opening(at("2026-11-24 20:00"), "America/New_York", WINDOW) == at(
        "2026-11-25 09:00"
    )
    assert next_opening(at("2026-11-28 20:30"), "America/New_York", WINDOW) == at(
        "2026-11-30 09:00"
    )
    assert next_opening(at("2026-11-29 12:00"), "America/New_York", WINDOW) == at(
        "2026-11-30 09:00"
    )


def test_a_narrowed_window() -> None:
    narrow = SendingWindow(opens_hour=10, closes_hour=18)
    assert next_opening(at("2026-11-24 09:30"), "America/New_York", narrow) == at(
        "2026-11-24 10:00"
    )


@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)),
    st.sampled_from(ZONES),
    st.integers(8, 12),
    st.integers(17, 21),
)
def test_the_opening_is_inside_the_window_never_earlier_and_within_two_days(
    naive: datetime, zone: str, opens: int, closes: int
) -> None:
    now = naive.replace(tzinfo=UTC)
    window = SendingWindow(opens_hour=opens, closes_hour=closes)
    opening = next_opening(now, zone, window)
    local = opening.astimezone(ZoneInfo(zone))
    assert opening >= now
    assert opens <= local.hour < closes and local.weekday() != 6
    assert opening - now <= timedelta(days=2, hours=13)
    assert is_open(opening, zone, window)
