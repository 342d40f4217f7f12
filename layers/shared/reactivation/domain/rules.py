"""Who gets which campaign (spec/campaigns.md): exclusions first, then campaigns by priority.

Pure: the practice, the patient's record and history and the run's start are passed in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from reactivation.domain.calendar import add_months, iso_quarter, local_date
from reactivation.domain.outreach import Decision, SkipReason
from reactivation.domain.patients import (
    Appointment,
    AppointmentStatus,
    MembershipStatus,
    Patient,
    PatientHistory,
    PatientRecord,
    Plan,
    PlanKind,
    PlanStatus,
)
from reactivation.domain.practice import CampaignSettings
from reactivation.domain.types import Campaign, Channel, ServiceCategory

COOLDOWN_AFTER_SEQUENCE = timedelta(days=30)
COOLDOWN_AFTER_DECLINE = timedelta(days=180)
#: Every step of any campaign went unanswered: no campaign for this long after the last one.
COOLDOWN_AFTER_SILENCE = timedelta(days=60)
#: Only a rescue this recent blocks a new one (a holdout rescue too: its control stays so).
RESCUE_COOLDOWN = timedelta(days=30)

#: Campaigns in the spec's priority order.
PRIORITY: tuple[Campaign, ...] = (
    Campaign.MISSED_APPOINTMENT,
    Campaign.CLINICAL_REVIEW,
    Campaign.FOLLOW_UP_DUE,
    Campaign.UNSCHEDULED_TREATMENT,
    Campaign.CONSULT_NOT_STARTED,
    Campaign.NEW_PATIENT,
    Campaign.SERIES_INCOMPLETE,
    Campaign.MAINTENANCE_DUE,
    Campaign.RECALL_DUE,
    Campaign.LAPSED_MEMBERSHIP,
    Campaign.LAPSED_PATIENT,
)
MARKETING: frozenset[Campaign] = frozenset({Campaign.MAINTENANCE_DUE, Campaign.LAPSED_MEMBERSHIP})


_SCHEDULED, _COMPLETED = AppointmentStatus.SCHEDULED, AppointmentStatus.COMPLETED


@dataclass(slots=True)
class Visits:
    """What the rules read of a patient's appointments for one run, gathered in one pass
    (`of`) or as the appointments stream by (`add`), so that they need not be held."""

    run_start: datetime
    zone: ZoneInfo
    #: Appointments seen, of any status.
    count: int = 0
    #: A `scheduled` appointment starting at or after the run's start.
    future: bool = False
    #: The latest appointment that started before the run's start and is not `scheduled`.
    last_started_at: datetime | None = None
    last_started_status: AppointmentStatus | None = None
    #: The date (in the practice's timezone) of the latest `completed` visit per category.
    completed: dict[ServiceCategory, date] = field(default_factory=dict)

    @classmethod
    def of(cls, appointments: Iterable[Appointment], run_start: datetime, timezone: str) -> Visits:
        visits = cls(run_start, ZoneInfo(timezone))
        for appointment in appointments:
            visits.add(appointment.starts_at, appointment.category, appointment.status)
        return visits

    def add(
        self, starts_at: datetime, category: ServiceCategory, status: AppointmentStatus
    ) -> None:
        self.count += 1
        if status is _SCHEDULED:
            if starts_at >= self.run_start:
                self.future = True
            return
        if status is _COMPLETED:
            day = starts_at.astimezone(self.zone).date()
            latest = self.completed.get(category)
            if latest is None or day > latest:
                self.completed[category] = day
        if starts_at < self.run_start and (
            self.last_started_at is None or starts_at > self.last_started_at
        ):  # the first of equal starts, as max() over the appointments in order
            self.last_started_at, self.last_started_status = starts_at, status

    def last_completed(self, categories: Iterable[ServiceCategory] | None = None) -> date | None:
        completed = self.completed
        if not completed:
            return None
        if categories is None:
            return max(completed.values())
        days = [completed[c] for c in categories if c in completed]
        return max(days) if days else None


@dataclass(frozen=True)
class Facts:
    """What the rules look at, derived once per patient and run."""

    patient: Patient
    plans: Sequence[Plan]
    visits: Visits
    today: date
    lapsed_max_months: int = 36

    def last_completed(self, categories: Iterable[ServiceCategory] | None = None) -> date | None:
        return self.visits.last_completed(categories)

    def age(self, day: date) -> int:
        """Whole days from `day` to the run date (negative: ahead)."""
        return (self.today - day).days

    def open_plans(self, *kinds: PlanKind) -> list[Plan]:
        if not self.plans:  # most patients (a rule asks for each kind)
            return []
        return [p for p in self.plans if p.status is PlanStatus.OPEN and p.kind in kinds]


def _facts(
    settings: CampaignSettings,
    patient: Patient,
    plans: Sequence[Plan],
    visits: Visits,
    at: datetime,
) -> Facts:
    """What the rules look at for a run (or a rescue) at `at`, in the practice's timezone."""
    return Facts(
        patient=patient,
        plans=plans,
        visits=visits,
        today=local_date(at, settings.timezone),
        lapsed_max_months=settings.lapsed_max_months,
    )


