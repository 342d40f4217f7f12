"""No blasts (campaigns.md, "Sequences"): at most N new sequences per practice a week, chosen by
campaign priority, then the longest overdue, then patient id, across the whole practice; a
pilot's smaller limit (or share of the practice's due patients) in its first weeks. Pure: the
run's moment, the practice's settings and counts come in.

The order is exact across shards, in two phases (services/segment.py):

1. RANK: each shard's unit (each of its pages, in parallel) decides for its patients and writes
   its `top` `limit` candidates and its count of due ones to the run's candidate items
   (adapters/enrolment_candidates.py); nobody is enrolled. The global top `limit` is within the
   union of the pages' top `limit` (a patient among the first `limit` of the practice has fewer
   than `limit` ahead of him in any page; `limit` is the practice's weekly cap, never below a
   pilot's). A shard's last page adds the shard to the run's set; a unit that then finds all
   the shards there, and the run not yet selected, queues one SELECT unit.
2. SELECT: marks the run selected (from then on no page's candidates are accepted: a page
   writes them in one transaction with the condition that the run is not selected), reads
   them, `merge`s them, asks `wanted` of the practice's total due and takes the slots once per
   run: one conditional update of the week's counter item sets `used` from the value it read
   (`used = :seen`, at most the limit) and records `granted_<run>` (only if not recorded yet),
   so the sum of the slots granted never exceeds the week's limit whatever runs interleave, and
   a SELECT run again reuses its grant. It enrols the first `granted` of the merged list.

Why a crash anywhere neither exceeds the cap nor enrols anybody twice: an enrolment is a
transaction conditional on the patient not being in a sequence (or, for a rescue, still being
in the one it ends), so nobody is enrolled twice whoever runs it again. A rank page run again
rewrites its own items (or is refused once the run is selected: its patients wait for next
week). The SELECT's input is frozen from its first step on (the selected mark comes before it
reads; without it, a shard ranked again after the enrolments would leave out the enrolled
patients and a second SELECT would enrol the next `granted`), and its grant is recorded once,
so a SELECT run again (or queued twice, by shards that both saw the set complete) computes the
same first `granted` and enrols only those of them not yet enrolled: at most `granted`
sequences in all. A patient who got into a sequence between RANK and SELECT is left out by
that condition and his slot stays unused (one who booked meanwhile is stopped by the send,
which decides again), as are a crash's between the grant and the enrolments until the retry:
the cap errs on the side of fewer, never more.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from reactivation.domain.calendar import local_date
from reactivation.domain.outreach import Decision
from reactivation.domain.practice import Practice
from reactivation.domain.rules import PRIORITY
from reactivation.domain.types import Campaign

#: The weekly cap's order: campaign priority, then the longest overdue, then patient id.
type RankKey = tuple[int, int, str]


def rank_key(campaign: Campaign, days_past_due: int, patient_id: str) -> RankKey:
    """A campaign of no rule of the records (question_follow_up) ranks after them all."""
    priority = PRIORITY.index(campaign) if campaign in PRIORITY else len(PRIORITY)
    return priority, -days_past_due, patient_id


def week_of(run_start: datetime, timezone: str) -> date:
    """The Monday of the run's week, in the practice's timezone."""
    day = local_date(run_start, timezone)
    return day - timedelta(days=day.weekday())


def week_key(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def in_pilot(practice: Practice, first_monday: date, monday: date) -> bool:
    """Whether this week is one of the practice's first `pilot.weekly_runs` weeks of
    enrolment (counted in calendar weeks from its first weekly run)."""
    pilot = practice.pilot
    return pilot is not None and (monday - first_monday).days // 7 < pilot.weekly_runs


def weekly_limit(practice: Practice, pilot_week: bool) -> int:
    """How many new sequences the practice may start this week, across its shards."""
    limit = practice.weekly_new_sequences
    if pilot_week and practice.pilot is not None and practice.pilot.patients is not None:
        limit = min(limit, practice.pilot.patients)
    return limit


def wanted(practice: Practice, pilot_week: bool, due: int) -> int:
    """How many of the practice's `due` candidates (all its shards') to ask slots for: all of
    them, or a pilot's share (rounded up: a practice with one patient due asks for one)."""
    pilot = practice.pilot
    if pilot_week and pilot is not None and pilot.share_percent is not None:
        return min(due, math.ceil(due * pilot.share_percent / 100))
    return due


@dataclass(frozen=True)
class Candidate:
    """A patient due for a campaign this week, waiting for the cap's slot: what the SELECT
    needs to enrol him without reading his record again."""

    key: RankKey
    decision: Decision
    #: The mobile an SMS first step marks itself pending on.
    mobile: str | None = None
    #: The lower-priority sequence a rescue ends (`rules.rescue_preempts`).
    preempts: str | None = None

    @property
    def patient_id(self) -> str:
        return self.decision.patient_id


@dataclass(frozen=True)
class RankedPage:
    """One page of one shard, ranked: its count of due candidates and its first `limit`."""

    shard: int
    due: int
    candidates: tuple[Candidate, ...]


def top(candidates: Iterable[Candidate], limit: int) -> tuple[Candidate, ...]:
    """The first `limit` candidates by the cap's order (all that a SELECT could choose)."""
    return tuple(heapq.nsmallest(limit, candidates, key=lambda c: c.key))


def merge(pages: Iterable[RankedPage]) -> tuple[list[Candidate], int]:
    """The practice's candidates in the cap's order, and its due count. A patient in two
    pages (a page run again with another split) is taken once, at his best rank; his due
    count is then counted twice (the pilot's share a little larger, never the cap)."""
    best: dict[str, Candidate] = {}
    due = 0
    for page in pages:
        due += page.due
        for candidate in page.candidates:
            known = best.get(candidate.patient_id)
            if known is None or candidate.key < known.key:
                best[candidate.patient_id] = candidate
    return sorted(best.values(), key=lambda c: c.key), due
