"""The weekly owner report for every practice: once per practice and week, failures isolated."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from reactivation.adapters.channels import EmailChannel
from reactivation.adapters.outbox import OutboxRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.replies import ReplyRepository
from reactivation.adapters.reports import ReportRepository
from reactivation.domain import report
from reactivation.domain.models import Channel, Practice


@dataclass
class ReportRunOutcome:
    sent: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # practice id -> error type


class ReportRunFailed(RuntimeError):
    """Some practices' reports failed; the others were sent. The schedule's retry resends them."""


class ReportService:
    def __init__(
        self,
        *,
        practices: PracticeRepository,
        outbox: OutboxRepository,
        replies: ReplyRepository,
        reports: ReportRepository,
        email_channel: EmailChannel,
        sender: str,
    ) -> None:
        self._practices = practices
        self._outbox = outbox
        self._replies = replies
        self._reports = reports
        self._email = email_channel
        self._sender = sender

    def figures(self, practice: Practice, week: report.ReportWeek) -> report.WeeklyFigures:
        start, end = week.bounds()
        sent = self._outbox.sent_between(practice.practice_id, start, end)
        sms = [m for m in sent if m["channel"] is Channel.SMS]
        return report.WeeklyFigures(
            practice_name=practice.name,
            week=week,
            sms_sent=len(sms),
            sms_segments=sum(m["segments"] for m in sms),
            emails_sent=len(sent) - len(sms),
            replies=self._replies.count(practice.practice_id, start, end),
            opt_outs=self._replies.opt_outs(practice.practice_id, start, end),
        )

    def run(self, now: datetime) -> ReportRunOutcome:
        outcome = ReportRunOutcome()
        for practice_id in self._practices.all_ids():
            practice = self._practices.get(practice_id)
            if practice is None:
                continue
            week = report.ReportWeek.last_complete(now, practice.timezone)
            if not self._reports.claim(practice_id, week.label, now):
                outcome.already_sent.append(practice_id)
                continue
            try:
                email = report.render(self.figures(practice, week))
                message_id = self._email.send(
                    to=practice.owner_emails,
                    sender=self._sender,
                    subject=email.subject,
                    text=email.text,
                    html=email.html,
                )
            except Exception as error:  # one practice's failure must not stop the others
                self._reports.release(practice_id, week.label)
                outcome.failed[practice_id] = type(error).__name__
                continue
            self._reports.sent(practice_id, week.label, message_id=message_id, at=now)
            outcome.sent.append(practice_id)
        return outcome
