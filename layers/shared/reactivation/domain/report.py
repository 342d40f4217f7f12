"""The weekly owner report: the week's figures, its subject line and its HTML and text bodies."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from reactivation.domain import budget
from reactivation.domain.handoffs import Team
from reactivation.domain.metrics import Figures, Lift, TrendWeek, Waiting


@dataclass(frozen=True)
class ReportWeek:
    """An ISO week in the practice's timezone."""

    year: int
    week: int
    timezone: str

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def first_day(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=6)

    @property
    def title(self) -> str:
        """ "week of Nov 23" (the Monday it began)."""
        return f"week of {short_date(self.first_day)}"

    def bounds(self) -> tuple[datetime, datetime]:
        """The week's start and end instants (end excluded), in UTC."""
        zone = ZoneInfo(self.timezone)
        start = datetime.combine(self.first_day, time(0), zone)
        end = datetime.combine(self.first_day + timedelta(days=7), time(0), zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    @classmethod
    def parse(cls, label: str, timezone: str) -> ReportWeek:
        year, _, week = label.partition("-W")
        parsed = cls(year=int(year), week=int(week), timezone=timezone)
        date.fromisocalendar(parsed.year, parsed.week, 1)  # refuses W54 and the like
        return parsed

    @classmethod
    def last_complete(cls, now: datetime, timezone: str) -> ReportWeek:
        """The latest week that has ended by `now` in the practice's timezone."""
        today = now.astimezone(ZoneInfo(timezone)).date()
        year, week, _ = (today - timedelta(days=7)).isocalendar()
        return cls(year=year, week=week, timezone=timezone)


#: The owner's report goes at 07:00 local time on Monday (or later that week, if missed).
REPORT_HOUR = 7


def due_week(now: datetime, timezone: str) -> ReportWeek | None:
    """The week whose report is due at `now` in the practice's timezone: last week's, from
    Monday 07:00 local (None before that on Monday: last week's report is not due yet)."""
    local = now.astimezone(ZoneInfo(timezone))
    if local.weekday() == 0 and local.hour < REPORT_HOUR:
        return None
    return ReportWeek.last_complete(now, timezone)


#: An opt-out rate this high needs a look; practices usually see under 2%.
OPT_OUT_USUAL = 0.02
OPT_OUT_WARNING = 0.05
#: The "4 weeks before" column appears once this many weeks of outreach are behind it.
HISTORY_FOR_BEFORE = 8
#: The trend covers this many weeks.
TREND_WEEKS = 12
#: The default estimated price of one SMS segment: the budget's (one price for both).
DEFAULT_SEGMENT_PRICE = budget.DEFAULT_SEGMENT_PRICE


@dataclass(frozen=True)
class WeeklyReport:
    """Everything the owner's email says: the week against the week before, the trailing four
    weeks (and the four before, once there is that much history), the trend, what waits for
    the team, and the lift over the holdout group."""

    practice_name: str
    week: ReportWeek
    this_week: Figures
    last_week: Figures
    four_weeks: Figures
    previous_four_weeks: Figures
    lift: Lift
    attribution_days: int
    #: Weeks of outreach up to and including this one (the first week's report: 1).
    history_weeks: int = TREND_WEEKS + 1
    trend: tuple[TrendWeek, ...] = ()
    waiting: Waiting = field(default_factory=Waiting)
    holdout_percent: int = 10
    #: The practice's price of one SMS segment (an estimate of what the texts cost).
    segment_price: float = DEFAULT_SEGMENT_PRICE
    #: Where the team answers what waits for it (the staff inbox), once there is one.
    staff_inbox_url: str | None = None
    #: Patients due this week whom the weekly cap (or the pilot) left for next week.
    still_due: int = 0
    #: The week's limit on new sequences (None: the weekly run did not reach it).
    weekly_limit: int | None = None

    @property
    def quiet(self) -> bool:
        return self.this_week.quiet

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.week.timezone)


