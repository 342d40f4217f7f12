"""The owner's figures on a hand-built week whose right answers are written here: bookings
inside and outside the window, a holdout patient's booking, a cancelled booking, a completed
visit without revenue, zero denominators; and the lift with its interval."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reactivation.domain.conversation import BookingRequest, Intent, Opening, Reading, Reply
from reactivation.domain.handoffs import Handoff, HandoffReason, Team
from reactivation.domain.metrics import (
    PaidText,
    Period,
    SentMessage,
    figures,
    lift,
    trend,
    waiting,
    wilson,
)
from reactivation.domain.outcomes import KnownAppointment, Observed, Outcome, outcome
from reactivation.domain.outreach import Enrolment
from reactivation.domain.patients import Appointment, AppointmentStatus
from reactivation.domain.sms import TextKind
from reactivation.domain.types import Campaign, Channel, ServiceCategory
from tests.builders import at

WEEK = Period(at("2026-11-23 00:00"), at("2026-11-30 00:00"))
NOW = at("2026-11-30 07:00")  # the Monday report


def enrolment(n: int, started: str, campaign: Campaign = Campaign.RECALL_DUE,
              holdout: bool = False) -> Enrolment:  # fmt: skip
    return Enrolment(sequence_id=f"S-{n}", practice_id="bright-smile", patient_id=f"P-{n}",
                    campaign=campaign, channel=Channel.SMS, holdout=holdout,
                    started_at=at(started))  # fmt: skip


def appointment(n: int, starts: str, status: AppointmentStatus, revenue: float | None = None,
                changed: str | None = None) -> KnownAppointment:  # fmt: skip
    return KnownAppointment(
        Appointment(appointment_id=f"A-{n}", patient_id=f"P-{n}", starts_at=at(starts),
                    category=ServiceCategory.HYGIENE, status=status, revenue=revenue),
        at(changed) if changed else None,
    )  # fmt: skip


PICK = BookingRequest(practice_id="bright-smile", patient_id="P-1", reply_id="in-pick",
                      opening=Opening(starts_at=at("2026-12-02 09:00")),
                      requested_at=at("2026-11-24 09:00"))  # fmt: skip
S, C = AppointmentStatus.SCHEDULED, AppointmentStatus.COMPLETED
ENROLMENTS = [
    # 1: contacted last week, picked a time by text this week: rebooked this week
    (enrolment(1, "2026-11-17 10:00"), at("2026-11-17 10:05"),
     [appointment(1, "2026-12-02 09:00", S)]),
    # 2: contacted Oct 1, booked Nov 25 (55 days later): outside the 30-day window
    (enrolment(2, "2026-10-01 10:00"), at("2026-10-01 10:05"),
     [appointment(2, "2026-12-03 10:00", S, changed="2026-11-25 11:00")]),
    # 3: a holdout patient who booked and came on their own: not the outreach's
    (enrolment(3, "2026-11-10 10:00", holdout=True), None,
     [appointment(3, "2026-11-26 10:00", C, 200.0, changed="2026-11-24 10:00")]),
    # 4: contacted, booked, then cancelled: not rebooked
    (enrolment(4, "2026-11-02 10:00"), at("2026-11-02 10:05"),
     [appointment(4, "2026-11-24 10:00", AppointmentStatus.CANCELLED, changed="2026-11-05 09:00")]),
    # 5: a missed visit rescued: rebooked and completed this week, without revenue billed
    (enrolment(5, "2026-11-23 12:00", Campaign.MISSED_APPOINTMENT), at("2026-11-23 12:15"),
     [appointment(5, "2026-11-27 10:00", C, None, changed="2026-11-23 15:00")]),
    # 6: contacted this week by email, opted out; 7: a holdout enrolled this week
    (enrolment(6, "2026-11-24 10:00"), at("2026-11-24 15:00"), []),
    (enrolment(7, "2026-11-24 10:00", holdout=True), None, []),
]  # fmt: skip
SENT = [
    SentMessage("P-1", "S-1", Campaign.RECALL_DUE, Channel.SMS, 1, at("2026-11-17 10:05")),
    SentMessage("P-5", "S-5", Campaign.MISSED_APPOINTMENT, Channel.SMS, 2, at("2026-11-23 12:15")),
    SentMessage("P-1", "S-1", Campaign.RECALL_DUE, Channel.SMS, 1, at("2026-11-24 10:00")),
    SentMessage("P-6", "S-6", Campaign.RECALL_DUE, Channel.EMAIL, 0, at("2026-11-24 15:00")),
]
REPLIES = [
    Reply(practice_id="bright-smile", inbound_message_id="in-pick", from_number="+12125550101",
          body="2", received_at=at("2026-11-24 09:00"), intent=Intent.BOOK, notify_staff=False,
          patient_ids=("P-1",)),
    Reply(practice_id="bright-smile", inbound_message_id="in-stop", from_number="+12125550106",
          body="STOP", received_at=at("2026-11-25 09:00"), intent=Intent.OPT_OUT,
          notify_staff=False, patient_ids=("P-6",)),
]  # fmt: skip
HANDOFFS = [
    Handoff(practice_id="bright-smile", handoff_id="in-pick", from_number="+12125550101",
            patient_ids=("P-1",), reason=HandoffReason.BOOKING_REQUEST, team=Team.FRONT_DESK,
            urgent=False, opened_at=at("2026-11-24 09:00"), closed_at=at("2026-11-24 13:00")),
    Handoff(practice_id="bright-smile", handoff_id="in-gum", from_number="+12125550104",
            patient_ids=("P-4",), reason=HandoffReason.CLINICAL, team=Team.CLINICAL,
            urgent=True, opened_at=at("2026-11-25 10:00")),
]  # fmt: skip


def outcomes() -> list[Outcome]:
    return [outcome(e, first, apps, [PICK], None, now=NOW, attribution_days=30)
            for e, first, apps in ENROLMENTS]  # fmt: skip


def test_each_enrolment_is_credited_as_the_rules_say() -> None:
    by_patient = {o.patient_id: o for o in outcomes()}
    assert by_patient["P-1"].booked_at == at("2026-11-24 09:00")  # when they picked it
    assert by_patient["P-1"].completed_at is None
    assert not by_patient["P-2"].booked and by_patient["P-2"].booked_outside
    assert by_patient["P-3"].booked and by_patient["P-3"].holdout
    assert by_patient["P-3"].revenue == 200.0
    assert not by_patient["P-4"].booked  # cancelled
    assert by_patient["P-5"].booked_at == at("2026-11-23 15:00")
    assert (by_patient["P-5"].completed_at, by_patient["P-5"].revenue) == (
        at("2026-11-27 10:00"), 0.0)  # fmt: skip
    assert not by_patient["P-6"].booked and not by_patient["P-7"].booked


def test_the_week_s_figures() -> None:
    week = figures(WEEK, enrolments=[e for e, _, _ in ENROLMENTS], sent=SENT, replies=REPLIES,
                   outcomes=outcomes(), handoffs=HANDOFFS, corrections=2)  # fmt: skip
    assert (week.eligible, week.holdout, week.reached) == (3, 1, 3)  # 5, 6, 7; P-1, 5, 6
    assert (week.messages, week.sms, week.sms_segments, week.emails) == (3, 2, 3, 1)
    # P-6 answered this week's email; P-1's "2" answered last week's text, not this week's
    assert (week.replied, week.response_rate) == (1, 1 / 3)
    assert (week.opt_outs, week.opt_out_rate) == (1, 1 / 3)
    assert (week.rebooked, week.completed, week.revenue) == (2, 1, 0.0)  # P-1, P-5; P-5
    assert week.rebooking_rate == 2 / 3
    assert (week.missed_enrolled, week.missed_rebooked) == (1, 1)
    # P-1: Nov 17 10:05 -> Nov 24 09:00 = 166.9167 h; P-5: 12:15 -> 15:00 = 2.75 h
    assert week.median_hours_to_booking == pytest.approx((166 + 55 / 60 + 2.75) / 2)
    assert week.handoffs == {HandoffReason.BOOKING_REQUEST: 1, HandoffReason.CLINICAL: 1}
    assert (week.handoffs_closed, week.median_hours_to_close, week.corrections) == (1, 4.0, 2)
    recall, missed = sorted(week.by_campaign, key=lambda c: c.campaign != Campaign.RECALL_DUE)
    assert (recall.eligible, recall.reached, recall.replied, recall.rebooked) == (2, 2, 1, 1)
    assert (missed.eligible, missed.reached, missed.rebooked, missed.completed) == (1, 1, 1, 1)
    assert not week.quiet
    # the visits booked this week: P-5's (Nov 27) and the time P-1 picked (Dec 2)
    assert week.visits_booked == (at("2026-11-27 10:00"), at("2026-12-02 09:00"))
    assert week.texts == {TextKind.OUTREACH: 2} and week.segments == {TextKind.OUTREACH: 3}
    assert not week.receipts and week.barriers == {}


def test_a_week_with_nothing_has_no_rates_and_is_quiet() -> None:
    empty = figures(Period(at("2026-01-05 00:00"), at("2026-01-12 00:00")), enrolments=[],
                    sent=[], replies=[], outcomes=[], handoffs=[], corrections=0)  # fmt: skip
    assert empty.quiet
    assert (empty.response_rate, empty.opt_out_rate, empty.rebooking_rate) == (None, None, None)
    assert (empty.median_hours_to_booking, empty.median_hours_to_close) == (None, None)


def test_a_booking_a_report_saw_before_stays_where_it_was_seen() -> None:
    e, first, apps = (
        ENROLMENTS[5][0],
        ENROLMENTS[5][1],
        [appointment(6, "2026-12-10 10:00", S)],
    )  # an import's: no time of its own
    unseen = outcome(e, first, apps, [], None, now=NOW, attribution_days=30)
    assert unseen.booked_at == NOW  # first seen by this report: counted from now, not earlier
    seen = outcome(e, first, apps, [], Observed("A-6", at("2026-11-26 08:00")),
                   now=NOW + timedelta(days=7), attribution_days=30)  # fmt: skip
    assert seen.booked_at == at("2026-11-26 08:00")


def outcomes_of(contacted: int, c_booked: int, holdout: int, h_booked: int) -> list[Outcome]:
    def one(i: int, is_holdout: bool, booked: bool) -> Outcome:
        anchor = at("2026-11-02 10:00")
        return Outcome(sequence_id=f"S-{i}", patient_id=f"P-{i}", campaign=Campaign.RECALL_DUE,
                       holdout=is_holdout, anchor_at=anchor, contacted=not is_holdout,
                       booked_at=anchor + timedelta(days=3) if booked else None)  # fmt: skip

    return ([one(i, False, i < c_booked) for i in range(contacted)]
            + [one(1000 + i, True, i < h_booked) for i in range(holdout)])  # fmt: skip


COHORT = Period(at("2026-09-01 00:00"), at("2026-11-30 00:00"))


def wilson_by_bisection(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson's limits from their definition: the p for which |k/n - p| = z sqrt(p(1-p)/n)."""
    p_hat = k / n

    def gap(p: float) -> float:
        return abs(p_hat - p) - z * math.sqrt(p * (1 - p) / n)

    def root(lo: float, hi: float) -> float:
        for _ in range(200):
            mid = (lo + hi) / 2
            if (gap(lo) > 0) == (gap(mid) > 0):
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    return (root(0.0, p_hat) if k else 0.0), (root(p_hat, 1.0) if k < n else 1.0)


