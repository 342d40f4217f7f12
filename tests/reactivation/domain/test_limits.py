"""#18's limits in the rules: the rescue first, silence accepted (180 / 60 days), the weekly
cap's order and the pilot's weeks (campaigns.md, "Sequences" and its readings)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reactivation.domain import rules, weekly_cap
from reactivation.domain.outreach import Decision, SkipReason
from reactivation.domain.patients import (
    AppointmentStatus,
    CompletedSequence,
    PatientHistory,
    PatientRecord,
    Plan,
    PlanKind,
    PlanStatus,
)
from reactivation.domain.practice import PilotMode
from reactivation.domain.types import Campaign
from tests.builders import at, make_patient, make_practice, visit

RUN = at("2026-11-24 10:00")  # Tuesday
SETTINGS = make_practice().campaign_settings()


def decide(record: PatientRecord, history: PatientHistory | None = None) -> Decision:
    return rules.decide(SETTINGS, record, history or PatientHistory(), RUN)


def recall_record(*more: Any) -> PatientRecord:
    return PatientRecord(patient=make_patient(), appointments=(visit("P-1", "2026-04-20"), *more))


def missed_record(missed_on: str = "2026-11-20") -> PatientRecord:
    return recall_record(visit("P-1", missed_on, status=AppointmentStatus.NO_SHOW))


def silent(campaign: Campaign, last_step_at: datetime, **history: Any) -> PatientHistory:
    done = CompletedSequence(
        started_at=last_step_at - timedelta(days=18), last_step_at=last_step_at
    )
    return PatientHistory(completed={campaign: done}, **history)


# -- the rescue comes first ------------------------------------------------------------------


@pytest.mark.parametrize(
    "history",
    [
        PatientHistory(
            in_sequence=True,
            active_sequence_id="20261117T150000Z-recall_due",
            active_campaign=Campaign.RECALL_DUE,
        ),
        PatientHistory(last_sequence_ended_at=RUN - timedelta(days=3)),  # the 30-day cooldown
        PatientHistory(snoozed_until=date(2027, 3, 1)),
        PatientHistory(declined={Campaign.MISSED_APPOINTMENT: date(2026, 9, 1)}),
        silent(Campaign.LAPSED_PATIENT, RUN - timedelta(days=10)),  # the 60-day no-reply
    ],
)
def test_a_rescue_is_not_held_by_a_lower_sequence_a_snooze_or_the_other_cooldowns(
    history: PatientHistory,
) -> None:
    decision = decide(missed_record(), history)
    assert decision.campaign is Campaign.MISSED_APPOINTMENT
    assert rules.rescue_preempts(history, decision) is history.in_sequence


@pytest.mark.parametrize(
    ("history", "reason"),
    [
        (PatientHistory(opted_out=frozenset({"+12125550101"})), SkipReason.OPTED_OUT),
        (PatientHistory(service_recovery=True), SkipReason.SERVICE_RECOVERY),
        (
            PatientHistory(
                in_sequence=True,
                active_sequence_id="20261120T151500Z-missed_appointment",
                active_campaign=Campaign.MISSED_APPOINTMENT,
            ),
            SkipReason.IN_SEQUENCE,
        ),
    ],
)
def test_a_rescue_is_held_by_opt_outs_holds_and_a_rescue_under_way(
    history: PatientHistory, reason: SkipReason
) -> None:
    assert decide(missed_record(), history).skip is reason
    assert rules.decide_rescue(SETTINGS, missed_record(), history, RUN).skip is reason


@given(st.integers(min_value=0, max_value=60 * 24))
def test_only_a_rescue_in_the_last_30_days_blocks_a_new_one(hours_ago: int) -> None:
    rescued = RUN - timedelta(hours=hours_ago)
    for history in (
        PatientHistory(rescued_at=rescued, last_sequence_ended_at=rescued),
        silent(Campaign.MISSED_APPOINTMENT, rescued),
    ):
        decision = rules.decide_rescue(SETTINGS, missed_record(), history, RUN)
        blocked = RUN - rescued < timedelta(days=30)
        assert (decision.skip is SkipReason.COOLDOWN) is blocked
        assert (decision.campaign is Campaign.MISSED_APPOINTMENT) is not blocked


def test_the_real_time_rescue_needs_the_rule_and_follows_holdout() -> None:
    assert rules.decide_rescue(SETTINGS, recall_record(), PatientHistory(), RUN).skip is (
        SkipReason.NOT_ELIGIBLE
    )
    everyone = make_practice(holdout_percent=50).campaign_settings()
    draws = {
        rules.decide_rescue(
            everyone,
            PatientRecord(
                patient=make_patient(f"P-{n}"),
                appointments=(visit(f"P-{n}", "2026-11-20", status=AppointmentStatus.NO_SHOW),),
            ),
            PatientHistory(),
            RUN,
        ).holdout
        for n in range(40)
    }
    assert draws == {True, False}


# -- an end to silence -----------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=400))
def test_an_unanswered_campaign_waits_180_days_and_any_campaign_60(days_ago: int) -> None:
    last = RUN - timedelta(days=days_ago)
    # recall went unanswered: recall is held 180 days, anything else 60
    decision = decide(recall_record(), silent(Campaign.RECALL_DUE, last))
    assert (decision.campaign is Campaign.RECALL_DUE) is (days_ago >= 180)
    assert (decision.skip is SkipReason.COOLDOWN) is (days_ago < 180)
    # lapsed_patient went unanswered: recall (another campaign) only waits 60 days
    decision = decide(recall_record(), silent(Campaign.LAPSED_PATIENT, last))
    assert (decision.campaign is Campaign.RECALL_DUE) is (days_ago >= 60)


@given(st.integers(min_value=0, max_value=30))
def test_a_reply_during_or_after_the_sequence_makes_it_answered(days_after_start: int) -> None:
    last = RUN - timedelta(days=40)
    history = silent(Campaign.RECALL_DUE, last)
    started = history.completed[Campaign.RECALL_DUE].started_at
    replied = history.model_copy(
        update={"last_reply_at": started + timedelta(days=days_after_start)}
    )
    assert replied.unanswered() == {}
    assert decide(recall_record(), replied).campaign is Campaign.RECALL_DUE
    before = history.model_copy(update={"last_reply_at": started - timedelta(seconds=1)})
    assert before.unanswered() == {Campaign.RECALL_DUE: last}


def test_the_no_reply_days_are_a_practice_setting_and_a_lower_campaign_may_follow() -> None:
    history = silent(Campaign.RECALL_DUE, RUN - timedelta(days=100))
    settings = make_practice(no_reply_cooldown_days=90).campaign_settings()
    assert rules.decide(settings, recall_record(), history, RUN).campaign is Campaign.RECALL_DUE
    # a treatment plan (higher) went unanswered 100 days ago: recall (lower) may follow
    plan = Plan(plan_id="T-1", patient_id="P-1", kind=PlanKind.TREATMENT_PLAN,
                created_on=date(2026, 9, 1), status=PlanStatus.OPEN)  # fmt: skip
    record = recall_record().model_copy(update={"plans": (plan,)})
    assert decide(record).campaign is Campaign.UNSCHEDULED_TREATMENT
    treatment = silent(Campaign.UNSCHEDULED_TREATMENT, RUN - timedelta(days=100))
    assert decide(record, treatment).campaign is Campaign.RECALL_DUE
    treatment = silent(Campaign.UNSCHEDULED_TREATMENT, RUN - timedelta(days=59))
    assert decide(record, treatment).skip is SkipReason.COOLDOWN
    declined = PatientHistory(declined={Campaign.RECALL_DUE: date(2026, 10, 1)})
    assert decide(recall_record(), declined).skip is SkipReason.COOLDOWN


# -- the weekly cap's order and the pilot's weeks --------------------------------------------


@given(
    st.lists(
        st.tuples(
            st.sampled_from(rules.PRIORITY), st.integers(0, 400), st.from_regex(r"P-[0-9]{1,4}")
        ),
        max_size=40,
        unique_by=lambda c: c[2],
    )
)
def test_the_cap_orders_by_priority_then_longest_overdue_then_patient_id(
    candidates: list[tuple[Campaign, int, str]],
) -> None:
    ranked = sorted(candidates, key=lambda c: weekly_cap.rank_key(*c))
    for (c1, d1, p1), (c2, d2, p2) in itertools.pairwise(ranked):
        i1, i2 = rules.PRIORITY.index(c1), rules.PRIORITY.index(c2)
        assert i1 < i2 or (i1 == i2 and (d1 > d2 or (d1 == d2 and p1 < p2)))


def test_days_past_due_counts_from_when_the_rule_began_to_hold() -> None:
    longer = recall_record()  # cleaning 2026-04-20: recall due since 2026-10-20
    shorter = PatientRecord(patient=make_patient(), appointments=(visit("P-1", "2026-05-20"),))
    days = [rules.days_past_due(SETTINGS, r, Campaign.RECALL_DUE, RUN) for r in (longer, shorter)]
    assert days == [35, 4]
    missed = rules.days_past_due(SETTINGS, missed_record(), Campaign.MISSED_APPOINTMENT, RUN)
    assert missed == 4


@given(
    st.integers(1, 8),
    st.one_of(
        st.builds(PilotMode, weekly_runs=st.integers(1, 6), patients=st.integers(1, 300)),
        st.builds(PilotMode, weekly_runs=st.integers(1, 6), share_percent=st.integers(1, 100)),
    ),
    st.integers(0, 1000),
)
def test_a_pilot_limits_only_its_first_weeks_and_never_beyond_the_cap(
    weeks_since_first: int, pilot: PilotMode, due: int
) -> None:
    practice = make_practice(weekly_new_sequences=150, pilot=pilot)
    first = date(2026, 11, 23)
    monday = first + timedelta(weeks=weeks_since_first - 1)
    in_pilot = weekly_cap.in_pilot(practice, first, monday)
    assert in_pilot is (weeks_since_first <= pilot.weekly_runs)
    limit = weekly_cap.weekly_limit(practice, in_pilot)
    wanted = weekly_cap.wanted(practice, in_pilot, due)
    assert limit <= 150 and wanted <= due
    if in_pilot and pilot.patients is not None:
        assert limit == min(150, pilot.patients)
    if in_pilot and pilot.share_percent is not None:
        assert wanted * 100 >= due * pilot.share_percent > (wanted - 1) * 100
    if not in_pilot:
        assert (limit, wanted) == (150, due)


def test_a_pilot_sets_a_number_or_a_share() -> None:
    with pytest.raises(ValueError, match="either"):
        PilotMode(weekly_runs=2)
    with pytest.raises(ValueError, match="either"):
        PilotMode(weekly_runs=2, patients=10, share_percent=5)


def test_the_week_is_the_practices_local_monday() -> None:
    monday = weekly_cap.week_of(at("2026-11-30 00:30"), "America/New_York")
    assert monday == date(2026, 11, 30) and weekly_cap.week_key(monday) == "2026-W49"
    assert weekly_cap.week_of(at("2026-11-29 23:30"), "America/New_York") == date(2026, 11, 23)
