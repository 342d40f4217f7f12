"""The weekly owner report: the week's figures, its subject line and its HTML and text bodies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment


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


@dataclass(frozen=True)
class WeeklyFigures:
    practice_name: str
    week: ReportWeek
    sms_sent: int
    sms_segments: int
    emails_sent: int
    replies: int
    opt_outs: int

    @property
    def messages_sent(self) -> int:
        return self.sms_sent + self.emails_sent

    @property
    def quiet(self) -> bool:
        return self.messages_sent == 0 and self.replies == 0 and self.opt_outs == 0


@dataclass(frozen=True)
class ReportEmail:
    subject: str
    text: str
    html: str


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def subject(figures: WeeklyFigures) -> str:
    if figures.quiet:
        return f"{figures.practice_name}: nothing sent in week {figures.week.week}"
    return (
        f"{figures.practice_name}, week {figures.week.week}: "
        f"{_plural(figures.messages_sent, 'message', 'messages')} sent, "
        f"{_plural(figures.replies, 'reply', 'replies')}, "
        f"{_plural(figures.opt_outs, 'opt-out', 'opt-outs')}"
    )


def render(figures: WeeklyFigures) -> ReportEmail:
    environment = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)
    package = resources.files("reactivation").joinpath("templates")
    context = {"f": figures, "subject": subject(figures)}
    html = environment.from_string(package.joinpath("report.html.j2").read_text("utf-8"))
    environment_text = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    text = environment_text.from_string(package.joinpath("report.txt.j2").read_text("utf-8"))
    return ReportEmail(
        subject=subject(figures), text=text.render(context), html=html.render(context)
    )