def test_the_lift_and_its_interval() -> None:
    # Newcombe (1998), example (a): 56/70 against 48/80
    result = lift(outcomes_of(70, 56, 80, 48), COHORT)
    assert result.difference == pytest.approx(56 / 70 - 48 / 80)
    l1, u1 = wilson_by_bisection(56, 70)
    l2, u2 = wilson_by_bisection(48, 80)
    d = 56 / 70 - 48 / 80
    assert result.low == pytest.approx(d - math.sqrt((0.8 - l1) ** 2 + (u2 - 0.6) ** 2), abs=1e-6)
    assert result.high == pytest.approx(d + math.sqrt((u1 - 0.8) ** 2 + (0.6 - l2) ** 2), abs=1e-6)
    assert result.low == pytest.approx(0.0524, abs=5e-4)  # the paper's method 10: 0.0524
    assert result.high == pytest.approx(0.3339, abs=5e-4)  # to 0.3339
    assert result.extra_bookings == pytest.approx(d * 70)


def test_small_groups_are_not_enough_data_yet() -> None:
    result = lift(outcomes_of(29, 10, 200, 20), COHORT)
    assert not result.enough_data and result.difference is None
    assert (result.contacted, result.contacted_booked, result.holdout) == (29, 10, 200)


@given(st.integers(0, 200), st.integers(1, 200))
def test_wilson_brackets_the_rate(successes: int, trials: int) -> None:
    successes = min(successes, trials)
    low, high = wilson(successes, trials)
    assert 0 <= low <= successes / trials <= high <= 1
    assert (low, high) == pytest.approx(wilson_by_bisection(successes, trials), abs=1e-6)


