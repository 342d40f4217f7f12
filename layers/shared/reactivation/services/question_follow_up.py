"""`question_follow_up` (campaigns.md): a patient whose question was answered (from the FAQ or
by staff), with no step left to send, and who has not booked within the practice's days, is
asked once whether they would like to book. The frequent follow-up run starts the due ones as
one-step sequences, so that the send function applies every guard and cap to the message."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.question_follow_ups import QuestionFollowUps
from reactivation.adapters.recipients import RecipientRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain import rules, sequences
from reactivation.domain.outreach import PatientFile, PendingFollowUp

ENROLLED = "enrolled"


class QuestionFollowUpService:
    def __init__(
        self,
        *,
        practices: PracticeRepository,
        patients: PatientRepository,
        recipients: RecipientRepository,
        follow_ups: QuestionFollowUps,
        sequences: SequenceRepository,
    ) -> None:
        self._practices = practices
        self._patients = patients
        self._recipients = recipients
        self._follow_ups = follow_ups
        self._sequences = sequences

    def start_due(self, practice_id: str, now: datetime) -> Counter[str]:
        """The practice's due follow-ups: each enrolled (its step due now) or dropped with
        its reason; counted by that outcome."""
        outcomes: Counter[str] = Counter()
        practice = self._practices.get(practice_id)
        if practice is None:
            return outcomes
        settings = practice.campaign_settings()
        for pending in self._follow_ups.due(practice_id, now):
            found = self._patients.file(practice_id, pending.patient_id)
            outcome = self._reason_not(found, pending)
            if outcome is None and found is not None:
                decision = rules.question_follow_up(settings, found.record, found.history, now)
                outcome = decision.skip.value if decision.skip is not None else None
                if outcome is None:
                    sequence = sequences.start(practice_id, decision, now, practice.timezone)
                    enrolled = self._sequences.enrol(sequence)
                    outcome = ENROLLED if enrolled else "in_sequence"
            if self._follow_ups.done(pending, now, outcome or ENROLLED):
                outcomes[outcome or ENROLLED] += 1
        return outcomes

    def _reason_not(self, found: PatientFile | None, pending: PendingFollowUp) -> str | None:
        """Why the conversation no longer calls for it: the patient is gone, or wrote again
        after the answer (what they wrote was read and acted on by itself)."""
        if found is None:
            return "unknown_patient"
        mobile = found.record.patient.mobile
        if mobile is not None:
            recipient = self._recipients.read(pending.practice_id, mobile)
            if any(at > pending.answered_at for at, _, _ in recipient.replies):
                return "wrote_again"
        return None
