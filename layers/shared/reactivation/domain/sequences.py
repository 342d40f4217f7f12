"""Sequences: the steps of a campaign, when each falls due, and when a sequence ends."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from reactivation.domain.outreach import Decision, Enrolment, SendJob
from reactivation.domain.types import Campaign

#: Delay before each step after the first (campaigns.md, "Sequences").
STEP_DELAYS: dict[int, timedelta] = {
    2: timedelta(days=4),
    3: timedelta(days=7),
    4: timedelta(days=7),
}
#: How many steps each campaign sends; missed_appointment sends two, question_follow_up one.
STEPS: dict[Campaign, int] = {campaign: 4 for campaign in Campaign} | {
    Campaign.MISSED_APPOINTMENT: 2,
    Campaign.QUESTION_FOLLOW_UP: 1,
}


def sequence_id(campaign: Campaign, started_at: datetime) -> str:
    """Deterministic, so that a retried enrolment finds the sequence it already made."""
    return f"{started_at.strftime('%Y%m%dT%H%M%SZ')}-{campaign.value}"


def job_id(practice_id: str, patient_id: str, sequence: str, step: int) -> str:
    """One id per step of one sequence: the send function claims it, so a step is sent once."""
    return f"{practice_id}:{patient_id}:{sequence}:{step}"


def start(
    practice_id: str, decision: Decision, run_start: datetime, timezone: str | None = None
) -> Enrolment:
    """The sequence a decision enrols the patient in. A holdout sequence sends nothing.
    `timezone` (the practice's) places missed_appointment's second step the next morning."""
    if decision.campaign is None or decision.channel is None:
        raise ValueError("only a decision with a campaign and a channel starts a sequence")
    return Enrolment(
        sequence_id=sequence_id(decision.campaign, run_start),
        practice_id=practice_id,
        patient_id=decision.patient_id,
        campaign=decision.campaign,
        channel=decision.channel,
        holdout=decision.holdout,
        started_at=run_start,
        timezone=timezone,
        next_step=None if decision.holdout else 1,
        next_step_due_at=None if decision.holdout else run_start,
        ended_at=run_start if decision.holdout else None,
        end_reason="holdout" if decision.holdout else None,
    )


def job_for_due_step(sequence: Enrolment, created_at: datetime) -> SendJob:
    if sequence.next_step is None:
        raise ValueError("this sequence has no step waiting")
    return SendJob(
        job_id=job_id(
            sequence.practice_id, sequence.patient_id, sequence.sequence_id, sequence.next_step
        ),
        practice_id=sequence.practice_id,
        patient_id=sequence.patient_id,
        sequence_id=sequence.sequence_id,
        campaign=sequence.campaign,
        step=sequence.next_step,
        channel=sequence.channel,
        created_at=created_at,
    )


def after_step_queued(sequence: Enrolment) -> Enrolment:
    """The sequence once its waiting step is queued: the next step's due time, or its end.
    A pause that let this step go (its deadline passed with no staff action) is over."""
    if sequence.next_step is None or sequence.next_step_due_at is None:
        raise ValueError("this sequence has no step waiting")
    step, due = sequence.next_step, sequence.next_step_due_at
    unpaused = {"paused_at": None, "paused_until": None}
    if step >= STEPS[sequence.campaign]:
        return sequence.model_copy(
            update={
                "next_step": None,
                "next_step_due_at": None,
                "ended_at": due,
                "end_reason": "completed",
                **unpaused,
            }
        )
    following = step + 1
    return sequence.model_copy(
        update={
            "next_step": following,
            "next_step_due_at": step_due(sequence, following, due),
            **unpaused,
        }
    )


def step_due(sequence: Enrolment, step: int, after: datetime) -> datetime:
    """When `step` falls due, counted from `after` (the previous step's send, or a resume):
    its delay, or for missed_appointment "the next morning". A first step waits for nothing."""
    if step == 1:
        return after
    if sequence.campaign is Campaign.MISSED_APPOINTMENT:
        return next_morning(after, sequence.timezone)
    return after + STEP_DELAYS[step]


#: A question or an unplaced reply pauses a sequence this long at most (campaigns.md,
#: "Readings of the sequence rules"): then it resumes by itself.
PAUSE_DEADLINE = timedelta(days=7)


def paused(sequence: Enrolment, at: datetime, deadline: timedelta = PAUSE_DEADLINE) -> Enrolment:
    """The sequence paused by a reply at `at`: its next step is due its interval after the
    pause's deadline (a pause stops the clock), unless staff resume it or end it first. A
    second question while paused keeps the first deadline: a patient who keeps writing while
    nobody answers is not paused for good."""
    if sequence.next_step is None:
        return sequence  # nothing left to send: nothing to pause
    if sequence.paused:
        return sequence
    until = at + deadline
    return sequence.model_copy(
        update={
            "paused_at": at,
            "paused_until": until,
            "next_step_due_at": step_due(sequence, sequence.next_step, until),
        }
    )


def resumed(sequence: Enrolment, at: datetime) -> Enrolment:
    """Staff answered: the paused sequence goes on, its next step due its interval after now."""
    if sequence.next_step is None or not sequence.paused:
        return sequence
    return sequence.model_copy(
        update={
            "paused_at": None,
            "paused_until": None,
            "next_step_due_at": step_due(sequence, sequence.next_step, at),
        }
    )


#: How often a step that a pause holds is looked at again: staff may resume or end the
#: sequence at any moment, and the step should not wait for the deadline after they do.
PAUSE_RECHECK = timedelta(hours=1)


def held_until(sequence: Enrolment, now: datetime) -> datetime | None:
    """When a step queued before a reply paused its sequence is looked at again: within the
    hour while the pause lasts, never past its deadline. None: no pause holds it (none, or
    its deadline has passed and the sequence goes on by itself)."""
    if not sequence.paused:
        return None
    if sequence.paused_until is None:
        return now + PAUSE_RECHECK
    if sequence.paused_until <= now:
        return None
    return min(now + PAUSE_RECHECK, sequence.paused_until)


#: "The next morning" (campaigns.md): the default sending window's opening; a practice whose
#: window opens later gets the message when it opens (the send function holds it until then).
MORNING = time(9)


def next_morning(after: datetime, timezone: str | None) -> datetime:
    """09:00 of the day after `after`, in the practice's timezone (a day later without one)."""
    if timezone is None:
        return after + timedelta(days=1)
    zone = ZoneInfo(timezone)
    day = after.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(day, MORNING, zone).astimezone(after.tzinfo)


def stopped(sequence: Enrolment, at: datetime, reason: str) -> Enrolment:
    """The sequence ended early: an opt-out, a booking, a reply that is not a question."""
    return sequence.model_copy(
        update={
            "next_step": None,
            "next_step_due_at": None,
            "ended_at": at,
            "end_reason": reason,
            "paused_at": None,
            "paused_until": None,
        }
    )
