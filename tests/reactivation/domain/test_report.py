"""The owner's email, read as a busy owner on a phone would: a headline that keeps bookings,
completed visits and revenue apart, a trend, what waits for the team, the lift in plain words,
one population per row (empty rows and columns dropped), every text paid for, dates and not
week numbers, and the same figures in the HTML and the plain text."""

import csv
import io
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from reactivation.domain.handoffs import HandoffReason
from reactivation.domain.metrics import (
    Figures,
    PaidText,
    Period,
    figures,
    lift,
    trend,
    waiting,
)
from reactivation.domain.report import (
    ReportWeek,
    WeeklyReport,
    due_week,
    headline,
    render,
    subject,
    table,
)
from reactivation.domain.sms import TextKind
from tests.builders import at
from tests.reactivation.domain.test_metrics import (
    COHORT,
    ENROLMENTS,
    HANDOFFS,
    NOW,
    REPLIES,
    SENT,
    WEEK,
    outcomes,
    outcomes_of,
)

REPORT_WEEK = ReportWeek(year=2026, week=48, timezone="America/New_York")
PAID = [PaidText(TextKind.ANSWER, 1, at("2026-11-24 09:01")),
        PaidText(TextKind.ANSWER, 2, at("2026-11-25 09:01"))]  # fmt: skip


def weekly(busy: bool = True, enough: bool = True, **changes: object) -> WeeklyReport:
    def period(start: str, end: str) -> Figures:
        return figures(
            Period(at(start), at(end)),
            enrolments=[e for e, _, _ in ENROLMENTS] if busy else [],
            sent=SENT if busy else [], replies=REPLIES if busy else [],
            outcomes=outcomes() if busy else [], handoffs=HANDOFFS if busy else [],
            corrections=2 if busy else 0, paid=PAID if busy else [],
        )  # fmt: skip

    weeks = [Period(WEEK.start - timedelta(weeks=n), WEEK.end - timedelta(weeks=n))
             for n in reversed(range(12))]  # fmt: skip
    report = WeeklyReport(
        practice_name="Bright Smile Dental",
        week=REPORT_WEEK,
        this_week=period("2026-11-23 00:00", "2026-11-30 00:00"),
        last_week=period("2026-11-16 00:00", "2026-11-23 00:00"),
        four_weeks=period("2026-11-02 00:00", "2026-11-30 00:00"),
        previous_four_weeks=period("2026-10-05 00:00", "2026-11-02 00:00"),
        lift=lift(outcomes_of(70, 56, 80, 48) if enough else [], COHORT),
        attribution_days=30,
        history_weeks=9 if busy else 1,
        trend=trend(outcomes() if busy else [], weeks,
                    at("2026-09-28 10:00") if busy else at("2026-11-24 10:00")),
        waiting=waiting(HANDOFFS if busy else [], NOW),
    )  # fmt: skip
    return replace(report, **changes)  # type: ignore[arg-type]


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


def test_the_subject_dates_the_week_and_separates_booked_completed_and_revenue() -> None:
    assert subject(weekly()) == (
        "Bright Smile Dental, week of Nov 23: 2 visits booked (Nov 27, Dec 2); "
        "1 visit completed, no revenue reported yet"
    )
    assert (
        subject(weekly(busy=False)) == "Bright Smile Dental, week of Nov 23: nothing sent this week"
    )
    assert "week 48" not in render(weekly()).text and "Week 48" not in render(weekly()).html


def test_bookings_whose_visits_have_not_happened_never_read_as_nothing_recovered() -> None:
    pending = weekly()
    pending = replace(pending, this_week=replace(pending.this_week, completed=0, revenue=0.0))
    assert headline(pending) == (
        "2 visits booked (Nov 27, Dec 2) · revenue counts when the visits happen"
    )
    done = replace(pending, this_week=replace(pending.this_week, rebooked=0, visits_booked=(),
                                              completed=4, revenue=1408.0))  # fmt: skip
    assert headline(done) == "$1,408 from 4 visits completed"
    many = replace(pending, this_week=replace(pending.this_week, rebooked=6, visits_booked=tuple(
        at(f"2026-12-0{d} 15:00") for d in range(1, 7))))  # fmt: skip
    assert headline(many).startswith("6 visits booked (Dec 1, Dec 2, Dec 3, Dec 4 and 2 more)")
    for report in (pending, done, many, weekly()):
        assert "recovered" not in subject(report)


def numbers(text: str) -> list[str]:
    return re.findall(r"\$?\d[\d,.]*%?", text)


