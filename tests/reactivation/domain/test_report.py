"""The owner's email: the headline, the same numbers in HTML and text, the CSV, a quiet week."""

import csv
import io
import re
from datetime import UTC, datetime

import pytest

from reactivation.domain.metrics import Period, figures, lift
from reactivation.domain.report import ReportWeek, WeeklyReport, due_week, render, subject
from tests.builders import at
from tests.reactivation.domain.test_metrics import (
    COHORT,
    ENROLMENTS,
    HANDOFFS,
    REPLIES,
    SENT,
    WEEK,
    outcomes,
    outcomes_of,
)

REPORT_WEEK = ReportWeek(year=2026, week=48, timezone="America/New_York")


def weekly(busy: bool = True, enough: bool = True) -> WeeklyReport:
    def period(start: str, end: str) -> object:
        return figures(
            Period(at(start), at(end)),
            enrolments=[e for e, _, _ in ENROLMENTS] if busy else [],
            sent=SENT if busy else [], replies=REPLIES if busy else [],
            outcomes=outcomes() if busy else [], handoffs=HANDOFFS if busy else [],
            corrections=2 if busy else 0,
        )  # fmt: skip

    return WeeklyReport(
        practice_name="Bright Smile Dental",
        week=REPORT_WEEK,
        this_week=period("2026-11-23 00:00", "2026-11-30 00:00"),  # type: ignore[arg-type]
        last_week=period("2026-11-16 00:00", "2026-11-23 00:00"),  # type: ignore[arg-type]
        four_weeks=period("2026-11-02 00:00", "2026-11-30 00:00"),  # type: ignore[arg-type]
        previous_four_weeks=period("2026-10-05 00:00", "2026-11-02 00:00"),  # type: ignore[arg-type]
        lift=lift(outcomes_of(70, 56, 80, 48) if enough else [], COHORT),
        attribution_days=30,
    )


def test_the_week_is_the_practice_local_week_and_due_monday_at_seven() -> None:
    start, end = REPORT_WEEK.bounds()
    assert (start, end) == (
        datetime(2026, 11, 23, 5, tzinfo=UTC),
        datetime(2026, 11, 30, 5, tzinfo=UTC),
    )
    assert due_week(at("2026-11-30 06:59"), "America/New_York") is None
    assert due_week(at("2026-11-30 07:00"), "America/New_York") == REPORT_WEEK
    assert due_week(at("2026-12-02 15:00"), "America/New_York") == REPORT_WEEK  # catch-up
    # Honolulu's Monday 07:00 is 17:00 UTC; New York's has long passed
    assert due_week(at("2026-11-30 16:59", "UTC"), "Pacific/Honolulu") is None
    assert due_week(at("2026-11-30 17:00", "UTC"), "Pacific/Honolulu") is not None
    assert WEEK.start == start


def test_parse_refuses_a_week_that_does_not_exist() -> None:
    assert ReportWeek.parse("2026-W48", "UTC").label == "2026-W48"
    with pytest.raises(ValueError):
        ReportWeek.parse("2026-W54", "UTC")


def test_the_subject_says_the_headline_and_a_quiet_week_says_so() -> None:
    assert subject(weekly()) == "Bright Smile Dental, week 48: 2 patients rebooked, $0 recovered"
    assert subject(weekly(busy=False)) == "Bright Smile Dental, week 48: nothing sent this week"


def numbers(text: str) -> list[str]:
    return re.findall(r"\$?\d[\d,.]*%?", text)


def test_html_and_text_hold_the_same_numbers_and_no_patient_data() -> None:
    email = render(weekly())
    for html_or_text in (email.html, email.text):
        assert "<script" not in html_or_text and "<img" not in html_or_text
        assert "+1212" not in html_or_text and "P-1" not in html_or_text
    for figure in ["67%", "33%", "3.5 days", "+20 points", "+5 to +33", "about 14 bookings"]:
        assert figure in email.html, figure
    for figure in ["67%", "33%", "3.5 days", "+20 points", "+5 to +33", "about 14 extra bookings"]:
        assert figure in email.text, figure
    # every number of the table is in both parts, in the same order
    table_html = re.sub(r"<[^>]+>", " ", email.html.split("Patients due for outreach")[1]
                        .split("By campaign")[0])  # fmt: skip
    table_text = email.text.split("Patients due for outreach")[1].split("This week:")[0]
    html_numbers = numbers(table_html)
    text_numbers = numbers(table_text)
    assert len(text_numbers) >= 40  # ten rows of four periods
    assert all(n in html_numbers for n in text_numbers)


def test_the_csv_has_each_campaign_for_the_week_and_the_four_weeks() -> None:
    rows = list(csv.DictReader(io.StringIO(render(weekly()).csv)))
    week = {r["campaign"]: r for r in rows if r["period"] == "week"}
    assert week["missed_appointment"]["rebooked"] == "1"
    assert week["missed_appointment"]["completed"] == "1"
    assert week["recall_due"]["reached"] == "2"
    assert {r["period"] for r in rows} == {"week", "four_weeks"}


def test_a_quiet_week_and_too_little_data_say_so() -> None:
    quiet = render(weekly(busy=False, enough=False))
    assert "Nothing was sent this week" in quiet.text and "Nothing was sent this week" in quiet.html
    assert "Not enough data yet: 0 contacted and 0 held back" in quiet.text
    assert "Not enough data yet: 0 contacted and 0 held-back patients" in quiet.html
