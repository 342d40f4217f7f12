"""Delivering one send job: every check again at the moment of sending, then exactly one send."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from html import escape

from reactivation.adapters.channels import EmailChannel, SmsChannel
from reactivation.adapters.outbox import Claim, OutboxRepository
from reactivation.adapters.parking import ParkedJobs
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.queue import MAX_DELAY_SECONDS, SendQueue
from reactivation.adapters.recipients import RecipientRepository
from reactivation.domain import sequences, sms
from reactivation.domain.budget import (
    DEFAULT_SEGMENT_PRICE,
    SmsBudget,
    budget_month,
    next_month_start,
)
from reactivation.domain.conversation import LastSent, SentKind
from reactivation.domain.messages import EmailContent, MessageLibrary, MessageValues, format_phone
from reactivation.domain.outreach import NumberSend, PatientFile, Recipient, SendJob, SendStatus
from reactivation.domain.patients import Patient
from reactivation.domain.practice import Practice
from reactivation.domain.sending import (
    NoSendingHours,
    held_slots,
    next_send_time,
    number_timezones,
)
from reactivation.domain.types import Channel
from reactivation.domain.unsubscribe import UnsubscribeLinks
from reactivation.pacing import Pacer

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


#: How long a text held by the monthly SMS budget waits before the budget is checked again.
BUDGET_RECHECK = timedelta(days=1)

#: How often a send decides again when another message to the same number went first.
CONTENTION_ATTEMPTS = 3


class SlotContended(RuntimeError):
    """Other workers kept sending to the same number first: the job is retried later."""


@dataclass(frozen=True)
class Rendered:
    """A job's message, ready to go: a text (`email` None) or an email."""

    to: str
    body: str
    email: EmailContent | None = None
    unsubscribe: str | None = None


class MessageRejected(RuntimeError):
    """The rendered message breaks a rule (too long for one SMS): an engineer must look."""