def _record_facts(settings: CampaignSettings, record: PatientRecord, at: datetime) -> Facts:
    visits = Visits.of(record.appointments, at, settings.timezone)
    return _facts(settings, record.patient, record.plans, visits, at)


def _months_old_at_least(day: date, months: int, today: date) -> bool:
    return add_months(day, months) <= today


def _months_old_at_most(day: date, months: int, today: date) -> bool:
    return add_months(day, months) >= today


def _missed_appointment(facts: Facts) -> bool:
    visits = facts.visits
    latest = visits.last_started_at
    if latest is None:
        return False
    missed = visits.last_started_status in (AppointmentStatus.NO_SHOW, AppointmentStatus.CANCELLED)
    return missed and 0 <= facts.age(latest.astimezone(visits.zone).date()) <= 30


def _clinical_review(facts: Facts) -> bool:
    return any(
        plan.due_on is not None and 0 <= facts.age(plan.due_on) <= 365
        for plan in facts.open_plans(PlanKind.CHRONIC_REVIEW, PlanKind.SURVEILLANCE)
    )


def _follow_up_due(facts: Facts) -> bool:
    return any(
        plan.due_on is not None and -14 <= facts.age(plan.due_on) <= 90
        for plan in facts.open_plans(PlanKind.FOLLOW_UP)
    )


def _unscheduled_treatment(facts: Facts) -> bool:
    return any(
        30 <= facts.age(plan.created_on) <= 180
        for plan in facts.open_plans(PlanKind.TREATMENT_PLAN)
    )


def _consult_not_started(facts: Facts) -> bool:
    return any(
        14 <= facts.age(plan.created_on) <= 90 for plan in facts.open_plans(PlanKind.CONSULTATION)
    )


def _new_patient(facts: Facts) -> bool:
    lead = facts.patient.lead_created_on
    return lead is not None and 0 <= facts.age(lead) <= 30 and not facts.visits.count


def _series_incomplete(facts: Facts) -> bool:
    for plan in facts.open_plans(PlanKind.SERIES):
        planned, completed = plan.sessions_planned, plan.sessions_completed
        if planned is None or completed is None or not 1 <= completed < planned:
            continue
        last = facts.last_completed(None if plan.category is None else (plan.category,))
        if last is not None and 42 <= facts.age(last) <= 365:
            return True
    return False


def _maintenance_due(facts: Facts) -> bool:
    toxin = facts.last_completed((ServiceCategory.NEUROTOXIN,))
    filler = facts.last_completed((ServiceCategory.FILLER,))
    return (toxin is not None and 70 <= facts.age(toxin) <= 98) or (
        filler is not None
        and _months_old_at_least(filler, 6, facts.today)
        and _months_old_at_most(filler, 12, facts.today)
    )


def _recall_due(facts: Facts) -> bool:
    last_recall = facts.last_completed((ServiceCategory.HYGIENE, ServiceCategory.EXAM))
    last_visit = facts.last_completed()
    if last_recall is None or last_visit is None:
        return False
    return _months_old_at_least(last_recall, 6, facts.today) and not _months_old_at_least(
        last_visit, 12, facts.today
    )


def _lapsed_membership(facts: Facts) -> bool:
    patient = facts.patient
    if patient.membership_status is MembershipStatus.CANCELLED:
        ended = patient.membership_ended_on
        return ended is not None and 30 <= facts.age(ended) <= 180
    if patient.membership_status is MembershipStatus.ACTIVE:
        expires = patient.benefits_expire_on
        return expires is not None and 0 <= -facts.age(expires) <= 30
    return False


def _lapsed_patient(facts: Facts) -> bool:
    last_visit = facts.last_completed()
    return (
        last_visit is not None
        and _months_old_at_least(last_visit, 12, facts.today)
        and _months_old_at_most(last_visit, facts.lapsed_max_months, facts.today)
    )


