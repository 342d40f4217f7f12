"""A simulated year at the domain level (#18, "Done when"): weekly runs under the cap, every
step of every sequence, real-time no-shows, patients who stay silent, thank, or decline.
Whatever the draw: no week starts more sequences than the cap, nobody is enrolled against the
180/60-day no-reply rules, and a rescue due always wins over a sequence of lower priority.

The simulation applies the domain's functions as the services do (rules.decide and
decide_rescue, weekly_cap, sequences.start / after_step_queued / stopped) and keeps each
patient's history as the adapters record it (tests/functions cover that recording)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random

from hypothesis import given, settings
from hypothesis import strategies as st

from reactivation.domain import rules, sequences, weekly_cap
from reactivation.domain.outreach import Decision, Enrolment
from reactivation.domain.patients import (
    AppointmentStatus,
    CompletedSequence,
    PatientHistory,
    PatientRecord,
)
from reactivation.domain.rescue import rescue_due_at
from reactivation.domain.types import Campaign
from tests.builders import at, make_patient, make_practice, visit

FIRST_TUESDAY = at("2027-01-05 10:00")
WEEKS = 52
MISSED = Campaign.MISSED_APPOINTMENT


@dataclass
class Sim:
    record: PatientRecord
    behaviour: str  # "silent", "thanks" or "declines"
    history: PatientHistory = field(default_factory=PatientHistory)
    active: Enrolment | None = None
    #: (start, campaign, holdout, by the weekly run)
    enrolments: list[tuple[datetime, Campaign, bool, bool]] = field(default_factory=list)
    #: (sent at, campaign) of every step
    sends: list[tuple[datetime, Campaign]] = field(default_factory=list)
    #: (last step, started) of each sequence that sent every step with no reply since
    silences: list[tuple[datetime, datetime, Campaign]] = field(default_factory=list)
    replies: list[datetime] = field(default_factory=list)


class Year:
    def __init__(self, patients: int, cap: int, seed: int) -> None:
        self.random = Random(seed)
        self.practice = make_practice(weekly_new_sequences=cap, holdout_percent=10)
        self.settings = self.practice.campaign_settings()
        self.cap = cap
        self.sims: list[Sim] = []
        for n in range(patients):
            pid = f"P-{n:03d}"
            last = FIRST_TUESDAY.date() - timedelta(days=self.random.randint(150, 700))
            record = PatientRecord(
                patient=make_patient(pid, mobile=f"+1212555{n:04d}"),
                appointments=(visit(pid, last.isoformat()),),
            )
            behaviour = self.random.choice(("silent", "silent", "thanks", "declines"))
            self.sims.append(Sim(record, behaviour))
        self.weekly_starts: dict[int, int] = {}
        self.rescues_due = 0
        self.preemptions = 0

    # -- what the services do ------------------------------------------------------------
    def enrol(self, sim: Sim, decision: Decision, now: datetime, weekly: bool) -> None:
        if rules.rescue_preempts(sim.history, decision):
            assert sim.active is not None and sim.active.campaign is not MISSED
            self.preemptions += 1
            self.end(sim, sequences.stopped(sim.active, now, "rescue"))
        assert sim.active is None
        sequence = sequences.start(self.practice.practice_id, decision, now, self.practice.timezone)
        sim.enrolments.append((now, sequence.campaign, sequence.holdout, weekly))
        update: dict[str, object] = {}
        if sequence.campaign is MISSED:
            update["rescued_at"] = now
        if sequence.ended_at is None:
            sim.active = sequence
            update |= {"in_sequence": True, "active_sequence_id": sequence.sequence_id,
                       "active_campaign": sequence.campaign}  # fmt: skip
        else:
            update["last_sequence_ended_at"] = now
        sim.history = sim.history.model_copy(update=update)

    def end(self, sim: Sim, ended: Enrolment) -> None:
        assert ended.ended_at is not None
        update: dict[str, object] = {
            "in_sequence": False, "active_sequence_id": None, "active_campaign": None,
            "last_sequence_ended_at": ended.ended_at,
        }  # fmt: skip
        if ended.end_reason == "completed":
            done = CompletedSequence(started_at=ended.started_at, last_step_at=ended.ended_at)
            update["completed"] = {**sim.history.completed, ended.campaign: done}
            if not any(r >= ended.started_at for r in sim.replies):
                sim.silences.append((ended.ended_at, ended.started_at, ended.campaign))
        elif ended.end_reason == "declined":
            update["declined"] = {**sim.history.declined, ended.campaign: ended.ended_at.date()}
        sim.history = sim.history.model_copy(update=update)
        sim.active = None

    def follow_ups(self, now: datetime) -> None:
        for sim in self.sims:
            while (
                sim.active is not None
                and sim.active.next_step_due_at is not None
                and sim.active.next_step_due_at <= now
            ):
                sent = sim.active.next_step_due_at
                sim.sends.append((sent, sim.active.campaign))
                moved = sequences.after_step_queued(sim.active)
                if sim.behaviour != "silent" and sim.active.next_step == 1:
                    reply = sent + timedelta(hours=2)
                    sim.replies.append(reply)
                    sim.history = sim.history.model_copy(update={"last_reply_at": reply})
                    if sim.behaviour == "declines":
                        moved = sequences.stopped(moved, reply, "declined")
                if moved.ended_at is not None:
                    self.end(sim, moved)
                else:
                    sim.active = moved

    def weekly_run(self, week: int, now: datetime) -> None:
        candidates = []
        for sim in self.sims:
            decision = rules.decide(self.settings, sim.record, sim.history, now)
            if decision.campaign is not None:
                days = rules.days_past_due(self.settings, sim.record, decision.campaign, now)
                key = weekly_cap.rank_key(decision.campaign, days, sim.record.patient.patient_id)
                candidates.append((key, sim, decision))
        candidates.sort(key=lambda c: c[0])
        for _, sim, decision in candidates[: self.cap]:
            self.enrol(sim, decision, now, weekly=True)
        self.weekly_starts[week] = min(len(candidates), self.cap)

    def no_show(self, sim: Sim, starts: datetime, reported: datetime) -> None:
        missed = visit(sim.record.patient.patient_id, starts.date().isoformat(),
                       status=AppointmentStatus.NO_SHOW,
                       appointment_id=f"miss-{starts.isoformat()}")  # fmt: skip
        missed = missed.model_copy(update={"starts_at": starts})
        sim.record = sim.record.model_copy(
            update={"appointments": (*sim.record.appointments, missed)}
        )
        due = rescue_due_at(missed, reported)
        if due is None:
            return
        self.follow_ups(due)
        # what must happen, from the simulation's own log (not the history the rules read)
        recent = due - timedelta(days=30)
        blocked = any(s > recent and c is MISSED for s, c, _, _ in sim.enrolments) or any(
            s > recent and c is MISSED for s, c in sim.sends
        )
        under_way = sim.active is not None and sim.active.campaign is MISSED
        decision = rules.decide_rescue(self.settings, sim.record, sim.history, due)
        if blocked or under_way:
            assert decision.campaign is None
            return
        self.rescues_due += 1
        assert decision.campaign is MISSED, decision  # a rescue always wins
        self.enrol(sim, decision, due, weekly=False)
        assert sim.enrolments[-1][1] is MISSED

    def run(self, no_shows: list[tuple[int, int, int, int]]) -> None:
        events = sorted(
            (
                FIRST_TUESDAY + timedelta(days=day, hours=hour - 10),
                patient,
                timedelta(minutes=delay),
            )
            for day, hour, patient, delay in no_shows
        )
        for week in range(WEEKS):
            tuesday = FIRST_TUESDAY + timedelta(weeks=week)
            for day in range(7):
                moment = tuesday + timedelta(days=day)
                for starts, patient, delay in events:
                    if moment - timedelta(days=1) < starts + delay <= moment:
                        self.no_show(self.sims[patient % len(self.sims)], starts, starts + delay)
                self.follow_ups(moment)
                if day == 0:
                    self.weekly_run(week, moment)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    cap=st.integers(1, 12),
    no_shows=st.lists(
        st.tuples(
            st.integers(0, 360), st.integers(9, 17), st.integers(0, 39), st.integers(5, 36 * 60)
        ),
        max_size=25,
    ),
)
def test_a_simulated_year_keeps_the_caps_the_silence_rules_and_the_rescue_first(
    seed: int, cap: int, no_shows: list[tuple[int, int, int, int]]
) -> None:
    year = Year(patients=40, cap=cap, seed=seed)
    year.run(no_shows)
    assert all(started <= cap for started in year.weekly_starts.values())
    for sim in year.sims:
        for start, campaign, _, weekly in sim.enrolments:
            if campaign is MISSED:
                continue  # the rescue is held by none of these
            assert weekly
            for last_step, _, silent in sim.silences:
                if last_step < start:
                    assert start - last_step >= timedelta(days=60)
                    if silent is campaign:
                        assert start - last_step >= timedelta(days=180)
        if sim.behaviour == "silent":
            contacted = [s for s, c, h, w in sim.enrolments if not h and c is not MISSED]
            assert len(contacted) <= 5  # one 18-day sequence, then 60 quiet days at least


def test_the_year_sees_rescues_win_over_sequences_and_silence_end_in_quiet() -> None:
    year = Year(patients=40, cap=6, seed=3)
    misses = [(day, 10, patient, 30) for day in range(20, 360, 9) for patient in (1, 2, 5)]
    year.run(misses)
    rescued = sum(
        1 for sim in year.sims for _, c, _, weekly in sim.enrolments if c is MISSED and not weekly
    )
    assert year.rescues_due == rescued > 10 and year.preemptions > 0
    assert max(year.weekly_starts.values()) == 6
    silent = [s for s in year.sims if s.behaviour == "silent" and s.silences]
    assert silent  # and none was enrolled against the 180/60-day rules (the property above)
