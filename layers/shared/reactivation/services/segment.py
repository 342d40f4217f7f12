"""Enrolment and follow-ups: the schedules fan out units of work per practice. The weekly
enrolment's shard units decide for the practice's patients and rank the due ones; its SELECT
unit takes the week's slots for the first of them in the practice, records the enrolments and
queues their first steps (domain/weekly_cap.py). The follow-up units queue the due steps."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.enrolment_candidates import EnrolmentCandidates, run_tag
from reactivation.adapters.enrolment_slots import WeeklySlots
from reactivation.adapters.items import SHARDS
from reactivation.adapters.parking import ParkedJobs
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.queue import SegmentQueue, SendQueue
from reactivation.adapters.recipients import RecipientRepository
from reactivation.adapters.records import PatientRecords
from reactivation.adapters.sequences import SequenceRepository
from reactivation.clock import TimeLeft
from reactivation.domain import rules, sequences, weekly_cap
from reactivation.domain.messages import MessageLibrary
from reactivation.domain.outreach import Enrolment, PendingStep
from reactivation.domain.practice import Practice
from reactivation.domain.types import Channel
from reactivation.events import SegmentRun, SegmentUnit
from reactivation.services.question_follow_up import QuestionFollowUpService

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


@dataclass
class SegmentOutcome:
    practices: int = 0
    patients: int = 0
    enrolled: Counter[str] = field(default_factory=Counter)
    holdout: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    queued: int = 0
    #: Due, and left for next week by the weekly cap (or a pilot's limit).
    held: int = 0
    #: Due candidates ranked (written for the SELECT) by a shard's unit.
    ranked: int = 0
    #: The practice's patients did not fit in this invocation: the next page is queued.
    paged: bool = False
    #: The page came after the run was selected (a retry): its candidates were not taken.
    late: bool = False

    def add(self, other: SegmentOutcome) -> None:
        self.practices += other.practices
        self.patients += other.patients
        self.enrolled += other.enrolled
        self.holdout += other.holdout
        self.skipped += other.skipped
        self.queued += other.queued
        self.held += other.held
        self.ranked += other.ranked

    def summary(self) -> dict[str, object]:
        return {
            "paged": self.paged,
            "practices": self.practices,
            "patients": self.patients,
            "ranked": self.ranked,
            "enrolled": dict(self.enrolled),
            "holdout": dict(self.holdout),
            "skipped": dict(self.skipped),
            "queued": self.queued,
            "held_for_next_week": self.held,
            **({"late": True} if self.late else {}),
        }


@dataclass
class PlanOutcome:
    """A schedule's run: which practices got a unit of work on the segment queue."""

    practices: int = 0
    units: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        return {"practices": self.practices, "units": len(self.units), "practice_ids": self.units}


#: Enrolments written (and first steps queued) together: 5 transactions of 50.
FLUSH = 250
#: A run whose SELECT never came (a shard's unit failed its every try and waits in the
#: segment queue's dead-letter queue: 3 receives, 30 minutes apart) is selected by the
#: practice's follow-up run this long after it started, with the shards that finished: the
#: practice still gets its week, and the failed shard's patients are decided again next week
#: (a page redriven after the SELECT is refused as late).
SELECT_AT_LATEST = timedelta(hours=6)