#: Every campaign's rule (campaigns.md); a practice tries the ones it enabled, by priority.
RULES: dict[Campaign, Callable[[Facts], bool]] = {
    Campaign.MISSED_APPOINTMENT: _missed_appointment,
    Campaign.CLINICAL_REVIEW: _clinical_review,
    Campaign.FOLLOW_UP_DUE: _follow_up_due,
    Campaign.UNSCHEDULED_TREATMENT: _unscheduled_treatment,
    Campaign.CONSULT_NOT_STARTED: _consult_not_started,
    Campaign.NEW_PATIENT: _new_patient,
    Campaign.SERIES_INCOMPLETE: _series_incomplete,
    Campaign.MAINTENANCE_DUE: _maintenance_due,
    Campaign.RECALL_DUE: _recall_due,
    Campaign.LAPSED_MEMBERSHIP: _lapsed_membership,
    Campaign.LAPSED_PATIENT: _lapsed_patient,
}


def valid_contacts(record: PatientRecord, history: PatientHistory) -> tuple[str | None, str | None]:
    """The patient's mobile and email, minus those known to reach someone else."""
    return _valid_contacts(record.patient, history)


def _valid_contacts(patient: Patient, history: PatientHistory) -> tuple[str | None, str | None]:
    mobile = patient.mobile if patient.mobile not in history.invalid_contacts else None
    email = patient.email if patient.email not in history.invalid_contacts else None
    return mobile, email


def contact_channels(record: PatientRecord, history: PatientHistory) -> list[Channel]:
    """The channels still open to this patient, SMS first."""
    return _contact_channels(record.patient, history)


def _contact_channels(patient: Patient, history: PatientHistory) -> list[Channel]:
    mobile, email = _valid_contacts(patient, history)
    channels = []
    if mobile and patient.sms_opt_in is not False and mobile not in history.opted_out:
        channels.append(Channel.SMS)
    if email and patient.email_opt_in is not False and email not in history.opted_out:
        channels.append(Channel.EMAIL)
    return channels


def in_holdout(
    settings: CampaignSettings, patient_id: str, campaign: Campaign, today: date
) -> bool:
    """Stable control-group draw from (practice, patient, campaign, ISO year-quarter)."""
    if settings.holdout_percent == 0:
        return False
    key = f"{settings.practice_id}|{patient_id}|{campaign.value}|{iso_quarter(today)}"
    bucket = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % 10_000
    return bucket < settings.holdout_percent * 100


def _reachable(
    facts: Facts, history: PatientHistory, channels: list[Channel]
) -> tuple[tuple[SkipReason, bool], ...]:
    """The first six exclusions, which every campaign and the real-time rescue obey alike."""
    patient = facts.patient
    has_contact = any(_valid_contacts(patient, history))
    return (
        (SkipReason.DECEASED, patient.deceased),
        (SkipReason.DO_NOT_CONTACT, patient.do_not_contact),
        (SkipReason.INACTIVE, not patient.active),
        (SkipReason.HAS_FUTURE_APPOINTMENT, facts.visits.future),
        (SkipReason.OPTED_OUT, has_contact and not channels),
        (SkipReason.NO_CHANNEL, not has_contact),
    )


def _exclusion(
    facts: Facts, history: PatientHistory, channels: list[Channel], run_start: datetime
) -> SkipReason | None:
    reachable = _first(_reachable(facts, history, channels))
    if reachable is not None:  # the history's exclusions come after these
        return reachable
    silent = history.unanswered().values()
    checks: tuple[tuple[SkipReason, bool], ...] = (
        (SkipReason.IN_SEQUENCE, history.in_sequence),
        (
            SkipReason.SNOOZED,
            history.snoozed_until is not None and history.snoozed_until > facts.today,
        ),
        (SkipReason.SERVICE_RECOVERY, history.service_recovery),
        (
            SkipReason.COOLDOWN,
            (
                history.last_sequence_ended_at is not None
                and run_start - history.last_sequence_ended_at < COOLDOWN_AFTER_SEQUENCE
            )
            or any(run_start - last < COOLDOWN_AFTER_SILENCE for last in silent),
        ),
    )
    return _first(checks)


def _first(checks: Iterable[tuple[SkipReason, bool]]) -> SkipReason | None:
    """The first exclusion that applies, in the spec's order."""
    return next((reason for reason, applies in checks if applies), None)


