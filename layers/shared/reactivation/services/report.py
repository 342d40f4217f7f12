"""The weekly owner report: for each practice whose Monday 07:00 has come, last week's
outcomes, attributed and compared with the holdout group, emailed once per practice and week;
one practice's failure never stops the others."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from reactivation.adapters.channels import Attachment, EmailChannel
from reactivation.adapters.enrolment_slots import WeeklySlots
from reactivation.adapters.handoffs import HandoffRepository
from reactivation.adapters.openings import OpeningRepository
from reactivation.adapters.outbox import OutboxRepository
from reactivation.adapters.outcomes import OutcomeRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.replies import ReplyRepository
from reactivation.adapters.reports import ReportRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain import metrics, report
from reactivation.domain.outcomes import KnownAppointment, Observed, Outcome, outcome
from reactivation.domain.practice import Practice

#: The lift is measured over the enrolments of the last 13 weeks (a quarter).
LIFT_WEEKS = 13


@dataclass
class ReportRunOutcome:
    sent: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    not_due: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # practice id -> error type


class ReportRunFailed(RuntimeError):
    """Some practices' reports failed; the others were sent. The next hourly run retries."""


@dataclass(frozen=True)
class ReportMailing:
    """Whom the reports come from, and what each shows unless its practice says otherwise: the
    price of an SMS segment (the practice's own price first) and the staff inbox's link."""

    sender: str
    segment_price: float | None = None
    staff_inbox_url: str | None = None


class ReportService:
    def __init__(
        self,
        *,
        practices: PracticeRepository,
        sequences: SequenceRepository,
        outbox: OutboxRepository,
        replies: ReplyRepository,
        handoffs: HandoffRepository,
        openings: OpeningRepository,
        outcomes: OutcomeRepository,
        reports: ReportRepository,
        email_channel: EmailChannel,
        mailing: ReportMailing,
    ) -> None:
        self._segment_price = mailing.segment_price or report.DEFAULT_SEGMENT_PRICE
        self._staff_inbox_url = mailing.staff_inbox_url
        self._practices = practices
        self._sequences = sequences
        self._outbox = outbox
        self._replies = replies
        self._handoffs = handoffs
        self._openings = openings
        self._outcomes = outcomes
        self._reports = reports
        self._email = email_channel
        self._sender = mailing.sender

    def build(
        self, practice: Practice, week: report.ReportWeek, now: datetime
    ) -> report.WeeklyReport:
        """The report of `week` as of `now`: bookings seen for the first time are kept, so
        that the next report counts them in the same week."""
        pid = practice.practice_id
        start, end = week.bounds()
        four = end - timedelta(weeks=4)
        since = end - timedelta(weeks=LIFT_WEEKS, days=practice.attribution_days)
        enrolments = self._sequences.started_between(pid, since, end)
        sent = self._outbox.messages_between(pid, since, end)
        first: dict[str, datetime] = {}
        for message in sent:
            first[message.sequence_id] = min(first.get(message.sequence_id, message.sent_at),
                                             message.sent_at)  # fmt: skip
        requests = self._openings.requested_between(pid, since, now)
        outcomes: list[Outcome] = []
        facts_by_patient: dict[str, tuple[list[KnownAppointment], dict[str, Observed]]] = {}
        for enrolment in enrolments:
            patient = enrolment.patient_id
            if patient not in facts_by_patient:
                facts_by_patient[patient] = self._outcomes.facts(pid, patient)
            appointments, observed = facts_by_patient[patient]
            result = outcome(
                enrolment, first.get(enrolment.sequence_id), appointments, requests,
                observed.get(enrolment.sequence_id), now=now,
                attribution_days=practice.attribution_days,
            )  # fmt: skip
            if result.booked_at is not None and enrolment.sequence_id not in observed:
                seen = Observed(result.appointment_id or "", result.booked_at)
                self._outcomes.observe(pid, patient, enrolment.sequence_id, seen, now)
            outcomes.append(result)
        # replies up to now: a reply counts for the message it answers (within a week of it)
        replies = self._replies.between(pid, four - timedelta(weeks=4), max(now, end))
        handoffs = self._handoffs.since(pid, four - timedelta(weeks=4))
        paid = self._outbox.texts_between(pid, four - timedelta(weeks=4), end)

        def period(a: datetime, b: datetime) -> metrics.Figures:
            return metrics.figures(
                metrics.Period(a, b), enrolments=enrolments, sent=sent, replies=replies,
                outcomes=outcomes, handoffs=handoffs,
                corrections=self._replies.corrections(pid, a, b), paid=paid,
            )  # fmt: skip

        first_sent = self._outbox.first_sent_at(pid)
        weeks = [metrics.Period(end - timedelta(weeks=n + 1), end - timedelta(weeks=n))
                 for n in reversed(range(report.TREND_WEEKS))]  # fmt: skip
        history = (
            0 if first_sent is None or first_sent >= end
            else report.TREND_WEEKS + 1 if first_sent < weeks[0].start
            else next(report.TREND_WEEKS - n for n, w in enumerate(weeks) if first_sent in w)
        )  # fmt: skip
        week_before = start - timedelta(weeks=1)
        slots = WeeklySlots.beside(self._sequences).week(pid, week.label)
        return report.WeeklyReport(
            practice_name=practice.name,
            week=week,
            this_week=period(start, end),
            last_week=period(week_before, start),
            four_weeks=period(four, end),
            previous_four_weeks=period(four - timedelta(weeks=4), four),
            lift=metrics.lift(outcomes, metrics.Period(end - timedelta(weeks=LIFT_WEEKS), end)),
            attribution_days=practice.attribution_days,
            history_weeks=history,
            trend=metrics.trend(outcomes, weeks, first_sent),
            waiting=metrics.waiting(handoffs, now),
            holdout_percent=practice.holdout_percent,
            segment_price=practice.sms_segment_price or self._segment_price,
            staff_inbox_url=self._staff_inbox_url,
            still_due=slots.still_due,
            weekly_limit=slots.limit,
        )

    def send(self, practice: Practice, built: report.WeeklyReport) -> str:
        email = report.render(built)
        return self._email.send(
            to=practice.owner_emails, sender=self._sender, subject=email.subject,
            text=email.text, html=email.html,
            attachments=[Attachment(email.csv_filename, email.csv.encode("utf-8"))],
        )  # fmt: skip

    def run(self, now: datetime) -> ReportRunOutcome:
        """Every practice whose report is due (last week's, from its Monday 07:00 local) and
        not yet sent: claimed first, so that a schedule firing twice sends it once."""
        outcome_ = ReportRunOutcome()
        for practice_id in self._practices.all_ids():
            practice = self._practices.get(practice_id)
            if practice is None:
                continue
            week = report.due_week(now, practice.timezone)
            if week is None:
                outcome_.not_due.append(practice_id)
                continue
            if not self._reports.claim(practice_id, week.label, now):
                outcome_.already_sent.append(practice_id)
                continue
            try:
                message_id = self.send(practice, self.build(practice, week, now))
            except Exception as error:  # one practice's failure must not stop the others
                self._reports.release(practice_id, week.label)
                outcome_.failed[practice_id] = type(error).__name__
                continue
            self._reports.sent(practice_id, week.label, message_id=message_id, at=now)
            outcome_.sent.append(practice_id)
        return outcome_