@dataclass(frozen=True)
class ReportEmail:
    subject: str
    text: str
    html: str
    csv: str

    @property
    def csv_filename(self) -> str:
        return "campaigns.csv"


def plural(count: int, one: str, many: str | None = None) -> str:
    """ "1 visit", "3 visits", "1,204 replies"."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def short_date(day: date) -> str:
    """ "Jan 4" (no leading zero)."""
    return f"{day:%b} {day.day}"


def money(amount: float) -> str:
    return f"${amount:,.0f}"


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def change(now: float, before: float, *, as_money: bool = False) -> str:
    """ "+3", "-$120", "same" against the previous period."""
    delta = now - before
    if abs(delta) < 0.005:
        return "same"
    sign = "+" if delta > 0 else "-"
    return f"{sign}{money(abs(delta))}" if as_money else f"{sign}{abs(delta):,.0f}"


def hours(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0f} h" if value < 48 else f"{value / 24:.1f} days"


def age(value: float) -> str:
    """An age for a person: "5 hours", "1 day", "3 days"."""
    if value < 24:
        return plural(max(int(value), 1), "hour")
    return plural(int(value // 24), "day")


def headline(report: WeeklyReport, separator: str = " · ") -> str:
    """ "3 visits booked (Dec 15, Dec 18, Jan 4) · $1,408 from 4 visits completed": bookings,
    completed visits and their revenue apart; never "$0 recovered" while visits are pending."""
    week = report.this_week
    parts = []
    if week.rebooked:
        days = [short_date(v.astimezone(report.zone).date()) for v in week.visits_booked]
        shown = ", ".join(days[:4]) + (f" and {len(days) - 4} more" if len(days) > 4 else "")
        parts.append(f"{plural(week.rebooked, 'visit')} booked" + (f" ({shown})" if days else ""))
    if week.completed and week.revenue:
        parts.append(f"{money(week.revenue)} from {plural(week.completed, 'visit')} completed")
    elif week.completed:  # the visits happened; the practice's system reported no billing yet
        parts.append(f"{plural(week.completed, 'visit')} completed, no revenue reported yet")
    elif week.rebooked:
        parts.append("revenue counts when the visits happen")
    if not parts:
        return "no new bookings this week"
    return separator.join(parts)


def subject(report: WeeklyReport) -> str:
    title = f"{report.practice_name}, {report.week.title}"
    if report.quiet:
        return f"{title}: nothing sent this week"
    return f"{title}: {headline(report, '; ')}"  # ASCII: a subject is folded and encoded


@dataclass(frozen=True)
class Cell:
    text: str
    #: Zero, or nothing to divide by: a row or column of these says nothing and is dropped.
    empty: bool


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[Cell, ...]
    note: int  # the footnote that defines its population (1-based)


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    footnotes: tuple[str, ...]


#: A cell with nothing to show in a row that has something elsewhere.
NOTHING = "\u2013"  # an en dash


def _count(value: int) -> Cell:
    return Cell(f"{value:,}", value == 0)


def _maybe(text: str, empty: bool) -> Cell:
    return Cell(NOTHING if empty else text, empty)


def table(report: WeeklyReport) -> Table:
    """The figures, one population per row (each defined by its footnote); the rows and
    columns that hold only zeros or n/a are dropped; the first week has its own column only,
    and the four weeks before appear once there are HISTORY_FOR_BEFORE weeks of outreach."""
    periods: list[tuple[str, Figures]] = [("This week", report.this_week)]
    if report.history_weeks > 1:  # in the first week, the others would repeat it or be empty
        periods += [("Last week", report.last_week), ("Last 4 weeks", report.four_weeks)]
    if report.history_weeks >= HISTORY_FOR_BEFORE:
        periods.append(("4 weeks before", report.previous_four_weeks))
    receipts = any(f.receipts for _, f in periods)
    days = report.attribution_days
    definitions: list[tuple[str, str, list[Cell]]] = [
        ("Patients due",
         "Patients due: patients who entered a campaign in the period, including those held "
         "back on purpose to measure the lift.",
         [_count(f.eligible) for _, f in periods]),
        ("Patients reached" if receipts else "Patients sent a message",
         ("Patients reached: patients the carrier delivered a message to in the period."
          if receipts else "Patients sent a message: patients sent at least one message in the "
          "period (labelled sent until the carrier's delivery receipts are recorded).")
         + " Follow-ups to patients due in earlier weeks count, so this can exceed the patients "
         "due.",
         [_count(f.reached) for _, f in periods]),
        ("Texts delivered",
         "Texts delivered: outreach texts sent in the period whose carrier confirmed delivery, "
         "of those sent (shown once delivery receipts are recorded).",
         [_maybe(f"{f.delivered:,} of {f.sms:,}", not receipts or f.sms == 0)
          for _, f in periods]),
        ("Replied",
         "Replied: of the patients messaged in a week, the share who replied within 7 days "
         "of that week's first message to them (over 4 weeks, week by week added up).",
         [_maybe(percent(f.response_rate), f.response_rate is None) for _, f in periods]),
        ("Acknowledgements",
         "Acknowledgements: replies that only thanked or acknowledged (\"thanks\", \"ok\", a "
         "thumbs-up after a confirmation or an answer): stored, nobody notified.",
         [_count(f.acknowledgements) for _, f in periods]),
        ("Visits booked",
         f"Visits booked: bookings credited to the texts (made within {days} days of the first "
         "message), counted in the week they were made.",
         [_count(f.rebooked) for _, f in periods]),
        ("Missed visits rebooked",
         "Missed visits rebooked: of the patients who missed a visit in the period, those who "
         "booked again in it.",
         [_maybe(f"{f.missed_rebooked} of {f.missed_enrolled}", f.missed_enrolled == 0)
          for _, f in periods]),
        ("Days to booking (median)",
         "Days to booking: from the first message to the booking, the median of the bookings "
         "made in the period.",
         [_maybe(hours(f.median_hours_to_booking), f.median_hours_to_booking is None)
          for _, f in periods]),
        ("Visits completed",
         "Visits completed: credited visits that took place in the period.",
         [_count(f.completed) for _, f in periods]),
        ("Revenue",
         "Revenue: what those completed visits billed, counted the week of the visit.",
         [Cell(money(f.revenue), f.revenue == 0) for _, f in periods]),
        ("Opt-out rate",
         "Opt-out rate: patients who replied STOP, as a share of the patients messaged "
         "(week by week, as for replies). Usually under 2%.",
         [_maybe(percent(f.opt_out_rate), f.opt_out_rate is None) for _, f in periods]),
        ("Texts paid for",
         "Texts paid for: every text the practice's number sent (outreach, answers, "
         "confirmations, staff replies).",
         [_count(f.texts_paid) for _, f in periods]),
        ("Emails sent", "Emails sent: outreach emails.", [_count(f.emails) for _, f in periods]),
    ]  # fmt: skip
    kept = [d for d in definitions if not all(c.empty for c in d[2])]
    columns = [
        n for n in range(len(periods)) if not all(cells[n].empty for _, _, cells in kept)
    ] or [0]
    rows = tuple(
        Row(label, tuple(cells[n] for n in columns), number)
        for number, (label, _, cells) in enumerate(kept, start=1)
    )
    return Table(tuple(periods[n][0] for n in columns), rows, tuple(d[1] for d in kept))


def lift_sentences(report: WeeklyReport) -> tuple[str, str]:
    """The lift in plain words: what the texts added, then what it rests on."""
    lift = report.lift
    if report.holdout_percent == 0:
        return (
            "The lift cannot be measured: no patient is held back (your holdout is 0%).",
            "To measure it, set holdout_percent to 10 in your practice settings: one patient in "
            "ten who is due is then left uncontacted, and their bookings show what would have "
            "happened without the texts.",
        )
    if not lift.enough_data or lift.bookings_anyway is None or lift.extra_range is None:
        return (
            "Not enough data yet to say how many bookings the texts added.",
            f"Over the last 13 weeks: {plural(lift.contacted, 'patient')} contacted and "
            f"{lift.holdout} held back on purpose; the comparison needs 30 in each group.",
        )
    low, high = lift.extra_range
    anyway = lift.bookings_anyway
    added = lift.contacted_booked - round(anyway)
    low_text = "none" if low < 0.5 else f"{low:.0f}"
    return (
        f"Without the texts, about {anyway:.0f} of these {lift.contacted_booked} bookings would "
        f"have happened anyway; the texts added about {added} (somewhere between {low_text} "
        f"and {high:.0f}).",
        f"Over the last 13 weeks {percent(lift.contacted_rate)} of the {lift.contacted} patients "
        f"texted booked within {report.attribution_days} days, against "
        f"{percent(lift.holdout_rate)} of the {lift.holdout} held back on purpose.",
    )


def opt_out_warning(report: WeeklyReport) -> str | None:
    """Above OPT_OUT_WARNING (the week or the four weeks), where to look."""
    worst = max((r for r in (report.this_week.opt_out_rate, report.four_weeks.opt_out_rate)
                 if r is not None), default=None)  # fmt: skip
    if worst is None or worst <= OPT_OUT_WARNING:
        return None
    return (
        f"Opt-outs are at {percent(worst)}, above 5% (practices usually see under 2%). Look at "
        "which campaign they answered (campaigns.csv) and at your export: old mobile numbers "
        "and patients who moved away opt out most."
    )


_TEAMS = {Team.FRONT_DESK: "Front desk", Team.CLINICAL: "Clinical team",
          Team.MANAGER: "Owners (complaints)"}  # fmt: skip

_TEXT_KINDS = {"outreach": ("outreach text", "outreach texts"),
               "answer": ("answer or confirmation", "answers and confirmations"),
               "staff_reply": ("staff reply", "staff replies")}  # fmt: skip


def waiting_lines(report: WeeklyReport) -> list[str]:
    w = report.waiting
    lines = [
        f"{_TEAMS[t.team]}: {plural(t.open, 'reply', 'replies')} open, the oldest "
        f"{age(t.oldest_hours)} old"
        for t in w.teams
    ]
    if w.bookings_to_confirm and w.oldest_booking_hours is not None:
        lines.append(
            f"Bookings to confirm: {w.bookings_to_confirm:,} (times patients picked by text; "
            f"the oldest waiting {age(w.oldest_booking_hours)})"
        )
    if w.past_the_pause:
        asked = plural(w.past_the_pause, "question or reply", "questions or replies")
        lines.append(
            f"Unanswered for over 7 days: {asked}; those patients' reminders went on without "
            "an answer"
        )
    return lines


def still_due_line(report: WeeklyReport) -> str | None:
    """The patients the weekly cap held back (no blasts): they wait for next week's run."""
    if not report.still_due:
        return None
    limit = f" (at most {report.weekly_limit:,} a week)" if report.weekly_limit else ""
    return (
        f"Still due: {plural(report.still_due, 'patient')} for next week; this week's new "
        f"outreach was capped{limit}, so texts go out in manageable batches."
    )


