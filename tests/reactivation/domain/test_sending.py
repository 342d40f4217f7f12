"""Sending hours: never outside 09:00-20:00 local, Monday to Saturday; held, never dropped."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from reactivation.domain.outreach import PendingStep
from reactivation.domain.practice import SendingWindow
from reactivation.domain.sending import (
    held_slots,
    is_open,
    is_us_federal_holiday,
    next_allowed_by_caps,
    next_opening,
    next_send_time,
    number_timezones,
)
from reactivation.domain.types import Campaign
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
def test_the_opening_is_inside_the_window_never_earlier_and_within_four_days(
    naive: datetime, zone: str, opens: int, closes: int
) -> None:
    now = naive.replace(tzinfo=UTC)
    window = SendingWindow(opens_hour=opens, closes_hour=closes)
    opening = next_opening(now, zone, window)
    local = opening.astimezone(ZoneInfo(zone))
    assert opening >= now
    assert opens <= local.hour < closes and local.weekday() != 6
    assert not is_us_federal_holiday(local.date())
    # the longest wait: a Thursday evening before July 3 (observed) and July 4 on a Saturday
    assert opening - now <= timedelta(days=4)
    assert is_open(opening, zone, window)


def test_no_sending_on_federal_holidays_observed_days_included() -> None:
    assert next_opening(at("2026-11-26 10:00"), "America/New_York", WINDOW) == at(
        "2026-11-27 09:00"
    )  # Thanksgiving
    assert next_opening(at("2026-07-02 20:30"), "America/New_York", WINDOW) == at(
        "2026-07-06 09:00"
    )  # July 3 observed, July 4 on Saturday, then Sunday


def test_the_window_must_hold_in_the_area_codes_zone_too() -> None:
    hawaii_mobile = number_timezones("+18085550134")
    assert hawaii_mobile == ("Pacific/Honolulu",)
    # 10:00 in New York is 05:00 in Honolulu: wait for 09:00 there, 14:00 in New York
    assert next_opening(at("2026-11-24 10:00"), ["America/New_York", *hawaii_mobile], WINDOW) == at(
        "2026-11-24 14:00"
    )
    assert number_timezones("+16025550134") == ("America/Phoenix",)
    assert number_timezones("not a number") == ()


def test_thirty_days_are_thirty_real_days_across_a_dst_change() -> None:
    # the case hypothesis found: a message at 13:00:00.000001 UTC on Oct 10, the fifth would
    # have gone out at 09:00 EST on Nov 9, exactly 30 wall-clock days but 29 days 23 hours later
    sent = [at("2026-10-10 09:00") + timedelta(microseconds=1), at("2026-10-11 09:00"),
            at("2026-10-31 20:00"), at("2026-10-31 21:00")]  # fmt: skip
    when = next_send_time(at("2026-11-01 09:00"), "America/New_York", (), WINDOW, sent, [])
    assert sum(1 for s in [*sent, when] if when - timedelta(days=30) < s <= when) <= 4


def test_one_a_day_two_a_week_four_a_month() -> None:
    zone = "America/New_York"
    now = at("2026-11-24 10:00")
    assert next_allowed_by_caps(now, [], zone) == now
    assert next_allowed_by_caps(now, [at("2026-11-24 09:00")], zone) == at("2026-11-25 00:00")
    two_this_week = [at("2026-11-18 12:00"), at("2026-11-20 12:00")]
    assert next_allowed_by_caps(now, two_this_week, zone) == at("2026-11-25 12:00")
    four_this_month = [at(f"2026-11-{d:02d} 12:00") for d in (1, 9, 14, 22)]
    assert next_allowed_by_caps(now, four_this_month, zone) == at("2026-12-01 12:00")


@given(
    st.lists(
        st.datetimes(min_value=datetime(2026, 10, 1), max_value=datetime(2026, 11, 30)),
        max_size=6,
    ),
    st.datetimes(min_value=datetime(2026, 10, 1), max_value=datetime(2026, 12, 31)),
    st.sampled_from(ZONES),
)
def test_the_send_time_keeps_every_cap_and_the_window(
    sent: list[datetime], naive_now: datetime, zone: str
) -> None:
    history = [s.replace(tzinfo=UTC) for s in sent]
    now = naive_now.replace(tzinfo=UTC)
    when = next_send_time(now, zone, (), WINDOW, history, [])
    assert when.tzinfo is UTC  # durations are real time, DST or not
    assert when >= now and is_open(when, zone, WINDOW)
    with_it = [*history, when]
    local_day = when.astimezone(ZoneInfo(zone)).date()
    assert sum(1 for s in history if s.astimezone(ZoneInfo(zone)).date() == local_day) == 0
    assert sum(1 for s in with_it if when - timedelta(days=7) < s <= when) <= 2
    assert sum(1 for s in with_it if when - timedelta(days=30) < s <= when) <= 4


def test_a_higher_priority_pending_step_of_another_patient_holds_the_number() -> None:
    now = datetime(2026, 11, 24, 15, tzinfo=UTC)
    leo = PendingStep(patient_id="P-2", campaign=Campaign.UNSCHEDULED_TREATMENT, due_at=now)
    ana = PendingStep(patient_id="P-1", campaign=Campaign.RECALL_DUE, due_at=now)
    # Ana's recall waits for Leo's treatment step; Leo's does not wait for Ana's
    assert held_slots(now, Campaign.RECALL_DUE, "P-1", [leo, ana]) == [now]
    assert held_slots(now, Campaign.UNSCHEDULED_TREATMENT, "P-2", [leo, ana]) == []
    # equal priorities: the lower patient id first, so both workers agree
    twin = PendingStep(patient_id="P-0", campaign=Campaign.RECALL_DUE, due_at=now)
    assert held_slots(now, Campaign.RECALL_DUE, "P-1", [twin]) == [now]
    assert held_slots(now, Campaign.RECALL_DUE, "P-0", [ana]) == []
    # a step due later today holds the day at its time; a stale or far-off one holds nothing
    later = leo.model_copy(update={"due_at": now + timedelta(hours=3)})
    stale = leo.model_copy(update={"due_at": now - timedelta(days=5)})
    next_week = leo.model_copy(update={"due_at": now + timedelta(days=7)})
    assert held_slots(now, Campaign.RECALL_DUE, "P-1", [later, stale, next_week]) == [
        now + timedelta(hours=3)
    ]
    # and through the caps: the held day moves Ana's send to tomorrow's opening
    window = SendingWindow()
    held = held_slots(now, Campaign.RECALL_DUE, "P-1", [leo])
    assert next_send_time(now, "America/New_York", (), window, [], held) == datetime(
        2026, 11, 25, 14, tzinfo=UTC
    )


def test_a_window_that_never_opens_in_both_zones_at_once_is_said_so() -> None:
    import pytest

    from reactivation.domain.sending import NoSendingHours

    # 08:00-13:00 in New York is 03:00-08:00 in Honolulu: the two never meet
    narrow = SendingWindow(opens_hour=8, closes_hour=13)
    with pytest.raises(NoSendingHours):
        next_opening(at("2026-11-24 10:00"), ["America/New_York", "Pacific/Honolulu"], narrow)
    # the default window meets: 14:00-20:00 in New York
    both = next_opening(at("2026-11-24 10:00"), ["America/New_York", "Pacific/Honolulu"], WINDOW)
    assert both == at("2026-11-24 14:00")
