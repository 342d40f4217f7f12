"""Every campaign's rule of campaigns.md at its boundaries (windows inclusive at both ends)."""

from datetime import timedelta
from typing import Any

import pytest

from reactivation.domain import rules
from reactivation.domain.outreach import Decision, SkipReason
from reactivation.domain.patients import (
    AppointmentStatus,
    PatientHistory,
    PatientRecord,
    Plan,
    PlanKind,
    PlanStatus,
)
from reactivation.domain.types import Campaign, Channel, ServiceCategory
from tests.builders import at, make_patient, make_practice, visit

RUN = at("2026-11-24 10:00")
TODAY = RUN.date()
EVERY_CAMPAIGN = frozenset(Campaign)


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def plan(kind: PlanKind, **values: Any) -> Plan:
    defaults: dict[str, Any] = {
        "plan_id": f"PL-{kind.value}",
        "patient_id": "P-1",
        "kind": kind,
        "created_on": TODAY - timedelta(days=400),
        "status": PlanStatus.OPEN,
    }
    return Plan.model_validate({**defaults, **values})


def decide(
    appointments: tuple[Any, ...] = (),
    plans: tuple[Plan, ...] = (),
    campaigns: frozenset[Campaign] | None = EVERY_CAMPAIGN,
    patient: dict[str, Any] | None = None,
    **practice: Any,
) -> Decision:
    record = PatientRecord(
        patient=make_patient(**(patient or {})), appointments=appointments, plans=plans
    )
    return rules.decide(
        make_practice(enabled_campaigns=campaigns, **practice).campaign_settings(),
        record,
        PatientHistory(),
        RUN,
    )


def only(campaign: Campaign, **kwargs: Any) -> bool:
    return decide(campaigns=frozenset({campaign}), **kwargs).campaign is campaign


@pytest.mark.parametrize(("days", "holds"), [(0, True), (30, True), (31, False)])
@pytest.mark.parametrize("status", [AppointmentStatus.NO_SHOW, AppointmentStatus.CANCELLED])
def test_missed_appointment(days: int, holds: bool, status: AppointmentStatus) -> None:
    missed = visit("P-1", ago(days), status=status)
    if days == 0:  # today, but before the run's start (10:00 visit, run at 10:00 + 1 minute)
        missed = missed.model_copy(update={"starts_at": RUN - timedelta(minutes=1)})
    assert only(Campaign.MISSED_APPOINTMENT, appointments=(missed,)) is holds


def test_a_missed_visit_followed_by_a_completed_one_is_not_missed() -> None:
    appointments = (
        visit("P-1", ago(10), status=AppointmentStatus.NO_SHOW),
        visit("P-1", ago(5), appointment_id="later"),
    )
    assert not only(Campaign.MISSED_APPOINTMENT, appointments=appointments)
    # a stale 'scheduled' in between does not hide the no-show
    stale = (
        visit("P-1", ago(10), status=AppointmentStatus.NO_SHOW),
        visit("P-1", ago(5), status=AppointmentStatus.SCHEDULED, appointment_id="stale"),
    )
    assert only(Campaign.MISSED_APPOINTMENT, appointments=stale)


@pytest.mark.parametrize(("days", "holds"), [(-1, False), (0, True), (365, True), (366, False)])
@pytest.mark.parametrize("kind", [PlanKind.CHRONIC_REVIEW, PlanKind.SURVEILLANCE])
def test_clinical_review(days: int, holds: bool, kind: PlanKind) -> None:
    due = plan(kind, due_on=TODAY - timedelta(days=days))
    assert only(Campaign.CLINICAL_REVIEW, plans=(due,)) is holds
    booked = plan(kind, due_on=TODAY - timedelta(days=days), status=PlanStatus.SCHEDULED)
    assert not only(Campaign.CLINICAL_REVIEW, plans=(booked,))


@pytest.mark.parametrize(
    ("days", "holds"), [(-15, False), (-14, True), (0, True), (90, True), (91, False)]
)
def test_follow_up_due(days: int, holds: bool) -> None:
    follow_up = plan(PlanKind.FOLLOW_UP, due_on=TODAY - timedelta(days=days))
    assert only(Campaign.FOLLOW_UP_DUE, plans=(follow_up,)) is holds


