"""The rules of campaigns.md as the engine applies them (recall_due and every exclusion)."""

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reactivation.domain import rules
from reactivation.domain.calendar import add_months
from reactivation.domain.outreach import Decision, SkipReason
from reactivation.domain.patients import AppointmentStatus, PatientHistory, PatientRecord
from reactivation.domain.practice import CampaignSettings
from reactivation.domain.types import Campaign, Channel, ServiceCategory
from tests.builders import at, make_patient, make_practice, visit

RUN = at("2026-11-24 10:00")  # Tuesday
PRACTICE = make_practice()


def decide(
    record: PatientRecord, history: PatientHistory | None = None, **practice: Any
) -> Decision:
    return rules.decide(
        make_practice(**practice).campaign_settings(), record, history or PatientHistory(), RUN
    )


def recall_record(**patient: Any) -> PatientRecord:
    return PatientRecord(
        patient=make_patient(**patient), appointments=(visit("P-1", "2026-04-20"),)
    )


def test_a_patient_seven_months_after_a_cleaning_is_due_for_recall_by_sms() -> None:
    decision = decide(recall_record())
    assert decision.campaign is Campaign.RECALL_DUE
    assert decision.channel is Channel.SMS
    assert decision.skip is None and decision.holdout is False


@pytest.mark.parametrize(
    ("last_cleaning", "due"),
    [
        ("2026-05-24", True),  # exactly six months: date + 6 months <= D
        ("2026-05-25", False),  # one day short
        ("2025-11-25", True),  # last visit 364 days ago: less than 12 months old
        ("2025-11-24", False),  # exactly 12 months: no longer "less than 12 months"
    ],
)
def test_recall_boundaries(last_cleaning: str, due: bool) -> None:
    record = PatientRecord(patient=make_patient(), appointments=(visit("P-1", last_cleaning),))
    assert (decide(record).campaign is Campaign.RECALL_DUE) is due


@given(st.integers(min_value=0, max_value=800))
def test_recall_holds_exactly_between_six_and_twelve_months(days_ago: int) -> None:
    today = RUN.date()
    last = today - timedelta(days=days_ago)
    record = PatientRecord(patient=make_patient(), appointments=(visit("P-1", last.isoformat()),))
    expected = add_months(last, 6) <= today < add_months(last, 12)
    assert (decide(record).campaign is Campaign.RECALL_DUE) is expected


def test_an_exam_counts_for_recall_but_another_visit_only_for_last_visit() -> None:
    record = PatientRecord(
        patient=make_patient(),
        appointments=(
            visit("P-1", "2026-03-01", category=ServiceCategory.EXAM),
            visit("P-1", "2026-10-01", category=ServiceCategory.RESTORATIVE),
        ),
    )
    assert decide(record).campaign is Campaign.RECALL_DUE


def test_cancelled_and_no_show_visits_do_not_count_as_visits() -> None:
    record = PatientRecord(
        patient=make_patient(),
        appointments=(
            visit("P-1", "2026-04-20"),
            visit("P-1", "2026-10-01", status=AppointmentStatus.NO_SHOW),
        ),
    )
    assert decide(record).campaign is Campaign.RECALL_DUE


@pytest.mark.parametrize(
    ("patient", "history", "appointments", "reason"),
    [
        ({"deceased": True, "do_not_contact": True}, {}, (), SkipReason.DECEASED),
        ({"do_not_contact": True, "active": False}, {}, (), SkipReason.DO_NOT_CONTACT),
        ({"active": False}, {"in_sequence": True}, (), SkipReason.INACTIVE),
        (
            {},
            {"opted_out": frozenset({"+12125550101"})},
            (("2026-12-01", AppointmentStatus.SCHEDULED),),
            SkipReason.HAS_FUTURE_APPOINTMENT,
        ),
        (
            {},
            {"opted_out": frozenset({"+12125550101"}), "in_sequence": True},
            (),
            SkipReason.OPTED_OUT,
        ),
        ({"sms_opt_in": False}, {}, (), SkipReason.OPTED_OUT),
        ({"mobile": None}, {"in_sequence": True}, (), SkipReason.NO_CHANNEL),
        ({}, {"in_sequence": True, "service_recovery": True}, (), SkipReason.IN_SEQUENCE),
        ({}, {"service_recovery": True}, (), SkipReason.SERVICE_RECOVERY),
    ],
)
def test_exclusions_apply_in_the_spec_order(
    patient: dict[str, Any],
    history: dict[str, object],
    appointments: tuple[tuple[str, AppointmentStatus], ...],
    reason: SkipReason,
) -> None:
    record = PatientRecord(
        patient=make_patient(**patient),
        appointments=(
            visit("P-1", "2026-04-20"),
            *(visit("P-1", day, status=status) for day, status in appointments),
        ),
    )
    decision = decide(record, PatientHistory.model_validate(history))
    assert decision.skip is reason
    assert decision.campaign is None and decision.channel is None


