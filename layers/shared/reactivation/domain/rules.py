"""Who gets which campaign (spec/campaigns.md): exclusions first, then campaigns by priority.

Pure: the practice, the patient's record and history and the run's start are passed in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from reactivation.domain.calendar import add_months, iso_quarter, local_date
from reactivation.domain.models import (
    Appointment,
    AppointmentStatus,
    Campaign,
    Channel,
    Decision,
    PatientHistory,
    PatientRecord,
    Practice,
    ServiceCategory,
    SkipReason,
)

COOLDOWN_AFTER_SEQUENCE = timedelta(days=30)
COOLDOWN_AFTER_DECLINE = timedelta(days=180)

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


@dataclass(frozen=True)
class Facts:
    """What the rules look at, derived once per patient and run."""

    record: PatientRecord
    today: date
    run_start: datetime
    timezone: str

    def day_of(self, appointment: Appointment) -> date:
        return local_date(appointment.starts_at, self.timezone)

    def last_completed(self, categories: Iterable[ServiceCategory] | None = None) -> date | None:
        wanted = None if categories is None else set(categories)
        days = [
            self.day_of(a)
            for a in self.record.appointments
            if a.status is AppointmentStatus.COMPLETED and (wanted is None or a.category in wanted)
        ]
        return max(days, default=None)

    def has_future_appointment(self) -> bool:
        return any(
            a.status is AppointmentStatus.SCHEDULED and a.starts_at >= self.run_start
            for a in self.record.appointments
        )


def _recall_due(facts: Facts) -> bool:
    last_recall = facts.last_completed((ServiceCategory.HYGIENE, ServiceCategory.EXAM))
    last_visit = facts.last_completed()
    if last_recall is None or last_visit is None:
        return False
    return add_months(last_recall, 6) <= facts.today and add_months(last_visit, 12) > facts.today


#: The campaign rules known so far; a campaign without a rule is not tried.
RULES: dict[Campaign, Callable[[Facts], bool]] = {
    Campaign.RECALL_DUE: _recall_due,
}


def valid_contacts(record: PatientRecord, history: PatientHistory) -> tuple[str | None, str | None]:
    """The patient's mobile and email, minus those known to reach someone else."""
    patient = record.patient
    mobile = patient.mobile if patient.mobile not in history.invalid_contacts else None
    email = patient.email if patient.email not in history.invalid_contacts else None
    return mobile, email


def contact_channels(record: PatientRecord, history: PatientHistory) -> list[Channel]:
    """The channels still open to this patient, SMS first."""
    patient = record.patient
    mobile, email = valid_contacts(record, history)
    channels = []
    if mobile and patient.sms_opt_in is not False and mobile not in history.opted_out:
        channels.append(Channel.SMS)
    if email and patient.email_opt_in is not False and email not in history.opted_out:
        channels.append(Channel.EMAIL)
    return channels


def in_holdout(practice: Practice, patient_id: str, campaign: Campaign, today: date) -> bool:
    """Stable control-group draw from (practice, patient, campaign, ISO year-quarter)."""
    if practice.holdout_percent == 0:
        return False
    key = f"{practice.practice_id}|{patient_id}|{campaign.value}|{iso_quarter(today)}"
    bucket = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % 10_000
    return bucket < practice.holdout_percent * 100


def _exclusion(facts: Facts, history: PatientHistory, channels: list[Channel]) -> SkipReason | None:
    patient = facts.record.patient
    has_contact = any(valid_contacts(facts.record, history))
    checks: tuple[tuple[SkipReason, bool], ...] = (
        (SkipReason.DECEASED, patient.deceased),
        (SkipReason.DO_NOT_CONTACT, patient.do_not_contact),
        (SkipReason.INACTIVE, not patient.active),
        (SkipReason.HAS_FUTURE_APPOINTMENT, facts.has_future_appointment()),
        (SkipReason.OPTED_OUT, has_contact and not channels),
        (SkipReason.NO_CHANNEL, not has_contact),
        (SkipReason.IN_SEQUENCE, history.in_sequence),
        (
            SkipReason.SNOOZED,
            history.snoozed_until is not None and history.snoozed_until > facts.today,
        ),
        (SkipReason.SERVICE_RECOVERY, history.service_recovery),
        (
            SkipReason.COOLDOWN,
            history.last_sequence_ended_at is not None
            and facts.run_start - history.last_sequence_ended_at < COOLDOWN_AFTER_SEQUENCE,
        ),
    )
    return next((reason for reason, applies in checks if applies), None)


def decide(
    practice: Practice, record: PatientRecord, history: PatientHistory, run_start: datetime
) -> Decision:
    """The one decision of this run for this patient: a campaign, or why not."""
    facts = Facts(
        record=record,
        today=local_date(run_start, practice.timezone),
        run_start=run_start,
        timezone=practice.timezone,
    )
    patient_id = record.patient.patient_id
    channels = contact_channels(record, history)
    skip = _exclusion(facts, history, channels)
    if skip is not None:
        return Decision(patient_id=patient_id, skip=skip)
    enabled = practice.campaigns()
    for campaign in PRIORITY:
        rule = RULES.get(campaign)
        if campaign not in enabled or rule is None or not rule(facts):
            continue
        declined = history.declined.get(campaign)
        if declined is not None and facts.today - declined < COOLDOWN_AFTER_DECLINE:
            return Decision(patient_id=patient_id, skip=SkipReason.COOLDOWN)
        if campaign in MARKETING and not record.patient.marketing_opt_in:
            return Decision(patient_id=patient_id, skip=SkipReason.NO_MARKETING_CONSENT)
        channel = channels[0]
        if campaign is Campaign.LAPSED_PATIENT and Channel.EMAIL in channels:
            channel = Channel.EMAIL
        return Decision(
            patient_id=patient_id,
            campaign=campaign,
            channel=channel,
            holdout=in_holdout(practice, patient_id, campaign, facts.today),
        )
    return Decision(patient_id=patient_id, skip=SkipReason.NOT_ELIGIBLE)
