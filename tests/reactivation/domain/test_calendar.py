from datetime import UTC, date, datetime

from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from reactivation.domain.calendar import add_months, iso_quarter, local_date


def test_month_ends_are_clamped() -> None:
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)), st.integers(0, 48))
def test_adding_months_keeps_the_day_or_clamps_to_month_end(day: date, months: int) -> None:
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day == day.day or (result.day < day.day and (result.replace(day=1) != result))


def test_local_date_is_the_date_in_the_practice_timezone() -> None:
    late_evening_in_new_york = datetime(2026, 11, 25, 3, 30, tzinfo=UTC)
    assert local_date(late_evening_in_new_york, "America/New_York") == date(2026, 11, 24)


def test_iso_quarter() -> None:
    assert iso_quarter(date(2026, 1, 5)) == "2026-Q1"
    assert iso_quarter(date(2026, 11, 24)) == "2026-Q4"
    assert iso_quarter(date(2026, 12, 31)) == "2026-Q4"  # ISO week 53 stays in Q4


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)), st.integers(-240, 240))
def test_adding_months_is_what_relativedelta_makes_of_it(day: date, months: int) -> None:
    assert add_months.__wrapped__(day, months) == day + relativedelta(months=months)