def _rescue_exclusion(
    facts: Facts, history: PatientHistory, channels: list[Channel], run_start: datetime
) -> SkipReason | None:
    """The exclusions a missed-appointment rescue obeys (campaigns.md, "Readings of the
    sequence rules"): every one but a sequence of lower priority, a snooze and the cooldowns,
    which yield to it; only a rescue in the last 30 days blocks a new one."""
    rescued = history.rescued_at is not None and run_start - history.rescued_at < RESCUE_COOLDOWN
    done = history.completed.get(Campaign.MISSED_APPOINTMENT)
    rescued |= done is not None and run_start - done.last_step_at < RESCUE_COOLDOWN
    checks: tuple[tuple[SkipReason, bool], ...] = (
        *_reachable(facts, history, channels),
        (
            SkipReason.IN_SEQUENCE,
            history.in_sequence and history.active_campaign in (None, Campaign.MISSED_APPOINTMENT),
        ),
        (SkipReason.SERVICE_RECOVERY, history.service_recovery),
        (SkipReason.COOLDOWN, rescued),
    )
    return _first(checks)


def rescue_preempts(history: PatientHistory, decision: Decision) -> bool:
    """Whether enrolling `decision` ends the patient's current sequence first: a rescue
    chosen while the patient is in a sequence of lower priority."""
    return (
        decision.campaign is Campaign.MISSED_APPOINTMENT
        and history.in_sequence
        and history.active_campaign not in (None, Campaign.MISSED_APPOINTMENT)
    )


def decide(
    settings: CampaignSettings, record: PatientRecord, history: PatientHistory, run_start: datetime
) -> Decision:
    """The one decision of this run for this patient: a campaign, or why not."""
    visits = Visits.of(record.appointments, run_start, settings.timezone)
    return decide_for(settings, record.patient, record.plans, visits, history, run_start)


def decide_for(
    settings: CampaignSettings,
    patient: Patient,
    plans: Sequence[Plan],
    visits: Visits,
    history: PatientHistory,
    run_start: datetime,
) -> Decision:
    """`decide` for a patient whose appointments were already gathered into `visits` (for
    this run's start and the practice's timezone), as a preview does while reading them."""
    facts = _facts(settings, patient, plans, visits, run_start)
    patient_id = patient.patient_id
    channels = _contact_channels(patient, history)
    rescue = RULES[Campaign.MISSED_APPOINTMENT]
    enabled = settings.campaigns
    if (
        Campaign.MISSED_APPOINTMENT in enabled
        and rescue(facts)
        and _rescue_exclusion(facts, history, channels, run_start) is None
    ):
        return _enrol(settings, facts, Campaign.MISSED_APPOINTMENT, channels)
    skip = _exclusion(facts, history, channels, run_start)
    if skip is not None:
        return Decision(patient_id=patient_id, skip=skip)
    silent = history.unanswered()
    no_reply = timedelta(days=settings.no_reply_days)
    cooled = False  # a campaign whose rule holds was left out by its own cooldown
    for campaign in PRIORITY:
        if campaign not in enabled or not RULES[campaign](facts):
            continue
        declined = history.declined.get(campaign)
        last_silent = silent.get(campaign)
        if (
            (declined is not None and facts.today - declined < COOLDOWN_AFTER_DECLINE)
            or (last_silent is not None and run_start - last_silent < no_reply)
            or campaign is Campaign.MISSED_APPOINTMENT  # its own exclusions held it above
        ):
            cooled = True
            continue  # a lower-priority campaign may follow (campaigns.md, "Readings")
        if campaign in MARKETING and not patient.marketing_opt_in:
            return Decision(patient_id=patient_id, skip=SkipReason.NO_MARKETING_CONSENT)
        return _enrol(settings, facts, campaign, channels)
    return Decision(
        patient_id=patient_id, skip=SkipReason.COOLDOWN if cooled else SkipReason.NOT_ELIGIBLE
    )


def _enrol(
    settings: CampaignSettings, facts: Facts, campaign: Campaign, channels: list[Channel]
) -> Decision:
    patient_id = facts.patient.patient_id
    channel = channels[0]
    if campaign is Campaign.LAPSED_PATIENT and Channel.EMAIL in channels:
        channel = Channel.EMAIL
    return Decision(
        patient_id=patient_id,
        campaign=campaign,
        channel=channel,
        holdout=in_holdout(settings, patient_id, campaign, facts.today),
    )