@pytest.mark.parametrize(("days", "holds"), [(29, False), (30, True), (180, True), (181, False)])
def test_unscheduled_treatment(days: int, holds: bool) -> None:
    treatment = plan(PlanKind.TREATMENT_PLAN, created_on=TODAY - timedelta(days=days))
    assert only(Campaign.UNSCHEDULED_TREATMENT, plans=(treatment,)) is holds
    declined = treatment.model_copy(update={"status": PlanStatus.DECLINED})
    assert not only(Campaign.UNSCHEDULED_TREATMENT, plans=(declined,))


@pytest.mark.parametrize(("days", "holds"), [(13, False), (14, True), (90, True), (91, False)])
def test_consult_not_started(days: int, holds: bool) -> None:
    consult = plan(PlanKind.CONSULTATION, created_on=TODAY - timedelta(days=days))
    assert only(Campaign.CONSULT_NOT_STARTED, plans=(consult,)) is holds


@pytest.mark.parametrize(("days", "holds"), [(-1, False), (0, True), (30, True), (31, False)])
def test_new_patient(days: int, holds: bool) -> None:
    lead = {"lead_created_on": TODAY - timedelta(days=days)}
    assert only(Campaign.NEW_PATIENT, patient=lead) is holds


def test_a_lead_with_any_appointment_is_not_a_new_patient() -> None:
    lead = {"lead_created_on": TODAY - timedelta(days=3)}
    cancelled = (visit("P-1", ago(1), status=AppointmentStatus.CANCELLED),)
    assert not only(Campaign.NEW_PATIENT, patient=lead, appointments=cancelled)


@pytest.mark.parametrize(("days", "holds"), [(41, False), (42, True), (365, True), (366, False)])
def test_series_incomplete(days: int, holds: bool) -> None:
    series = plan(PlanKind.SERIES, category=ServiceCategory.LASER, sessions_planned=6,
                  sessions_completed=2)  # fmt: skip
    session = visit("P-1", ago(days), category=ServiceCategory.LASER)
    assert only(Campaign.SERIES_INCOMPLETE, plans=(series,), appointments=(session,)) is holds


@pytest.mark.parametrize(("completed", "holds"), [(0, False), (1, True), (5, True), (6, False)])
def test_series_sessions(completed: int, holds: bool) -> None:
    series = plan(PlanKind.SERIES, sessions_planned=6, sessions_completed=completed)
    session = visit("P-1", ago(60), category=ServiceCategory.FACIAL)  # blank category: any
    assert only(Campaign.SERIES_INCOMPLETE, plans=(series,), appointments=(session,)) is holds


def test_a_series_counts_only_sessions_of_its_category() -> None:
    series = plan(PlanKind.SERIES, category=ServiceCategory.LASER, sessions_planned=6,
                  sessions_completed=2)  # fmt: skip
    recent_laser = visit("P-1", ago(10), category=ServiceCategory.LASER)
    old_facial = visit("P-1", ago(60), category=ServiceCategory.FACIAL)
    assert not only(
        Campaign.SERIES_INCOMPLETE, plans=(series,), appointments=(recent_laser, old_facial)
    )


@pytest.mark.parametrize(("days", "holds"), [(69, False), (70, True), (98, True), (99, False)])
def test_maintenance_after_neurotoxin(days: int, holds: bool) -> None:
    toxin = (visit("P-1", ago(days), category=ServiceCategory.NEUROTOXIN),)
    consent = {"marketing_opt_in": True}
    assert only(Campaign.MAINTENANCE_DUE, appointments=toxin, patient=consent) is holds


@pytest.mark.parametrize(
    ("day", "holds"),
    [("2026-05-25", False), ("2026-05-24", True), ("2025-11-24", True), ("2025-11-23", False)],
)
def test_maintenance_after_filler_six_to_twelve_calendar_months(day: str, holds: bool) -> None:
    filler = (visit("P-1", day, category=ServiceCategory.FILLER),)
    consent = {"marketing_opt_in": True}
    assert only(Campaign.MAINTENANCE_DUE, appointments=filler, patient=consent) is holds