def test_a_time_picked_by_text_is_a_booking_before_the_practice_reports_it() -> None:
    e, first, _ = ENROLMENTS[0]
    early = outcome(e, first, [], [PICK], None, now=NOW, attribution_days=30)
    assert (early.booked_at, early.appointment_id) == (at("2026-11-24 09:00"), None)
    later = outcome(e, first, [appointment(1, "2026-12-02 09:00", C, 180.0,
                                           changed="2026-11-24 10:00")],
                    [PICK], Observed("", at("2026-11-24 09:00")), now=NOW,
                    attribution_days=30)  # fmt: skip
    assert (later.booked_at, later.appointment_id, later.revenue) == (
        at("2026-11-24 09:00"), "A-1", 180.0)  # fmt: skip


def week_of(**changes: object) -> object:
    arguments: dict[str, object] = dict(enrolments=[e for e, _, _ in ENROLMENTS], sent=SENT,
                                        replies=REPLIES, outcomes=outcomes(), handoffs=HANDOFFS,
                                        corrections=0)  # fmt: skip
    arguments.update(changes)
    return figures(WEEK, **arguments)  # type: ignore[arg-type]


def test_replies_count_for_the_messages_they_answer_so_weeks_and_four_weeks_agree() -> None:
    # ten patients a week for four weeks, texted on Tuesday; three of each week's reply on
    # Friday; the seven silent ones get a follow-up the next Tuesday, and stay silent
    sent, replies = [], []
    for week in range(4):
        for n in range(10):
            patient = f"P-{week}-{n}"
            when = WEEK.start - timedelta(weeks=3 - week) + timedelta(days=1)
            sent.append(SentMessage(patient, f"S-{patient}", Campaign.RECALL_DUE, Channel.SMS, 1,
                                    when))  # fmt: skip
            if n >= 3 and week < 3:
                sent.append(SentMessage(patient, f"S-{patient}", Campaign.RECALL_DUE,
                                        Channel.SMS, 1, when + timedelta(weeks=1)))  # fmt: skip
            if n < 3:
                replies.append(Reply(practice_id="p", inbound_message_id=f"in-{patient}",
                                     from_number="+12125550100", body="yes",
                                     received_at=when + timedelta(days=3), intent=Intent.BOOK,
                                     notify_staff=False, patient_ids=(patient,)))  # fmt: skip
    weekly = [
        figures(Period(WEEK.start - timedelta(weeks=3 - w), WEEK.end - timedelta(weeks=3 - w)),
                enrolments=[], sent=sent, replies=replies, outcomes=[], handoffs=[],
                corrections=0).response_rate
        for w in range(4)
    ]  # fmt: skip
    four = figures(Period(WEEK.start - timedelta(weeks=3), WEEK.end), enrolments=[], sent=sent,
                   replies=replies, outcomes=[], handoffs=[], corrections=0)  # fmt: skip
    assert weekly == [3 / 10, 3 / 17, 3 / 17, 3 / 17]  # the follow-ups' silence counts
    # the four weeks: week by week added up, between the weeks' rates (a count of distinct
    # patients would say 12 of 40, 30%, as high as the best week's)
    assert four.response_rate == 12 / 61
    rates = [r for r in weekly if r is not None]
    assert min(rates) < four.response_rate < max(rates)


