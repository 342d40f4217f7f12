"""Delivering one send job: every check again at the moment of sending, then exactly one send."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from reactivation.adapters.channels import EmailChannel, SmsChannel
from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.outbox import Claim, OutboxRepository
from reactivation.adapters.parking import ParkedJobs
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.queue import MAX_DELAY_SECONDS, SendQueue
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain import sms
from reactivation.domain.messages import MessageLibrary, MessageValues, format_phone
from reactivation.domain.models import (
    Channel,
    Patient,
    PatientRecord,
    Practice,
    SendJob,
    SendStatus,
)
from reactivation.domain.sending import next_send_time, number_timezones

#: How far back the frequency caps look (the longest cap is 4 in any 30 days).
CAP_HISTORY = timedelta(days=31)


class Outcome(StrEnum):
    SENT = "sent"
    CANCELLED = "cancelled"
    DEFERRED = "deferred"
    DUPLICATE = "duplicate"
    IN_DOUBT = "in_doubt"


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    reason: str | None = None
    segments: int = 0


class MessageRejected(RuntimeError):
    """The rendered message breaks a rule (too long for one SMS): an engineer must look."""


class SendService:
    def __init__(
        self,
        *,
        practices: PracticeRepository,
        patients: PatientRepository,
        consent: ConsentRepository,
        sequences: SequenceRepository,
        outbox: OutboxRepository,
        queue: SendQueue,
        parking: ParkedJobs,
        sms_channel: SmsChannel,
        email_channel: EmailChannel,
        library: MessageLibrary,
    ) -> None:
        self._practices = practices
        self._patients = patients
        self._consent = consent
        self._sequences = sequences
        self._outbox = outbox
        self._queue = queue
        self._parking = parking
        self._sms = sms_channel
        self._email = email_channel
        self._library = library

    def deliver(self, job: SendJob, now: datetime) -> Delivery:
        status = self._outbox.status(job)
        if status is SendStatus.SENDING:
            return Delivery(Outcome.IN_DOUBT)
        if status is not None:
            return Delivery(Outcome.DUPLICATE)
        practice = self._practices.get(job.practice_id)
        record = self._patients.record(job.practice_id, job.patient_id)
        if practice is None or record is None:
            return self._cancel(job, "unknown_practice_or_patient", now)
        reason = self._cancel_reason(job, record, now)
        if reason is not None:
            return self._cancel(job, reason, now)
        patient = record.patient
        when = self._next_send_time(job, practice, patient, now)
        if when > now:
            wait = math.ceil((when - now).total_seconds())
            if wait <= MAX_DELAY_SECONDS:
                self._queue.defer(job, wait)
            else:  # overnight, or a cap: parked, and queued again by the follow-up run
                self._parking.park(job, when)
            return Delivery(Outcome.DEFERRED, reason="sending_hours_or_frequency")
        values = MessageValues(
            first_name=patient.first_name,
            practice_name=practice.name,
            practice_phone=format_phone(practice.phone),
            booking_link=practice.booking_link,
        )
        claim = self._outbox.claim(job, now)
        if claim is not Claim.CLAIMED:
            return Delivery(Outcome.IN_DOUBT if claim is Claim.IN_DOUBT else Outcome.DUPLICATE)
        try:
            message_id, segments = self._send(job, practice, patient, values)
        except Exception:
            self._outbox.release(job)
            raise
        self._outbox.sent(job, channel_message_id=message_id, segments=segments, at=now)
        return Delivery(Outcome.SENT, segments=segments)

    def _next_send_time(
        self, job: SendJob, practice: Practice, patient: Patient, now: datetime
    ) -> datetime:
        """Sending hours in the patient's and the number's zones, and the caps per patient and
        per number (every patient of the practice with this mobile)."""
        since = now - CAP_HISTORY
        patient_sent = self._outbox.sent_since(job.practice_id, patient.patient_id, since)
        to_patient = [at for at, _ in patient_sent]
        to_number: list[datetime] = []
        number_zones: tuple[str, ...] = ()
        if job.channel is Channel.SMS and patient.mobile:
            number_zones = number_timezones(patient.mobile)
            for other in self._patients.ids_with_mobile(job.practice_id, patient.mobile):
                sent = (
                    patient_sent
                    if other == patient.patient_id
                    else self._outbox.sent_since(job.practice_id, other, since)
                )
                to_number += [at for at, channel in sent if channel is Channel.SMS]
        return next_send_time(
            now,
            patient.timezone or practice.timezone,
            number_zones,
            practice.sending_window,
            to_patient,
            to_number,
        )

    def _send(
        self, job: SendJob, practice: Practice, patient: Patient, values: MessageValues
    ) -> tuple[str, int]:
        if job.channel is Channel.SMS:
            assert patient.mobile is not None  # checked by _cancel_reason
            body = self._library.sms(job.campaign, job.step, patient.language, values)
            if len(body) > sms.MAX_SMS_CHARACTERS:
                raise MessageRejected(f"{job.campaign} step {job.step} renders too long")
            message_id = self._sms.send(
                to=patient.mobile, sender=practice.sending_number, body=body
            )
            return message_id, sms.encode(body).segments
        assert patient.email is not None  # checked by _cancel_reason
        email = self._library.email(job.campaign, job.step, patient.language, values)
        message_id = self._email.send(
            to=[patient.email],
            sender=practice.from_email,
            subject=email.subject,
            text=email.text,
            html=email.html,
        )
        return message_id, 0

    def _cancel_reason(self, job: SendJob, record: PatientRecord, now: datetime) -> str | None:
        patient = record.patient
        if patient.deceased or patient.do_not_contact or not patient.active:
            return "patient_not_contactable"
        contact = patient.mobile if job.channel is Channel.SMS else patient.email
        consent = patient.sms_opt_in if job.channel is Channel.SMS else patient.email_opt_in
        if contact is None or consent is False:
            return "no_channel"
        if self._consent.opted_out(job.practice_id, (contact,)):
            return "opted_out"
        history = self._sequences.history(job.practice_id, job.patient_id, frozenset())
        if contact in history.invalid_contacts:
            return "wrong_number"
        if history.service_recovery:
            return "service_recovery"
        sequence = self._sequences.get(job.practice_id, job.patient_id, job.sequence_id)
        if sequence is None or sequence.end_reason not in (None, "completed"):
            return "sequence_stopped"
        if record.has_future_appointment(now):
            return "has_future_appointment"
        return None

    def _cancel(self, job: SendJob, reason: str, now: datetime) -> Delivery:
        self._outbox.cancelled(job, reason=reason, at=now)
        return Delivery(Outcome.CANCELLED, reason=reason)
