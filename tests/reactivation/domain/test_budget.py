"""The monthly SMS budget: its boundary, and the month in the practice's own timezone."""

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from reactivation.domain.budget import SmsBudget, budget_month, next_month_start

PRICES = st.sampled_from([0.0079, 0.00581, 0.01, 0.0083, 0.75])


@given(PRICES, st.integers(min_value=1, max_value=200_000), st.integers(0, 200_000),
       st.integers(1, 10))  # fmt: skip
def test_the_month_may_reach_the_budget_never_pass_it(
    price: float, affordable: int, used: int, segments: int
) -> None:
    budget = SmsBudget(monthly_usd=round(affordable * price, 6), segment_price=price)
    # exactly `affordable` segments fit, whatever the float rounding of the product
    assert budget.allows(used, segments) is (used + segments <= affordable)


def test_a_budget_at_one_text_takes_one_text_and_not_a_second() -> None:
    budget = SmsBudget(monthly_usd=0.0079)  # the default price of one segment
    assert budget.allows(0, 1) and not budget.allows(1, 1) and not budget.allows(0, 2)
    assert budget.spent(3) == 0.0237


def test_the_month_is_the_practice_s_and_the_next_starts_at_its_midnight() -> None:
    new_year_utc = datetime(2027, 1, 1, 3, 0, tzinfo=UTC)  # still December in New York
    assert budget_month(new_year_utc, "America/New_York") == "2026-12"
    assert budget_month(new_year_utc, "Europe/Madrid") == "2027-01"
    resumes = next_month_start(new_year_utc, "America/New_York")
    assert resumes.astimezone(UTC) == datetime(2027, 1, 1, 5, 0, tzinfo=UTC)
    later = next_month_start(datetime(2026, 3, 15, tzinfo=UTC), "America/Los_Angeles")
    assert later.astimezone(UTC) == datetime(2026, 4, 1, 7, 0, tzinfo=UTC)  # daylight time