def test_a_scheduled_appointment_in_the_past_is_not_a_future_appointment() -> None:
    record = PatientRecord(
        patient=make_patient(),
        appointments=(
            visit("P-1", "2026-04-20"),
            visit("P-1", "2026-11-01", status=AppointmentStatus.SCHEDULED),
        ),
    )
    assert decide(record).campaign is Campaign.RECALL_DUE


def test_snooze_and_cooldown() -> None:
    snoozed = PatientHistory(snoozed_until=RUN.date() + timedelta(days=1))
    assert decide(recall_record(), snoozed).skip is SkipReason.SNOOZED
    assert decide(recall_record(), PatientHistory(snoozed_until=RUN.date())).campaign
    recent = PatientHistory(last_sequence_ended_at=RUN - timedelta(days=29))
    assert decide(recall_record(), recent).skip is SkipReason.COOLDOWN
    old = PatientHistory(last_sequence_ended_at=RUN - timedelta(days=30))
    assert decide(recall_record(), old).campaign is Campaign.RECALL_DUE


def test_email_when_sms_is_not_allowed() -> None:
    decision = decide(recall_record(sms_opt_in=False, email="ana@example.com"))
    assert decision.channel is Channel.EMAIL
    history = PatientHistory(opted_out=frozenset({"+12125550101"}))
    assert decide(recall_record(email="ana@example.com"), history).channel is Channel.EMAIL


def test_no_rule_holds_is_not_eligible_and_disabled_campaigns_are_not_tried() -> None:
    fresh = PatientRecord(patient=make_patient(), appointments=(visit("P-1", "2026-10-01"),))
    assert decide(fresh).skip is SkipReason.NOT_ELIGIBLE
    medspa = decide(recall_record(), vertical="medspa")  # recall_due is not a med spa campaign
    assert medspa.skip is SkipReason.NOT_ELIGIBLE


def test_holdout_is_stable_and_close_to_its_share() -> None:
    settings = make_practice(holdout_percent=10).campaign_settings()
    day = RUN.date()

    def draw(settings: CampaignSettings, count: int, on: date = day) -> list[bool]:
        return [rules.in_holdout(settings, f"P-{i}", Campaign.RECALL_DUE, on) for i in range(count)]

    draws = draw(settings, 10_000)
    assert draws == draw(settings, 10_000)  # the same patients, the same answers
    assert 900 <= sum(draws) <= 1100  # within 1 point of 10% on 10,000 patients
    # the same ISO quarter gives the same answer on any of its days; the next one draws anew
    assert draw(settings, 2000, date(2026, 10, 1)) == draw(settings, 2000, date(2026, 12, 24))
    assert draw(settings, 2000, date(2027, 1, 5)) != draw(settings, 2000, day)
    assert not any(draw(make_practice().campaign_settings(), 500))


def test_a_wrong_number_is_as_if_absent() -> None:
    wrong = PatientHistory(invalid_contacts=frozenset({"+12125550101"}))
    assert decide(recall_record(), wrong).skip is SkipReason.NO_CHANNEL
    with_email = decide(recall_record(email="ana@example.com"), wrong)
    assert with_email.channel is Channel.EMAIL


def test_a_declined_campaign_cools_down_for_180_days() -> None:
    def declined(days: int) -> PatientHistory:
        return PatientHistory(declined={Campaign.RECALL_DUE: RUN.date() - timedelta(days=days)})

    assert decide(recall_record(), declined(179)).skip is SkipReason.COOLDOWN
    assert decide(recall_record(), declined(180)).campaign is Campaign.RECALL_DUE
