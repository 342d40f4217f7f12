"""Enrolment and follow-ups: decide for every patient, record sequences, queue the due steps."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.queue import SendQueue
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain import rules, sequences
from reactivation.domain.messages import MessageLibrary


@dataclass
class SegmentOutcome:
    practices: int = 0
    patients: int = 0
    enrolled: Counter[str] = field(default_factory=Counter)
    holdout: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    queued: int = 0

    def summary(self) -> dict[str, object]:
        return {
            "practices": self.practices,
            "patients": self.patients,
            "enrolled": dict(self.enrolled),
            "holdout": dict(self.holdout),
            "skipped": dict(self.skipped),
            "queued": self.queued,
        }


class SegmentService:
    def __init__(
        self,
        practices: PracticeRepository,
        patients: PatientRepository,
        consent: ConsentRepository,
        sequences: SequenceRepository,
        queue: SendQueue,
        library: MessageLibrary,
    ) -> None:
        self._practices = practices
        # A campaign is tried only once it has approved texts: nothing is enrolled that
        # the send function could not send.
        self._sendable = library.campaigns()
        self._patients = patients
        self._consent = consent
        self._sequences = sequences
        self._queue = queue

    def enrol(self, run_start: datetime) -> SegmentOutcome:
        """The weekly run: every practice's patients decided, the due ones enrolled and queued."""
        outcome = SegmentOutcome()
        for practice_id in self._practices.all_ids():
            practice = self._practices.get(practice_id)
            if practice is None:
                continue
            settings = practice.campaign_settings(sendable=self._sendable)
            outcome.practices += 1
            for patient_id in self._patients.ids(practice_id):
                record = self._patients.record(practice_id, patient_id)
                if record is None:
                    continue
                outcome.patients += 1
                patient = record.patient
                opted_out = self._consent.opted_out(practice_id, (patient.mobile, patient.email))
                history = self._sequences.history(practice_id, patient_id, opted_out)
                decision = rules.decide(settings, record, history, run_start)
                if decision.campaign is None:
                    outcome.skipped[str(decision.skip)] += 1
                    continue
                if self._sequences.enrol(sequences.start(practice_id, decision, run_start)):
                    tally = outcome.holdout if decision.holdout else outcome.enrolled
                    tally[decision.campaign.value] += 1
            outcome.queued += self._queue_due(practice_id, run_start)
        return outcome

    def follow_ups(self, now: datetime) -> SegmentOutcome:
        """The frequent run: the steps that fell due, from the sparse index (no patient scan)."""
        outcome = SegmentOutcome()
        for practice_id in self._practices.all_ids():
            outcome.practices += 1
            outcome.queued += self._queue_due(practice_id, now)
        return outcome

    def _queue_due(self, practice_id: str, now: datetime) -> int:
        due = list(self._sequences.due(practice_id, now))
        # Queue first, then move each sequence on: a crash in between queues a step twice,
        # and the send function's claim on the job id sends it once.
        self._queue.enqueue([sequences.job_for_due_step(s, now) for s in due])
        for sequence in due:
            self._sequences.replace(sequence, sequences.after_step_queued(sequence))
        return len(due)