def texts_line(report: WeeklyReport) -> str:
    """This week's texts, by kind, with segments and the estimated cost."""
    week = report.this_week
    kinds = ", ".join(plural(count, *_TEXT_KINDS[kind.value]) for kind, count in week.texts.items())
    cost = week.segments_paid * report.segment_price
    return (
        f"{plural(week.texts_paid, 'text')} this week ({kinds or 'none'}): "
        f"{plural(week.segments_paid, 'SMS segment')}, about ${cost:,.2f} at "
        f"${report.segment_price:g} a segment"
        + (f"; {plural(week.emails, 'email')}" if week.emails else "")
        + "."
    )


def trend_rows(report: WeeklyReport) -> list[dict[str, object]]:
    """The weeks from the first outreach on (at most TREND_WEEKS), each with its bars' widths
    (percent of the busiest week)."""
    weeks = list(report.trend)
    firsts = [n for n, t in enumerate(weeks) if t.first_outreach]
    if firsts:
        weeks = weeks[firsts[0] :]
    most_booked = max([t.booked for t in weeks] + [1])
    most_revenue = max([t.revenue for t in weeks] + [1.0])
    return [
        {
            "label": short_date(t.start.astimezone(report.zone).date()),
            "booked": t.booked, "revenue": money(t.revenue), "first": t.first_outreach,
            "booked_width": round(t.booked * 100 / most_booked),
            "revenue_width": round(t.revenue * 100 / most_revenue),
        }
        for t in weeks
    ]  # fmt: skip


