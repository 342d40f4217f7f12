"""The weekly owner report: the week's figures, its subject line and its HTML and text bodies."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from reactivation.domain.metrics import Figures, Lift


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


@dataclass(frozen=True)
class WeeklyReport:
    """Everything the owner's email says: the week against the week before, the trailing four
    weeks against the four before, and the lift over the holdout group."""

    practice_name: str
    week: ReportWeek
    this_week: Figures
    last_week: Figures
    four_weeks: Figures
    previous_four_weeks: Figures
    lift: Lift
    attribution_days: int

    @property
    def quiet(self) -> bool:
        return self.this_week.quiet


@dataclass(frozen=True)
class ReportEmail:
    subject: str
    text: str
    html: str
    csv: str

    @property
    def csv_filename(self) -> str:
        return "campaigns.csv"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


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


def subject(report: WeeklyReport) -> str:
    week = report.this_week
    if report.quiet:
        return f"{report.practice_name}, week {report.week.week}: nothing sent this week"
    return (
        f"{report.practice_name}, week {report.week.week}: "
        f"{_plural(week.rebooked, 'patient', 'patients')} rebooked, "
        f"{money(week.revenue)} recovered"
    )


def hours(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0f} h" if value < 48 else f"{value / 24:.1f} days"


def campaign_rows(report: WeeklyReport) -> list[dict[str, str]]:
    """The per-campaign figures, this week and the four weeks (the CSV attachment)."""
    rows = []
    for label, figures in (("week", report.this_week), ("four_weeks", report.four_weeks)):
        for c in figures.by_campaign:
            rows.append({
                "period": label, "from": figures.period.start.date().isoformat(),
                "to": figures.period.end.date().isoformat(), "campaign": c.campaign.value,
                "eligible": str(c.eligible), "reached": str(c.reached),
                "replied": str(c.replied), "rebooked": str(c.rebooked),
                "completed": str(c.completed), "revenue": f"{c.revenue:.2f}",
            })  # fmt: skip
    return rows


def render(report: WeeklyReport) -> ReportEmail:
    """The subject, the HTML (tables, inline CSS, bars drawn with table cells: Gmail and
    Outlook), the plain text with the same numbers, and the CSV of the campaigns."""
    package = resources.files("reactivation").joinpath("templates")
    context = {
        "r": report, "w": report.this_week, "lw": report.last_week, "m": report.four_weeks,
        "pm": report.previous_four_weeks, "lift": report.lift, "subject": subject(report),
        "money": money, "percent": percent, "change": change, "hours": hours,
        "reasons": _REASON_LABELS,
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
}
