"""The weekly enrolment runs at the practice's own hour, in its own timezone."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from reactivation.domain.practice import EnrolmentSlot
from reactivation.domain.types import Weekday
from tests.builders import make_practice


@pytest.mark.parametrize(
    ("timezone", "utc_hour_on_tuesday"),
    [("America/New_York", 15), ("America/Los_Angeles", 18), ("Pacific/Honolulu", 20),
     ("America/Phoenix", 17)],
)  # fmt: skip
def test_tuesday_ten_local_is_a_different_utc_hour_per_practice(
    timezone: str, utc_hour_on_tuesday: int
) -> None:
    practice = make_practice(timezone=timezone)
    tuesday = datetime(2026, 11, 24, tzinfo=UTC)
    due = [h for h in range(24) if practice.enrolment_due(tuesday.replace(hour=h))]
    assert due == [utc_hour_on_tuesday]


def test_the_local_hour_follows_daylight_saving_time() -> None:
    practice = make_practice(timezone="America/New_York")
    assert practice.enrolment_due(datetime(2026, 7, 14, 14, tzinfo=UTC))  # EDT: 10:00 = 14 UTC
    assert practice.enrolment_due(datetime(2026, 12, 1, 15, tzinfo=UTC))  # EST: 10:00 = 15 UTC


@given(st.integers(min_value=0, max_value=104))
def test_exactly_one_hourly_run_in_each_local_week_is_due(week: int) -> None:
    """Two years of weeks, through every daylight saving change."""
    chicago = ZoneInfo("America/Chicago")
    practice = make_practice(
        timezone="America/Chicago", enrolment=EnrolmentSlot(weekday=Weekday.SATURDAY, hour=9)
    )
    monday = datetime(2026, 1, 5, tzinfo=chicago) + timedelta(weeks=week)
    start = monday.astimezone(UTC)
    end = (monday + timedelta(days=7)).replace(tzinfo=chicago).astimezone(UTC)
    hours = int((end - start).total_seconds() // 3600)  # 167, 168 or 169
    due = [h for h in range(hours) if practice.enrolment_due(start + timedelta(hours=h))]
    assert len(due) == 1


def test_an_enrolment_outside_the_sending_window_is_refused() -> None:
    with pytest.raises(ValidationError, match="outside the sending window"):
        make_practice(enrolment=EnrolmentSlot(hour=21))