def campaign_rows(report: WeeklyReport) -> list[dict[str, str]]:
    """The per-campaign figures, this week and the four weeks (the CSV attachment), dated as
    the text is: the practice's local days, first and last included."""
    last = report.week.last_day.isoformat()
    four_first = report.week.first_day - timedelta(weeks=3)
    spans = (
        ("week", report.this_week, report.week.first_day),
        ("four_weeks", report.four_weeks, four_first),
    )
    rows = []
    for label, figures, first in spans:
        for c in figures.by_campaign:
            rows.append({
                "period": label, "from": first.isoformat(), "to": last,
                "campaign": c.campaign.value, "eligible": str(c.eligible),
                "reached": str(c.reached), "replied": str(c.replied),
                "rebooked": str(c.rebooked), "completed": str(c.completed),
                "revenue": f"{c.revenue:.2f}",
            })  # fmt: skip
    return rows


def render(report: WeeklyReport) -> ReportEmail:
    """The subject, the HTML (tables, inline CSS, bars drawn with table cells: Gmail and
    Outlook), the plain text with the same numbers, and the CSV of the campaigns."""
    package = resources.files("reactivation").joinpath("templates")
    context = {
        "r": report, "w": report.this_week, "m": report.four_weeks, "subject": subject(report),
        "headline": headline(report), "table": table(report), "lift": lift_sentences(report),
        "opt_out_warning": opt_out_warning(report), "waiting": waiting_lines(report),
        "texts": texts_line(report), "still_due": still_due_line(report),
        "trend": trend_rows(report), "money": money,
        "percent": percent, "hours": hours, "plural": plural, "reasons": _REASON_LABELS,
        "first_day": short_date(report.week.first_day),
        "last_day": f"{short_date(report.week.last_day)}, {report.week.last_day.year}",
    }  # fmt: skip
    html_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)
    text_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    html = html_env.from_string(package.joinpath("report.html.j2").read_text("utf-8"))
    text = text_env.from_string(package.joinpath("report.txt.j2").read_text("utf-8"))
    out = io.StringIO()
    columns = ["period", "from", "to", "campaign", "eligible", "reached", "replied", "rebooked",
               "completed", "revenue"]  # fmt: skip
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(campaign_rows(report))
    return ReportEmail(
        subject=subject(report), text=text.render(context), html=html.render(context),
        csv=out.getvalue(),
    )  # fmt: skip


_REASON_LABELS = {
    "clinical": "Clinical questions",
    "sensitive": "Personal (handled with care)",
    "complaint": "Complaints",
    "billing": "Billing",
    "question": "Questions",
    "other": "Unclear replies",
    "unknown_number": "Unknown numbers",
    "opt_out_note": "Opt-outs with a note",
    "booking": "Yes, no openings known",
    "booking_request": "Bookings to confirm",
    "booking_to_confirm": "Booked by the patient, to confirm",
}