class SendService:
    def __init__(
        self,
        *,
        practices: PracticeRepository,
        patients: PatientRepository,
        recipients: RecipientRepository,
        outbox: OutboxRepository,
        queue: SendQueue,
        parking: ParkedJobs,
        sms_channel: SmsChannel,
        email_channel: EmailChannel,
        library: MessageLibrary,
        pacer: Pacer | None = None,
        unsubscribe: UnsubscribeLinks | None = None,
    ) -> None:
        self._pacer = pacer
        self._unsubscribe = unsubscribe
        self._practices = practices
        self._patients = patients
        self._recipients = recipients
        self._outbox = outbox
        self._queue = queue
        self._parking = parking
        self._sms = sms_channel
        self._email = email_channel
        self._library = library

    def deliver(self, job: SendJob, now: datetime) -> Delivery:
        """At most 4 requests to the table per message: the patient's file, the recipient's
        state, the claim (one transaction) and the confirmation (the practice is cached; a
        text's confirmation is one transaction with its receipt pointer and its month's
        spend). A practice with a monthly SMS budget adds one: the month's spend."""
        for _ in range(CONTENTION_ATTEMPTS):
            delivery = self._attempt(job, now)
            if delivery is not None:
                return delivery
        raise SlotContended("another worker kept taking this number's slot; retried later")

    def _attempt(self, job: SendJob, now: datetime) -> Delivery | None:
        found = self._patients.file(job.practice_id, job.patient_id)
        status = found.messages.get(job.job_id) if found is not None else None
        if status is SendStatus.SENDING:
            return Delivery(Outcome.IN_DOUBT)
        if status is not None:
            return Delivery(Outcome.DUPLICATE)
        practice = self._practices.get(job.practice_id)
        if practice is None or found is None:
            return self._cancel(job, "unknown_practice_or_patient", now)
        patient = found.record.patient
        contact = patient.mobile if job.channel is Channel.SMS else patient.email
        recipient = self._recipients.read(job.practice_id, contact) if contact else None
        reason = self._cancel_reason(job, found, recipient, now)
        if reason is not None:
            return self._cancel(job, reason, now, contact)
        if contact is None or recipient is None:  # _cancel_reason cancels a job without one
            raise RuntimeError("a job to send has no contact: _cancel_reason lets none through")
        sequence = found.sequences.get(job.sequence_id)
        look_again = sequences.held_until(sequence, now) if sequence is not None else None
        if look_again is not None:  # queued before a reply paused it: waits with its sequence
            self._parking.park(job, look_again)
            return Delivery(Outcome.DEFERRED, reason="sequence_paused")
        try:
            when = self._next_send_time(job, practice, found, recipient, now)
        except NoSendingHours:  # the patient's hours and the number's never meet
            return self._cancel(job, "no_common_sending_hours", now, contact)
        if when > now:
            wait = math.ceil((when - now).total_seconds())
            if wait <= MAX_DELAY_SECONDS:
                self._queue.defer(job, wait)
            else:  # overnight, or a cap: parked, and queued again by the follow-up run
                self._parking.park(job, when)
            return Delivery(Outcome.DEFERRED, reason="sending_hours_or_frequency")
        if job.channel is Channel.SMS and self._pacer is not None:
            slot = self._pacer.admit(practice.sending_number, practice.sms_per_second)
            if slot > 0:  # the number's rate: back to the queue for its slot
                self._queue.defer(job, min(MAX_DELAY_SECONDS, math.ceil(slot)))
                return Delivery(Outcome.DEFERRED, reason="sending_rate")
        # rendered before the claim: a render that fails (a text too long) or a crash while
        # fetching the unsubscribe key leaves the job unclaimed, not in doubt
        message = self._render(job, practice, patient)
        if job.channel is Channel.SMS:
            held = self._over_budget(job, practice, message, now)
            if held is not None:
                return held
        together = [self._recipients.not_opted_out(job.practice_id, contact)]
        if job.channel is Channel.SMS:
            send = NumberSend(at=now, patient_id=patient.patient_id, job_id=job.job_id)
            last = LastSent(kind=SentKind.OUTREACH, at=now, patient_id=patient.patient_id,
                            sequence_id=job.sequence_id, step=job.step)  # fmt: skip
            together += self._recipients.take_slot(recipient, job.practice_id, send, last)
        claim, refused = self._outbox.claim(job, now, together)
        if claim is Claim.REFUSED:
            if refused == 0:
                return self._cancel(job, "opted_out", now, contact)
            return None  # another message to the number went first: decide again
        if claim is not Claim.CLAIMED:
            return Delivery(Outcome.IN_DOUBT if claim is Claim.IN_DOUBT else Outcome.DUPLICATE)
        try:
            message_id, encoding = self._send(job, practice, message)
        except Exception:
            self._outbox.release(job)
            raise
        texted = message.email is None
        self._outbox.sent(
            job, channel_message_id=message_id, encoding=encoding, at=now,
            contact=message.to if texted else None,  # its receipt finds it by message id
            spend_month=budget_month(now, practice.timezone) if texted else None,
        )  # fmt: skip
        return Delivery(Outcome.SENT, segments=encoding.segments if encoding else 0)

    def _over_budget(
        self, job: SendJob, practice: Practice, message: Rendered, now: datetime
    ) -> Delivery | None:
        """Over the practice's monthly SMS budget, the text waits (parked, as overnight) and
        the owner is told once; None: within it, or no budget. One GetItem. It is checked
        again each day (a budget raised meanwhile lets it go), and the month's end frees it."""
        if practice.sms_monthly_budget_usd is None:
            return None
        budget = SmsBudget(
            practice.sms_monthly_budget_usd, practice.sms_segment_price or DEFAULT_SEGMENT_PRICE
        )
        month = budget_month(now, practice.timezone)
        used = self._outbox.month_segments(job.practice_id, month)
        if budget.allows(used, sms.encode(message.body).segments):
            return None
        resumes = next_month_start(now, practice.timezone)
        self._parking.park(job, min(now + BUDGET_RECHECK, resumes))
        if self._outbox.budget_notice_once(job.practice_id, month, now):
            try:
                self._tell_owner(practice, budget, used, resumes)
            except Exception:
                self._outbox.forget_budget_notice(job.practice_id, month)
                raise
        return Delivery(Outcome.DEFERRED, reason="sms_budget")

    def _tell_owner(
        self, practice: Practice, budget: SmsBudget, used: int, resumes: datetime
    ) -> None:
        when = f"{resumes:%B} {resumes.day}"
        text = (
            f"{practice.name}'s outreach texts have reached this month's SMS budget of "
            f"${budget.monthly_usd:,.2f} ({used:,} segments sent, about "
            f"${budget.spent(used):,.2f} at ${budget.segment_price:g} a segment).\n\n"
            f"New outreach texts wait until {when}, then go out as usual. Answers to your "
            "patients' own texts still go.\n\n"
            "To send more this month, raise sms_monthly_budget_usd in the practice's file and "
            "save it again (reactivation practice put FILE --replace): the texts waiting are "
            "checked again each day."
        )
        paragraphs = "".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n"))
        self._email.send(
            to=list(practice.owner_emails),
            sender=practice.from_email,
            subject=f"Outreach texts paused until {when}: monthly SMS budget reached",
            text=text,
            html=f"<html><body>{paragraphs}</body></html>",
            tags={"practice_id": practice.practice_id},
        )

    def _next_send_time(
        self,
        job: SendJob,
        practice: Practice,
        found: PatientFile,
        recipient: Recipient,
        now: datetime,
    ) -> datetime:
        """Sending hours in the patient's and the number's zones, and the caps per patient and
        per number (every patient of the practice who uses it), with the number's slots held
        by other patients' higher-priority steps."""
        patient = found.record.patient
        since = now - CAP_HISTORY
        to_patient = [at for at, _, job_id in found.sends if at >= since and job_id != job.job_id]
        to_number: list[datetime] = []
        number_zones: tuple[str, ...] = ()
        if job.channel is Channel.SMS:
            number_zones = number_timezones(recipient.contact)
            # a claim of this job that was given back (its send failed) does not count
            to_number = [s.at for s in recipient.sends if s.at >= since and s.job_id != job.job_id]
            to_number += held_slots(now, job.campaign, patient.patient_id, recipient.pending)
        return next_send_time(
            now,
            patient.timezone or practice.timezone,
            number_zones,
            practice.sending_window,
            to_patient,
            to_number,
        )

    def _render(self, job: SendJob, practice: Practice, patient: Patient) -> Rendered:
        """The job's message, in the patient's language, with the practice's own texts."""
        values = MessageValues(
            first_name=patient.first_name,
            practice_name=practice.name,
            practice_phone=format_phone(practice.phone),
            booking_link=practice.booking_link,
        )
        library = self._library.with_overrides(practice.override_texts())
        if job.channel is Channel.SMS:
            if patient.mobile is None:  # _cancel_reason cancels an SMS to no mobile
                raise RuntimeError("an SMS to a patient without a mobile")
            body = library.sms(job.campaign, job.step, patient.language, values)
            if len(body) > sms.MAX_SMS_CHARACTERS:
                raise MessageRejected(f"{job.campaign} step {job.step} renders too long")
            return Rendered(to=patient.mobile, body=body)
        if patient.email is None:  # _cancel_reason cancels an email to no address
            raise RuntimeError("an email to a patient without an address")
        unsubscribe = (
            self._unsubscribe.url(
                job.practice_id, patient.patient_id, patient.email, job.created_at.date()
            )
            if self._unsubscribe is not None
            else None
        )
        email = library.email(job.campaign, job.step, patient.language, values, unsubscribe)
        return Rendered(to=patient.email, body=email.text, email=email, unsubscribe=unsubscribe)

    def _send(
        self, job: SendJob, practice: Practice, message: Rendered
    ) -> tuple[str, sms.SmsEncoding | None]:
        """Sends the rendered message; its channel message id and, for a text, its encoding."""
        if message.email is None:
            message_id = self._sms.send(
                to=message.to,
                sender=practice.sending_number,
                body=message.body,
                identity=practice.origination_identity,
            )
            return message_id, sms.encode(message.body)
        message_id = self._email.send(
            to=[message.to],
            sender=practice.from_email,
            subject=message.email.subject,
            text=message.email.text,
            html=message.email.html,
            unsubscribe_url=message.unsubscribe,
            tags={"practice_id": job.practice_id},
        )
        return message_id, None

    def _cancel_reason(
        self, job: SendJob, found: PatientFile, recipient: Recipient | None, now: datetime
    ) -> str | None:
        patient = found.record.patient
        if patient.deceased or patient.do_not_contact or not patient.active:
            return "patient_not_contactable"
        consent = patient.sms_opt_in if job.channel is Channel.SMS else patient.email_opt_in
        if recipient is None or consent is False:
            return "no_channel"
        if recipient.opted_out:
            return "opted_out"
        if recipient.contact in found.history.invalid_contacts:
            return "wrong_number"
        if found.history.service_recovery:
            return "service_recovery"
        sequence = found.sequences.get(job.sequence_id)
        if sequence is None or sequence.end_reason not in (None, "completed"):
            return "sequence_stopped"
        if found.record.has_future_appointment(now):
            return "has_future_appointment"
        return None

    def _cancel(
        self, job: SendJob, reason: str, now: datetime, contact: str | None = None
    ) -> Delivery:
        self._outbox.cancelled(job, reason=reason, at=now)
        if contact is not None and job.channel is Channel.SMS:
            # the step no longer holds the number's slot against the other patients'
            self._recipients.clear_pending(job.practice_id, contact, [job.patient_id])
        return Delivery(Outcome.CANCELLED, reason=reason)