class SegmentService:
    def __init__(
        self,
        practices: PracticeRepository,
        records: PatientRecords,
        consent: ConsentRepository,
        sequences: SequenceRepository,
        queue: SendQueue,
        library: MessageLibrary,
        units: SegmentQueue | None = None,
        parking: ParkedJobs | None = None,
        *,
        recipients: RecipientRepository | None = None,
        page_margin: float = 60.0,
        question_follow_ups: QuestionFollowUpService | None = None,
    ) -> None:
        self._question_follow_ups = question_follow_ups
        #: The weekly cap's counter (in the practice table, next to the sequences).
        self._slots = WeeklySlots.beside(sequences)
        #: The ranked candidates between the enrolment's two phases (the same table).
        self._candidates = EnrolmentCandidates.beside(sequences)
        self._practices = practices
        # A campaign is tried only once it has approved texts: nothing is enrolled that
        # the send function could not send.
        self._sendable = library.campaigns()
        self._records = records
        self._consent = consent
        self._sequences = sequences
        self._queue_jobs = queue
        self._units = units
        self._parking = parking
        self._recipients = recipients
        self._page_margin = page_margin

    # -- the schedules: units of work on the segment queue (the fan-out) --------------
    def plan(self, run: SegmentRun, scheduled_time: datetime) -> PlanOutcome:
        """The hourly enrolment schedule gives a unit per shard to each practice whose own
        enrolment hour it is (Tuesday 10:00 in its timezone by default); the frequent
        follow-up schedule gives one unit to every practice. Units run in parallel."""
        if self._units is None:
            raise RuntimeError("planning needs the segment queue")
        outcome = PlanOutcome()
        units = []
        for practice_id in self._practices.all_ids():
            outcome.practices += 1
            if run is SegmentRun.FOLLOW_UPS:
                units.append(
                    SegmentUnit(run=run, practice_id=practice_id, run_start=scheduled_time)
                )
                outcome.units.append(practice_id)
                continue
            practice = self._practices.get(practice_id)
            if practice is None or not practice.enrolment_due(scheduled_time):
                continue
            units += [
                SegmentUnit(run=run, practice_id=practice_id, run_start=scheduled_time, shard=n)
                for n in range(SHARDS)
            ]
            outcome.units.append(practice_id)
        self._units.enqueue(units)
        return outcome

    def run_unit(self, unit: SegmentUnit, time_left: TimeLeft) -> SegmentOutcome:
        if unit.run is SegmentRun.FOLLOW_UPS:
            outcome = SegmentOutcome(practices=1)
            if self._question_follow_ups is not None:  # enrolled first: queued just below
                started = self._question_follow_ups.start_due(unit.practice_id, unit.run_start)
                outcome.enrolled["question_follow_up"] += started.pop("enrolled", 0)
                outcome.skipped += started
            outcome.queued = self._queue_due(unit.practice_id, unit.run_start)
            for run_start in self._candidates.unselected(unit.practice_id):
                if unit.run_start - run_start >= SELECT_AT_LATEST:
                    late = self.select(unit.practice_id, run_start)  # a shard never finished
                    late.practices = 0  # the same practice
                    outcome.add(late)
            return outcome
        if unit.run is SegmentRun.SELECT:
            return self.select(unit.practice_id, unit.run_start)
        return self.enrol_shard(unit, time_left)

    # -- one shard of one practice: RANK ---------------------------------------------
    def enrol_shard(
        self, unit: SegmentUnit, time_left: TimeLeft, *, select: bool = True
    ) -> SegmentOutcome:
        """RANK (domain/weekly_cap.py): decides for the shard's patients after `unit.after`
        and writes its due candidates' first `weekly_new_sequences` by the cap's order
        (campaign priority, the longest overdue, patient id) and their count; nobody is
        enrolled here. When the invocation's time runs short, what was decided is written and
        the rest goes on the segment queue as the next page. The shard's last page adds the
        shard to the run's finished ones; the unit that sees them all queues the SELECT (with
        `select`; `enrol` selects itself). A page run again rewrites its own candidates."""
        outcome = SegmentOutcome(practices=1)
        practice = self._practices.get(unit.practice_id)
        if practice is None or unit.shard is None:
            return outcome
        settings = practice.campaign_settings(sendable=self._sendable)
        opted_out = self._consent.all_opted_out(unit.practice_id)
        candidates: list[weekly_cap.Candidate] = []
        patients = self._records.shard(unit.practice_id, unit.shard, opted_out, unit.after)
        for record, history in patients:
            outcome.patients += 1
            decision = rules.decide(settings, record, history, unit.run_start)
            if decision.campaign is None:
                outcome.skipped[str(decision.skip)] += 1
            else:
                overdue = rules.days_past_due(settings, record, decision.campaign, unit.run_start)
                key = weekly_cap.rank_key(decision.campaign, overdue, record.patient.patient_id)
                ends = rules.rescue_preempts(history, decision)  # a rescue ends a lower sequence
                preempts = history.active_sequence_id if ends else None
                mobile = record.patient.mobile
                candidates.append(weekly_cap.Candidate(key, decision, mobile, preempts))
            if self._units is not None and time_left() < self._page_margin:
                if self._rank(practice, unit, candidates, outcome, last=False, select=select):
                    after = record.patient.patient_id
                    self._units.enqueue([unit.model_copy(update={"after": after})])
                    outcome.paged = True
                return outcome
        self._rank(practice, unit, candidates, outcome, last=True, select=select)
        return outcome

    def _rank(
        self,
        practice: Practice,
        unit: SegmentUnit,
        candidates: list[weekly_cap.Candidate],
        outcome: SegmentOutcome,
        *,
        last: bool,
        select: bool,
    ) -> bool:
        """Writes the page's candidates; False when the run was selected without them (a
        retry: the page's patients, and its next pages', wait for next week)."""
        if unit.shard is None:
            return False
        first = weekly_cap.top(candidates, practice.weekly_new_sequences)
        page = weekly_cap.RankedPage(unit.shard, len(candidates), first)
        if not self._candidates.write(unit.practice_id, unit.run_start, page, unit.after, last):
            outcome.late = True
            return False
        outcome.ranked += len(candidates)
        if not (last and select):
            return True
        run = self._candidates.run(unit.practice_id, unit.run_start)
        if len(run.finished) < SHARDS or run.selected:
            return True
        if self._units is None:  # no queue (a small deployment): select at once
            outcome.add(self.select(unit.practice_id, unit.run_start))
        else:
            self._units.enqueue([SegmentUnit(run=SegmentRun.SELECT,
                                             practice_id=unit.practice_id,
                                             run_start=unit.run_start)])  # fmt: skip
        return True

    # -- the whole practice: SELECT -------------------------------------------------
    def select(self, practice_id: str, run_start: datetime) -> SegmentOutcome:
        """SELECT (domain/weekly_cap.py): the practice's ranked candidates, merged; the
        pilot's share of all its due ones; the week's slots taken once for the run; the first
        `granted` enrolled and their first messages queued. The rest are held for next week
        and counted as still due. Run again, it enrols nobody twice and takes no more slots."""
        outcome = SegmentOutcome(practices=1)
        practice = self._practices.get(practice_id)
        if practice is None:
            return outcome
        ranked, due = weekly_cap.merge(self._candidates.select(practice_id, run_start))
        monday = weekly_cap.week_of(run_start, practice.timezone)
        pilot = practice.pilot is not None and weekly_cap.in_pilot(
            practice, self._slots.first_week(practice_id, monday), monday
        )
        wanted = weekly_cap.wanted(practice, pilot, due)
        limit = weekly_cap.weekly_limit(practice, pilot)
        week = weekly_cap.week_key(monday)
        granted = self._slots.take(practice_id, week, run_tag(run_start), wanted, limit, due)
        chosen = ranked[:granted]
        outcome.held = due - granted
        for start in range(0, len(chosen), FLUSH):
            pending: list[Enrolment] = []
            together: dict[tuple[str, str], list[TransactWriteItemTypeDef]] = {}
            over: dict[str, str] = {}
            for candidate in chosen[start : start + FLUSH]:
                sequence = sequences.start(
                    practice_id, candidate.decision, run_start, practice.timezone
                )
                pending.append(sequence)
                together[sequence.patient_id, sequence.sequence_id] = self._holds_slot(
                    sequence, candidate.mobile
                )
                if candidate.preempts is not None:
                    over[sequence.patient_id] = candidate.preempts  # the rescue ends it
            self._flush(pending, run_start, outcome, together, over)
        return outcome

    def _holds_slot(
        self, sequence: Enrolment, mobile: str | None
    ) -> list[TransactWriteItemTypeDef]:
        """An SMS first step marks itself pending on the patient's number, with the enrolment:
        on a number several patients share, the send gives the day to the highest-priority
        one (campaigns.md)."""
        due = sequence.next_step_due_at
        if self._recipients is None or sequence.channel is not Channel.SMS or due is None:
            return []
        if mobile is None:  # the rules choose SMS only for a patient with a mobile
            raise RuntimeError("an SMS enrolment of a patient without a mobile")
        step = PendingStep(patient_id=sequence.patient_id, campaign=sequence.campaign, due_at=due)
        return [self._recipients.pending_step(sequence.practice_id, mobile, step)]

    def _flush(
        self,
        pending: list[Enrolment],
        run_start: datetime,
        outcome: SegmentOutcome,
        together: dict[tuple[str, str], list[TransactWriteItemTypeDef]],
        over: dict[str, str] | None = None,
    ) -> None:
        """Records the enrolments, then queues the first steps and moves those sequences on.
        A crash between the two leaves the steps due: the next follow-up run queues them."""
        due = []
        for sequence in self._sequences.enrol_all(pending, together, over):
            tally = outcome.holdout if sequence.holdout else outcome.enrolled
            tally[sequence.campaign.value] += 1
            if sequence.next_step_due_at is not None and sequence.next_step_due_at <= run_start:
                due.append(sequence)
        outcome.queued += self._queue(due, run_start)

    def enrol(self, run_start: datetime) -> SegmentOutcome:
        """Every practice and shard at once, in this invocation (tests and small deployments;
        the schedules fan out with `plan`): each practice's shards ranked, then selected, as
        the fan-out would."""
        total = SegmentOutcome()
        for practice_id in self._practices.all_ids():
            for shard in range(SHARDS):
                unit = SegmentUnit(run=SegmentRun.ENROLMENT, practice_id=practice_id,
                                   run_start=run_start, shard=shard)  # fmt: skip
                total.add(self.enrol_shard(unit, lambda: float("inf"), select=False))
            total.add(self.select(practice_id, run_start))
        return total

    def _queue_due(self, practice_id: str, now: datetime) -> int:
        """The steps that fell due, and the parked jobs whose moment came: queued again,
        then released (a crash in between queues one twice; the send claim sends it once)."""
        queued = self._queue(list(self._sequences.due(practice_id, now)), now)
        if self._parking is not None:
            parked = list(self._parking.due(practice_id, now))
            self._queue_jobs.enqueue(parked)
            for job in parked:
                self._parking.release(job, now)
            queued += len(parked)
        return queued

    def _queue(self, due: list[Enrolment], now: datetime) -> int:
        # Queue first, then move each sequence on: a crash in between queues a step twice,
        # and the send function's claim on the job id sends it once.
        self._queue_jobs.enqueue([sequences.job_for_due_step(s, now) for s in due])
        self._sequences.replace_all([(s, sequences.after_step_queued(s)) for s in due])
        return len(due)
