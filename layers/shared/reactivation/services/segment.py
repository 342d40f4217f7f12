"""Enrolment and follow-ups: the schedules fan out one unit of work per practice; a unit decides
for the practice's patients, records the enrolments and queues the due steps."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.queue import SegmentQueue, SendQueue
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain import rules, sequences
from reactivation.domain.messages import MessageLibrary
from reactivation.domain.models import CampaignSettings
from reactivation.events import SegmentRun, SegmentUnit


@dataclass
class SegmentOutcome:
    practices: int = 0
    patients: int = 0
    enrolled: Counter[str] = field(default_factory=Counter)
    holdout: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    queued: int = 0
    #: The practice's patients did not fit in this invocation: the next page is queued.
    paged: bool = False

    def add(self, other: SegmentOutcome) -> None:
        self.practices += other.practices
        self.patients += other.patients
        self.enrolled += other.enrolled
        self.holdout += other.holdout
        self.skipped += other.skipped
        self.queued += other.queued

    def summary(self) -> dict[str, object]:
        return {
            "paged": self.paged,
            "practices": self.practices,
            "patients": self.patients,
            "enrolled": dict(self.enrolled),
            "holdout": dict(self.holdout),
            "skipped": dict(self.skipped),
            "queued": self.queued,
        }


#: Seconds left in the invocation.
TimeLeft = Callable[[], float]


@dataclass
class PlanOutcome:
    """A schedule's run: which practices got a unit of work on the segment queue."""

    practices: int = 0
    units: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        return {"practices": self.practices, "units": len(self.units), "practice_ids": self.units}


class SegmentService:
    def __init__(
        self,
        practices: PracticeRepository,
        patients: PatientRepository,
        consent: ConsentRepository,
        sequences: SequenceRepository,
        queue: SendQueue,
        library: MessageLibrary,
        units: SegmentQueue | None = None,
        *,
        page_margin: float = 60.0,
    ) -> None:
        self._practices = practices
        # A campaign is tried only once it has approved texts: nothing is enrolled that
        # the send function could not send.
        self._sendable = library.campaigns()
        self._patients = patients
        self._consent = consent
        self._sequences = sequences
        self._queue = queue
        self._units = units
        self._page_margin = page_margin

    # -- the schedules: one unit of work per practice on the segment queue (the fan-out) --
    def plan(self, run: SegmentRun, scheduled_time: datetime) -> PlanOutcome:
        """The hourly enrolment schedule gives a unit to each practice whose own enrolment hour
        it is (Tuesday 10:00 in its timezone by default); the frequent follow-up schedule gives
        one to every practice. Each unit runs in its own invocation, in parallel."""
        if self._units is None:
            raise RuntimeError("planning needs the segment queue")
        outcome = PlanOutcome()
        units = []
        for practice_id in self._practices.all_ids():
            outcome.practices += 1
            if run is SegmentRun.ENROLMENT:
                practice = self._practices.get(practice_id)
                if practice is None or not practice.enrolment_due(scheduled_time):
                    continue
            units.append(SegmentUnit(run=run, practice_id=practice_id, run_start=scheduled_time))
            outcome.units.append(practice_id)
        self._units.enqueue(units)
        return outcome

    def run_unit(self, unit: SegmentUnit, time_left: TimeLeft) -> SegmentOutcome:
        if unit.run is SegmentRun.FOLLOW_UPS:
            outcome = SegmentOutcome(practices=1)
            outcome.queued = self._queue_due(unit.practice_id, unit.run_start)
            return outcome
        return self.enrol_practice(unit, time_left)

    # -- one practice ----------------------------------------------------------------
    def enrol_practice(self, unit: SegmentUnit, time_left: TimeLeft) -> SegmentOutcome:
        """Decides for the practice's patients after `unit.after`, enrols the due ones and
        queues their first messages. When the invocation's time runs short, the rest goes
        on the segment queue as the next page; a page run again (a retry) changes nothing."""
        outcome = SegmentOutcome(practices=1)
        practice = self._practices.get(unit.practice_id)
        if practice is None:
            return outcome
        settings = practice.campaign_settings(sendable=self._sendable)
        run_start = unit.run_start
        for patient_id in self._patients.ids(unit.practice_id, unit.after):
            self._decide_and_enrol(settings, patient_id, run_start, outcome)
            if self._units is not None and time_left() < self._page_margin:
                self._units.enqueue([unit.model_copy(update={"after": patient_id})])
                outcome.paged = True
                break
        outcome.queued += self._queue_due(unit.practice_id, run_start)
        return outcome

    def _decide_and_enrol(
        self,
        settings: CampaignSettings,
        patient_id: str,
        run_start: datetime,
        outcome: SegmentOutcome,
    ) -> None:
        practice_id = settings.practice_id
        record = self._patients.record(practice_id, patient_id)
        if record is None:
            return
        outcome.patients += 1
        patient = record.patient
        opted_out = self._consent.opted_out(practice_id, (patient.mobile, patient.email))
        history = self._sequences.history(practice_id, patient_id, opted_out)
        decision = rules.decide(settings, record, history, run_start)
        if decision.campaign is None:
            outcome.skipped[str(decision.skip)] += 1
            return
        if self._sequences.enrol(sequences.start(practice_id, decision, run_start)):
            tally = outcome.holdout if decision.holdout else outcome.enrolled
            tally[decision.campaign.value] += 1

    def enrol(self, run_start: datetime) -> SegmentOutcome:
        """Every practice at once, in this invocation (tests and the preview of a small
        deployment; the schedules fan out with `plan`)."""
        total = SegmentOutcome()
        for practice_id in self._practices.all_ids():
            unit = SegmentUnit(
                run=SegmentRun.ENROLMENT, practice_id=practice_id, run_start=run_start
            )
            total.add(self.enrol_practice(unit, lambda: float("inf")))
        return total

    def _queue_due(self, practice_id: str, now: datetime) -> int:
        due = list(self._sequences.due(practice_id, now))
        # Queue first, then move each sequence on: a crash in between queues a step twice,
        # and the send function's claim on the job id sends it once.
        self._queue.enqueue([sequences.job_for_due_step(s, now) for s in due])
        for sequence in due:
            self._sequences.replace(sequence, sequences.after_step_queued(sequence))
        return len(due)
