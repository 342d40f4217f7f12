from datetime import UTC, datetime

import pytest

from reactivation.domain.report import ReportWeek, WeeklyFigures, render, subject

WEEK = ReportWeek(year=2026, week=48, timezone="America/New_York")


def figures(**counts: int) -> WeeklyFigures:
    values = {"sms_sent": 0, "sms_segments": 0, "emails_sent": 0, "replies": 0, "opt_outs": 0}
    values.update(counts)
    return WeeklyFigures(practice_name="Bright Smile Dental", week=WEEK, **values)


def test_the_week_is_the_practice_local_week() -> None:
    start, end = WEEK.bounds()
    assert start == datetime(2026, 11, 23, 5, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 5, tzinfo=UTC)
    monday_morning = datetime(2026, 11, 30, 12, tzinfo=UTC)
    assert ReportWeek.last_complete(monday_morning, "America/New_York") == WEEK


def test_parse_refuses_a_week_that_does_not_exist() -> None:
    assert ReportWeek.parse("2026-W48", "UTC").label == "2026-W48"
    with pytest.raises(ValueError):
        ReportWeek.parse("2026-W54", "UTC")


def test_subject_says_the_headline_and_a_quiet_week_says_so() -> None:
    busy = figures(sms_sent=11, emails_sent=1, replies=1, opt_outs=2)
    assert subject(busy) == ("Bright Smile Dental, week 48: 12 messages sent, 1 reply, 2 opt-outs")
    assert subject(figures()) == "Bright Smile Dental: nothing sent in week 48"


def test_the_email_has_counts_only_in_html_and_text() -> None:
    email = render(figures(sms_sent=3, sms_segments=4, emails_sent=2, replies=1, opt_outs=1))
    assert "<script" not in email.html and "<img" not in email.html
    assert "3 (4)" in email.html
    assert "Messages sent: 5 (3 SMS in 4 segments, 2 emails)" in email.text
    quiet = render(figures())
    assert "Nothing was sent this week" in quiet.text and "Nothing was sent" in quiet.html