def test_every_text_the_practice_pays_for_counts_with_its_segments() -> None:
    paid = [
        PaidText(TextKind.ANSWER, 2, at("2026-11-24 09:01")),
        PaidText(TextKind.ANSWER, 1, at("2026-11-25 09:01")),
        PaidText(TextKind.STAFF_REPLY, 1, at("2026-11-26 11:00")),
        PaidText(TextKind.ANSWER, 1, at("2026-11-30 09:00")),  # next week's
    ]
    week = week_of(paid=paid)
    assert week.texts == {TextKind.OUTREACH: 2, TextKind.ANSWER: 2,  # type: ignore[attr-defined]
                          TextKind.STAFF_REPLY: 1}  # fmt: skip
    assert week.texts_paid == 5 and week.segments_paid == 3 + 2 + 1 + 1  # type: ignore[attr-defined]


def test_reached_counts_what_the_carrier_delivered_once_receipts_are_recorded() -> None:
    assert week_of().reached == 3 and not week_of().receipts  # type: ignore[attr-defined]
    receipts = [replace(SENT[1], delivered=True), replace(SENT[2], delivered=False), SENT[3]]
    week = week_of(sent=receipts)
    assert week.receipts  # type: ignore[attr-defined]
    assert week.reached == 1  # type: ignore[attr-defined]  # P-5 only: P-1's failed, P-6 no receipt
    assert week.delivered == 1 and week_of().delivered == 0  # type: ignore[attr-defined]