def test_marketing_without_consent_is_skipped_and_lower_campaigns_are_not_tried() -> None:
    appointments = (visit("P-1", ago(80), category=ServiceCategory.NEUROTOXIN),)
    decision = decide(appointments=appointments)  # maintenance_due holds, no consent
    assert decision.skip is SkipReason.NO_MARKETING_CONSENT


@pytest.mark.parametrize(("days", "holds"), [(29, False), (30, True), (180, True), (181, False)])
def test_lapsed_membership_cancelled(days: int, holds: bool) -> None:
    member = {"membership_status": "cancelled", "membership_ended_on": TODAY - timedelta(days=days),
              "marketing_opt_in": True}  # fmt: skip
    assert only(Campaign.LAPSED_MEMBERSHIP, patient=member) is holds


@pytest.mark.parametrize(("days", "holds"), [(-1, False), (0, True), (30, True), (31, False)])
def test_lapsed_membership_benefits_expiring(days: int, holds: bool) -> None:
    member = {"membership_status": "active", "benefits_expire_on": TODAY + timedelta(days=days),
              "marketing_opt_in": True}  # fmt: skip
    assert only(Campaign.LAPSED_MEMBERSHIP, patient=member) is holds


@pytest.mark.parametrize(
    ("day", "holds"),
    [("2025-11-25", False), ("2025-11-24", True), ("2023-11-24", True), ("2023-11-23", False)],
)
def test_lapsed_patient_twelve_to_thirty_six_months(day: str, holds: bool) -> None:
    assert only(Campaign.LAPSED_PATIENT, appointments=(visit("P-1", day),)) is holds


def test_the_lapsed_bound_is_a_practice_setting() -> None:
    old = (visit("P-1", "2022-06-01"),)
    assert not only(Campaign.LAPSED_PATIENT, appointments=old)
    assert only(Campaign.LAPSED_PATIENT, appointments=old, lapsed_max_months=60)


def test_lapsed_patients_get_a_calm_email_first() -> None:
    with_email = {"email": "ana@example.com"}
    decision = decide(appointments=(visit("P-1", "2025-01-10"),), patient=with_email)
    assert (decision.campaign, decision.channel) == (Campaign.LAPSED_PATIENT, Channel.EMAIL)
    sms_only = decide(appointments=(visit("P-1", "2025-01-10"),))
    assert sms_only.channel is Channel.SMS


def test_priority_the_first_rule_that_holds_wins() -> None:
    appointments = (
        visit("P-1", "2026-04-20"),  # recall due
        visit("P-1", ago(3), status=AppointmentStatus.NO_SHOW, appointment_id="missed"),
    )
    follow_up = plan(PlanKind.FOLLOW_UP, due_on=TODAY)
    assert decide(appointments=appointments, plans=(follow_up,)).campaign is (
        Campaign.MISSED_APPOINTMENT
    )
    assert decide(appointments=appointments[:1], plans=(follow_up,)).campaign is (
        Campaign.FOLLOW_UP_DUE
    )
    dental = decide(appointments=appointments[:1], plans=(follow_up,), vertical="dental",
                    campaigns=None)  # fmt: skip
    assert dental.campaign is Campaign.RECALL_DUE  # follow_up_due is not a dental default


def test_the_run_date_is_the_practice_date() -> None:
    late = at("2026-11-24 23:30")  # New York's 24th, already the 25th in UTC
    record = PatientRecord(patient=make_patient(), appointments=(visit("P-1", "2025-11-25"),))
    new_york = rules.decide(make_practice().campaign_settings(), record, PatientHistory(), late)
    assert new_york.campaign is Campaign.RECALL_DUE  # last visit not yet 12 months old
    utc = rules.decide(
        make_practice(timezone="UTC").campaign_settings(), record, PatientHistory(), late
    )
    assert utc.campaign is Campaign.LAPSED_PATIENT  # in UTC it is 12 months to the day