def plain(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_html_and_text_hold_the_same_figures_and_no_patient_data() -> None:
    email = render(weekly())
    for part in (email.html, email.text):
        assert "<script" not in part and "<img" not in part
        assert "+1212" not in part and "P-1" not in part and "5550" not in part
    html, text = plain(email.html), re.sub(r"\s+", " ", email.text)
    shared = [
        "2 visits booked (Nov 27, Dec 2) · 1 visit completed, no revenue reported yet",
        "Without the texts, about 42 of these 56 bookings would have happened anyway; the "
        "texts added about 14 (somewhere between 4 and 23).",
        "Clinical team: 1 reply open, the oldest 4 days old",
        "4 texts this week (2 outreach texts, 2 answers and confirmations): 6 SMS segments, about "
        "$0.05 at $0.0079 a segment; 1 email.",
        "Nov 23 to Nov 29, 2026",
    ]
    for sentence in shared:
        assert sentence in html, sentence
        assert sentence in text, sentence
    for row in table(weekly()).rows:
        cells = " ".join(c.text for c in row.cells)
        assert all(n in numbers(html) for n in numbers(cells)), row.label
        assert re.search(re.escape(row.label) + r" \[\d+\] +" + r" +".join(
            re.escape(c.text) for c in row.cells), text), row.label  # fmt: skip
    # the trend: each week's bookings and revenue in both
    assert "Nov 23 2 $0 " in text and "Sep 28 0 $0 * first texts" in text
    assert "Sep 28 ★ first" in html


def test_every_row_counts_one_population_defined_in_a_footnote() -> None:
    result = table(weekly())
    assert len(result.footnotes) == len(result.rows)
    assert [row.note for row in result.rows] == list(range(1, len(result.rows) + 1))
    notes = " ".join(result.footnotes)
    assert "Follow-ups to patients due in earlier weeks count" in notes
    assert "within 7 days of that week's first message to them" in notes
    assert "Usually under 2%" in notes
    email = render(weekly())
    for n, note in enumerate(result.footnotes, start=1):
        assert f"[{n}] {note}" in email.text and note in plain(email.html)


def test_rows_and_columns_with_nothing_are_dropped_and_before_needs_8_weeks() -> None:
    # the four weeks before hold nothing here (no enrolment, message or booking): dropped
    assert table(weekly()).columns == ("This week", "Last week", "Last 4 weeks")
    before = weekly().four_weeks
    full = table(weekly(previous_four_weeks=before))
    assert full.columns == ("This week", "Last week", "Last 4 weeks", "4 weeks before")
    assert "Missed visits rebooked" in [r.label for r in full.rows]
    young = table(weekly(previous_four_weeks=before, history_weeks=7))
    assert "4 weeks before" not in young.columns
    # no missed visit anywhere: the "0 of 0" row goes
    quiet_missed = weekly()
    quiet_missed = replace(quiet_missed, **{
        name: replace(getattr(quiet_missed, name), missed_enrolled=0, missed_rebooked=0)
        for name in ("this_week", "last_week", "four_weeks", "previous_four_weeks")})  # fmt: skip
    assert "Missed visits rebooked" not in [r.label for r in table(quiet_missed).rows]
    assert "0 of 0" not in render(quiet_missed).html
    # the first week: no last week, no before, and no row of zeros or n/a
    first = table(weekly(busy=False, history_weeks=1))
    assert first.columns == ("This week",)
    assert all(not all(c.empty for c in r.cells) for r in first.rows)


def test_reached_is_labelled_sent_until_delivery_receipts_are_recorded() -> None:
    labels = [r.label for r in table(weekly()).rows]
    assert "Patients sent a message" in labels and "Patients reached" not in labels
    report = weekly()
    assert "Texts delivered" not in labels
    delivered = replace(report, this_week=replace(report.this_week, receipts=True, delivered=1))
    rows = {r.label: r for r in table(delivered).rows}
    assert "Patients reached" in rows
    sms = report.this_week.sms
    assert rows["Texts delivered"].cells[0].text == f"1 of {sms:,}"


def test_the_lift_in_plain_words_and_a_practice_without_holdout_is_told_how_to_measure_it() -> None:
    assert "points" not in render(weekly()).text and "95%" not in render(weekly()).html
    none_held = render(weekly(holdout_percent=0, enough=False))
    for part in (none_held.text, plain(none_held.html)):
        assert "The lift cannot be measured: no patient is held back" in part
        assert "set holdout_percent to 10" in part
        assert "Not enough data yet" not in part
    early = render(weekly(enough=False))
    assert "Not enough data yet" in early.text and "needs 30 in each group" in early.text


def test_the_opt_out_rate_has_its_reference_and_a_warning_above_5_percent() -> None:
    email = render(weekly())  # 1 of 3 patients this week
    for part in (email.text, plain(email.html)):
        assert "Opt-outs are at 33%, above 5% (practices usually see under 2%)" in part
        assert "campaigns.csv" in part
    low = weekly()
    low = replace(low, this_week=replace(low.this_week, opt_outs=0),
                  four_weeks=replace(low.four_weeks, opt_outs=1, reached_weeks=100))  # fmt: skip
    assert "above 5%" not in render(low).text


def test_what_holds_patients_back_shows_once_replies_carry_barriers() -> None:
    assert "What is holding patients back" not in render(weekly()).html
    report = weekly()
    barriers = {"cost": 3, "time_off": 1}
    named = replace(report, four_weeks=replace(report.four_weeks, barriers=barriers))
    email = render(named)
    assert "What is holding patients back" in email.html and "cost 3 · time off 1" in email.html
    assert "cost 3, time off 1" in email.text


def test_waiting_for_the_team_and_the_inbox_link_once_there_is_one() -> None:
    email = render(weekly())
    assert "Open the staff inbox" not in email.html
    linked = render(weekly(staff_inbox_url="https://inbox.example.com/bright-smile"))
    assert 'href="https://inbox.example.com/bright-smile"' in linked.html
    assert "Staff inbox: https://inbox.example.com/bright-smile" in linked.text
    nothing = render(weekly(waiting=waiting([], NOW)))
    assert "Nothing is waiting" in nothing.text and "Nothing is waiting" in nothing.html
    picked = HANDOFFS[0].model_copy(update={"closed_at": None})
    confirm = render(weekly(waiting=waiting([picked], NOW)))
    assert "Bookings to confirm: 1 (times patients picked by text; the oldest waiting 5 days)" in (
        confirm.text)  # fmt: skip


def test_the_csv_is_dated_as_the_text_is() -> None:
    email = render(weekly())
    rows = list(csv.DictReader(io.StringIO(email.csv)))
    week = {r["campaign"]: r for r in rows if r["period"] == "week"}
    assert week["missed_appointment"]["rebooked"] == "1"
    assert week["recall_due"]["reached"] == "2"
    assert {(r["period"], r["from"], r["to"]) for r in rows} == {
        ("week", "2026-11-23", "2026-11-29"),
        ("four_weeks", "2026-11-02", "2026-11-29"),
    }
    assert "Nov 23 to Nov 29, 2026" in email.text


def test_a_quiet_first_week_says_so_without_a_trend_or_empty_columns() -> None:
    quiet = render(weekly(busy=False, enough=False, history_weeks=1))
    assert "Nothing was sent this week" in quiet.text and "Nothing was sent this week" in quiet.html
    assert "Week by week" not in quiet.html and "Last week" not in quiet.text
    assert "Not enough data yet" in quiet.text


def test_acknowledgements_have_their_row_once_there_are_some() -> None:
    report = weekly()
    assert "Acknowledgements" not in [r.label for r in table(report).rows]
    thanked = replace(report, this_week=replace(report.this_week, acknowledgements=3))
    [row] = [r for r in table(thanked).rows if r.label == "Acknowledgements"]
    assert row.cells[0].text == "3"
    assert "only thanked or acknowledged" in " ".join(table(thanked).footnotes)


def test_questions_left_past_the_pause_are_named_in_what_waits() -> None:
    asked = HANDOFFS[0].model_copy(
        update={"reason": HandoffReason.QUESTION, "closed_at": None,
                "opened_at": NOW - timedelta(days=9)}
    )  # fmt: skip
    report = render(weekly(waiting=waiting([asked], NOW)))
    assert (
        "Unanswered for over 7 days: 1 question or reply; those patients' reminders went on "
        "without an answer" in report.text
    )


def test_patients_the_weekly_cap_held_back_are_reported_as_still_due() -> None:
    assert "Still due" not in render(weekly()).text
    email = render(weekly(still_due=1234, weekly_limit=150))
    line = (
        "Still due: 1,234 patients for next week; this week's new outreach was capped "
        "(at most 150 a week), so texts go out in manageable batches."
    )
    assert line in email.text and line.replace("'", "&#39;") in email.html
