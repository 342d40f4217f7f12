from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reactivation.domain import sequences
from reactivation.domain.outreach import Decision
from reactivation.domain.types import Campaign, Channel
from tests.builders import at

RUN = at("2026-11-24 10:00")


def decision(holdout: bool = False, campaign: Campaign = Campaign.RECALL_DUE) -> Decision:
    return Decision(patient_id="P-1", campaign=campaign, channel=Channel.SMS, holdout=holdout)


def test_four_steps_four_then_seven_then_seven_days_apart_then_the_end() -> None:
    sequence = sequences.start("bright-smile", decision(), RUN)
    due = []
    while sequence.next_step is not None:
        assert sequence.next_step_due_at is not None
        due.append((sequence.next_step, sequence.next_step_due_at - RUN))
        sequence = sequences.after_step_queued(sequence)
    assert due == [
        (1, timedelta(0)),
        (2, timedelta(days=4)),
        (3, timedelta(days=11)),
        (4, timedelta(days=18)),
    ]
    assert sequence.end_reason == "completed" and sequence.ended_at == RUN + timedelta(days=18)


@pytest.mark.parametrize(
    ("first", "timezone", "second"),
    [
        ("2026-11-24 10:15", "America/New_York", "2026-11-25 09:00"),
        ("2026-11-24 19:40", "America/New_York", "2026-11-25 09:00"),  # an evening no-show
        ("2026-11-24 19:40", None, "2026-11-25 19:40"),  # no timezone: a day later
        ("2026-03-07 16:15", "America/New_York", "2026-03-08 09:00"),  # the DST change night
    ],
)
def test_missed_appointment_sends_two_steps_the_second_the_next_morning(
    first: str, timezone: str | None, second: str
) -> None:
    rescue = decision(campaign=Campaign.MISSED_APPOINTMENT)
    sequence = sequences.start("p", rescue, at(first), timezone)
    after = sequences.after_step_queued(sequence)
    assert after.next_step == 2 and after.next_step_due_at == at(second)
    assert sequences.after_step_queued(after).next_step is None


def test_a_holdout_enrolment_is_recorded_and_sends_nothing() -> None:
    sequence = sequences.start("bright-smile", decision(holdout=True), RUN)
    assert sequence.holdout and sequence.next_step is None and sequence.end_reason == "holdout"
    with pytest.raises(ValueError, match="no step"):
        sequences.job_for_due_step(sequence, RUN)


def test_job_ids_are_deterministic_per_step() -> None:
    sequence = sequences.start("bright-smile", decision(), RUN)
    first = sequences.job_for_due_step(sequence, RUN)
    again = sequences.job_for_due_step(sequence, RUN + timedelta(minutes=15))
    assert first.job_id == again.job_id
    later = sequences.job_for_due_step(sequences.after_step_queued(sequence), RUN)
    assert later.job_id != first.job_id and later.step == 2


def test_stopped_ends_the_sequence_with_its_reason() -> None:
    sequence = sequences.stopped(sequences.start("p", decision(), RUN), RUN, "opt_out")
    assert sequence.next_step is None and sequence.end_reason == "opt_out"


def test_a_step_queued_before_a_pause_waits_with_it_and_looks_again_within_the_hour() -> None:
    started = sequences.start("bright-smile", decision(), RUN)
    queued = sequences.after_step_queued(started)  # step 1 queued (parked for the morning)
    assert sequences.held_until(queued, RUN) is None  # no pause: it goes
    paused = sequences.paused(queued, RUN + timedelta(hours=1))  # a question, that evening
    deadline = RUN + timedelta(hours=1) + sequences.PAUSE_DEADLINE
    assert paused.paused_until == deadline
    assert sequences.held_until(paused, RUN + timedelta(hours=2)) == RUN + timedelta(hours=3)
    last_hour = deadline - timedelta(minutes=20)
    assert sequences.held_until(paused, last_hour) == deadline  # never past the deadline
    assert sequences.held_until(paused, deadline) is None  # it goes on by itself
    # staff answered: nothing holds it
    assert sequences.held_until(sequences.resumed(paused, RUN + timedelta(days=1)), RUN) is None


@given(minutes=st.integers(-10_000, 20_000))
def test_a_pause_holds_a_step_until_its_deadline_and_never_longer_than_an_hour_at_a_time(
    minutes: int,
) -> None:
    paused = sequences.paused(
        sequences.after_step_queued(sequences.start("bright-smile", decision(), RUN)), RUN
    )
    now = RUN + timedelta(minutes=minutes)
    held = sequences.held_until(paused, now)
    assert paused.paused_until is not None
    if now >= paused.paused_until:
        assert held is None
    else:
        assert held is not None
        assert now < held <= min(now + sequences.PAUSE_RECHECK, paused.paused_until)
