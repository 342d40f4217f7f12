"""No blasts (campaigns.md, "Sequences"): at most N new sequences per practice a week, chosen by
campaign priority, then the longest overdue, then patient id; a pilot's smaller limit in the
practice's first weeks. Pure: the run's moment, the practice's settings and counts come in.

How the cap holds across shards: the weekly enrolment runs one unit per shard of the
practice's patients, in parallel. Each unit decides for its patients, ranks its candidates by
`rank_key`, and takes slots for the first of them from one per-practice per-week counter
(`adapters.enrolment_slots.WeeklySlots.take`): a compare-and-set update (`used = :seen`, set
to `:seen + n` only if `:seen + n <= limit`). Every successful take moves the counter from
the value it read to at most the limit, and takes apply one at a time on the item, so the sum
of the slots granted never exceeds the limit, whatever the interleaving of the shards; a take
that lost the race reads the counter again. A unit enrols only the patients it got slots for
(a patient who moved meanwhile leaves his slot unused: the cap errs on the side of fewer).
The order is exact within a shard (one invocation's page); across shards it is the order in
which the units take slots. Shards are a hash split of the patients, so each holds a like mix
of campaigns: a shard never takes a lower-priority patient in place of its own higher one.
(An exact order across shards would need a second, serial phase: not worth a weekly run.)
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from reactivation.domain.calendar import local_date
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
    """How many of `due` candidates (one shard's) to ask slots for: all of them, or a pilot's
    share (rounded up: a shard with one patient due asks for one)."""
    pilot = practice.pilot
    if pilot_week and pilot is not None and pilot.share_percent is not None:
        return min(due, math.ceil(due * pilot.share_percent / 100))
    return due