def decide_rescue(
    settings: CampaignSettings, record: PatientRecord, history: PatientHistory, at: datetime
) -> Decision:
    """The real-time rescue's decision at `at` (its first message's moment): missed_appointment
    or why not. Opt-outs, holds and a rescue in the last 30 days block it; the other cooldowns,
    a snooze and a sequence of lower priority do not (`rescue_preempts` ends that one)."""
    facts = _record_facts(settings, record, at)
    channels = _contact_channels(record.patient, history)
    skip = _rescue_exclusion(facts, history, channels, at)
    if skip is None and not RULES[Campaign.MISSED_APPOINTMENT](facts):
        skip = SkipReason.NOT_ELIGIBLE
    if skip is not None:
        return Decision(patient_id=record.patient.patient_id, skip=skip)
    return _enrol(settings, facts, Campaign.MISSED_APPOINTMENT, channels)


def _days_since(day: date | None, today: date) -> int | None:
    return None if day is None else (today - day).days


def days_past_due(
    settings: CampaignSettings, record: PatientRecord, campaign: Campaign, run_start: datetime
) -> int:
    """How long the campaign's reason has stood, in days: the weekly cap's second key (the
    longest overdue first). Each campaign counts from the day its rule began to hold (a plan's
    due date, the end of a recall interval...); only the order within a campaign matters."""
    facts = _record_facts(settings, record, run_start)
    visits, today = facts.visits, facts.today
    anchors: list[date | None] = []
    plans = facts.open_plans
    if campaign is Campaign.MISSED_APPOINTMENT and visits.last_started_at is not None:
        anchors.append(visits.last_started_at.astimezone(visits.zone).date())
    elif campaign is Campaign.CLINICAL_REVIEW:
        anchors += [p.due_on for p in plans(PlanKind.CHRONIC_REVIEW, PlanKind.SURVEILLANCE)]
    elif campaign is Campaign.FOLLOW_UP_DUE:
        anchors += [p.due_on for p in plans(PlanKind.FOLLOW_UP)]
    elif campaign is Campaign.UNSCHEDULED_TREATMENT:
        anchors += [p.created_on + timedelta(days=30) for p in plans(PlanKind.TREATMENT_PLAN)]
    elif campaign is Campaign.CONSULT_NOT_STARTED:
        anchors += [p.created_on + timedelta(days=14) for p in plans(PlanKind.CONSULTATION)]
    elif campaign is Campaign.NEW_PATIENT:
        anchors.append(record.patient.lead_created_on)
    elif campaign is Campaign.SERIES_INCOMPLETE:
        last = facts.last_completed()
        anchors.append(None if last is None else last + timedelta(days=42))
    elif campaign is Campaign.MAINTENANCE_DUE:
        toxin = facts.last_completed((ServiceCategory.NEUROTOXIN,))
        filler = facts.last_completed((ServiceCategory.FILLER,))
        anchors.append(None if toxin is None else toxin + timedelta(days=70))
        anchors.append(None if filler is None else add_months(filler, 6))
    elif campaign is Campaign.RECALL_DUE:
        recall = facts.last_completed((ServiceCategory.HYGIENE, ServiceCategory.EXAM))
        anchors.append(None if recall is None else add_months(recall, 6))
    elif campaign is Campaign.LAPSED_MEMBERSHIP:
        patient = record.patient
        if patient.membership_ended_on is not None:
            anchors.append(patient.membership_ended_on + timedelta(days=30))
        if patient.benefits_expire_on is not None:
            anchors.append(patient.benefits_expire_on - timedelta(days=30))
    elif campaign is Campaign.LAPSED_PATIENT:
        last = facts.last_completed()
        anchors.append(None if last is None else add_months(last, 12))
    ages = [age for age in (_days_since(a, today) for a in anchors) if age is not None]
    return max(ages, default=0)


def question_follow_up(
    settings: CampaignSettings, record: PatientRecord, history: PatientHistory, now: datetime
) -> Decision:
    """`question_follow_up` (campaigns.md): once a question was answered and no step is left
    to send, one message asking whether to book; blocked by every exclusion but the 30-day
    cooldown of the conversation it follows. No holdout draw: it answers the patient's own
    question, and the control group is drawn among the campaigns of the records."""
    facts = _record_facts(settings, record, now)
    patient_id = record.patient.patient_id
    channels = _contact_channels(record.patient, history)
    conversation_over = history.model_copy(update={"last_sequence_ended_at": None})
    skip = _exclusion(facts, conversation_over, channels, now)
    if skip is not None:
        return Decision(patient_id=patient_id, skip=skip)
    return Decision(
        patient_id=patient_id, campaign=Campaign.QUESTION_FOLLOW_UP, channel=channels[0]
    )