def test_a_reply_is_timed_by_when_it_was_recorded_not_the_carrier_s_clock() -> None:
    # the carrier stamped P-6's STOP a week early; it was recorded after the email, this week
    skewed = REPLIES[1].model_copy(update={"received_at": at("2026-11-18 09:00"),
                                           "recorded_at": at("2026-11-25 09:00")})  # fmt: skip
    assert week_of(replies=[REPLIES[0], skewed]).replied == 1  # type: ignore[attr-defined]


def test_the_barriers_patients_named_count_and_a_reply_without_one_counts_as_none() -> None:
    named = [r.model_copy(update={"barrier": "cost"}) for r in REPLIES]
    week = week_of(replies=[*named, REPLIES[0].model_copy(update={"inbound_message_id": "x"})])
    assert week.barriers == {"cost": 2}  # type: ignore[attr-defined]
    assert week_of().barriers == {}  # type: ignore[attr-defined]


def test_the_acknowledgements_are_counted_with_the_replies_they_are() -> None:
    thanks = REPLIES[0].model_copy(
        update={"inbound_message_id": "thanks", "reading": Reading.ACKNOWLEDGEMENT}
    )
    week = week_of(replies=[*REPLIES, thanks])
    assert week.acknowledgements == 1  # type: ignore[attr-defined]
    assert week_of().acknowledgements == 0  # type: ignore[attr-defined]


def test_a_booking_the_patient_says_they_made_waits_with_the_bookings_to_confirm() -> None:
    changes = {"closed_at": None, "handoff_id": "in-booked",
               "reason": HandoffReason.BOOKING_TO_CONFIRM}  # fmt: skip
    booked = HANDOFFS[0].model_copy(update=changes)
    result = waiting([booked], NOW)
    assert (result.bookings_to_confirm, result.teams) == (1, ())


def test_the_trend_counts_bookings_and_revenue_per_week_and_marks_the_first_outreach() -> None:
    weeks = [Period(WEEK.start - timedelta(weeks=n), WEEK.end - timedelta(weeks=n))
             for n in (2, 1, 0)]  # fmt: skip
    result = trend(outcomes(), weeks, first_outreach=at("2026-11-17 10:05"))
    assert [(t.booked, t.revenue, t.first_outreach) for t in result] == [
        (0, 0.0, False), (0, 0.0, True), (2, 0.0, False)]  # fmt: skip
    assert [t.start for t in result] == [w.start for w in weeks]


def test_what_waits_for_the_team_by_team_with_the_oldest_and_the_bookings_to_confirm() -> None:
    pick = HANDOFFS[0].model_copy(update={"closed_at": None, "handoff_id": "in-pick-2"})
    result = waiting([*HANDOFFS, pick], NOW)
    assert [(t.team, t.open, t.oldest_hours) for t in result.teams] == [
        (Team.CLINICAL, 1, 5 * 24 - 3)]  # fmt: skip  # Nov 25 10:00 -> Nov 30 07:00
    assert (result.bookings_to_confirm, result.oldest_booking_hours) == (1, 6 * 24 - 2)
    assert waiting([HANDOFFS[0]], NOW).nothing


def test_the_lift_in_bookings() -> None:
    result = lift(outcomes_of(70, 56, 80, 48), COHORT)
    assert result.bookings_anyway == pytest.approx(42)  # 60% of the 70 contacted
    assert result.extra_range == pytest.approx((0.0524 * 70, 0.3339 * 70), abs=0.05)


@pytest.mark.parametrize(
    ("reason", "days", "past"),
    [(HandoffReason.QUESTION, 7, 1), (HandoffReason.OTHER, 8, 1),
     (HandoffReason.QUESTION, 6.9, 0), (HandoffReason.CLINICAL, 30, 0)],
)  # fmt: skip
def test_a_question_open_past_the_pause_deadline_is_counted_as_gone_on_without_an_answer(
    reason: HandoffReason, days: float, past: int
) -> None:
    asked = HANDOFFS[1].model_copy(
        update={"reason": reason, "team": Team.FRONT_DESK, "opened_at": NOW - timedelta(days=days)}
    )
    assert waiting([asked], NOW).past_the_pause == past
