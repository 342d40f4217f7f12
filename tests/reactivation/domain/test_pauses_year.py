"""No pause without an end, over a simulated year (issue #18): whatever questions a patient
asks and whatever staff do or fail to do, a paused sequence's next step is never due later
than the pause's deadline plus its interval, every step goes out within that bound, and the
sequence ends."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from reactivation.domain import sequences
from reactivation.domain.outreach import Decision, Enrolment
from reactivation.domain.types import Campaign, Channel
from tests.builders import at

START = at("2026-01-06 10:00")
YEAR = 365
#: The longest a step can wait once its pause is over: its interval (or the next morning).
LONGEST_STEP = max(sequences.STEP_DELAYS.values()) + timedelta(days=1)

#: What happens on a day: a question nobody answered (a pause), a question the FAQ answered
#: (nothing changes), staff answering (resume), or nothing.
Event = st.sampled_from(["pause", "faq", "resume", "quiet", "quiet", "quiet"])


def enrolled(campaign: Campaign) -> Enrolment:
    decision = Decision(patient_id="P-1", campaign=campaign, channel=Channel.SMS)
    return sequences.start("bright-smile", decision, START, "America/New_York")


@given(
    campaign=st.sampled_from([Campaign.RECALL_DUE, Campaign.MISSED_APPOINTMENT]),
    days=st.lists(Event, min_size=YEAR, max_size=YEAR),
    hour=st.integers(0, 23),
)
def test_a_paused_sequence_always_goes_on_and_ends(
    campaign: Campaign, days: list[str], hour: int
) -> None:
    sequence = enrolled(campaign)
    sent: list[datetime] = []
    last_event = START
    for day, event in enumerate(days):
        now = START + timedelta(days=day, hours=hour)
        while sequence.next_step_due_at is not None and sequence.next_step_due_at <= now:
            sent.append(sequence.next_step_due_at)
            sequence = sequences.after_step_queued(sequence)
        if sequence.ended_at is not None:
            break
        if event == "pause":
            sequence = sequences.paused(sequence, now)
            last_event = now
        elif event == "resume" and sequence.paused:
            sequence = sequences.resumed(sequence, now)
            last_event = now
        if sequence.paused:
            assert sequence.paused_until is not None and sequence.next_step_due_at is not None
            assert sequence.paused_until - now <= sequences.PAUSE_DEADLINE  # never for good
            assert sequence.next_step_due_at <= sequence.paused_until + LONGEST_STEP
        assert sequence.next_step_due_at is not None
        # the next step is never further off than one pause and one interval from now
        assert sequence.next_step_due_at - now <= sequences.PAUSE_DEADLINE + LONGEST_STEP
    else:
        raise AssertionError("a sequence still open after a year")
    assert len(sent) == sequences.STEPS[campaign]
    assert sequence.end_reason == "completed" and not sequence.paused
    assert sent == sorted(sent) and sent[-1] >= last_event - LONGEST_STEP
