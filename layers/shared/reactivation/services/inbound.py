"""A patient's reply: classified, applied (opt-out first), stored once, answered when it must be."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from reactivation import verification
from reactivation.adapters.channels import EmailChannel, OptOutList, SmsChannel
from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.handoffs import HandoffRepository
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.replies import ReplyRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain import sequences
from reactivation.domain.handoffs import (
    Handoff,
    HandoffReason,
    faq_answer,
    handoff_reason,
    notification,
    recipients,
    route,
)
from reactivation.domain.messages import MessageLibrary, MessageValues, format_phone
from reactivation.domain.models import Campaign, InboundSms, Intent, Language, Practice, Reply
from reactivation.domain.replies import classify, snooze_until
from reactivation.events import SnsEnvelope, TwoWaySms


class RequestRefused(Exception):
    """The request is refused before it touches any data; `status` is the HTTP answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class SubscriptionConfirmer(Protocol):
    def confirm(self, topic_arn: str, token: str) -> None: ...


class Certificates(Protocol):
    def get(self, url: str) -> bytes: ...


class Handled(StrEnum):
    CONFIRMED = "confirmed"
    IGNORED = "ignored"
    DUPLICATE = "duplicate"
    ROUTED = "routed"


@dataclass(frozen=True)
class InboundResult:
    handled: Handled
    intent: Intent | None = None
    notify_staff: bool = False


class InboundService:
    def __init__(
        self,
        *,
        topic_arn: str,
        practices: PracticeRepository,
        patients: PatientRepository,
        consent: ConsentRepository,
        sequences: SequenceRepository,
        replies: ReplyRepository,
        sms_channel: SmsChannel,
        confirmer: SubscriptionConfirmer,
        library: MessageLibrary,
        certificates: Certificates,
        wall_clock: Callable[[], datetime],
        accept_signature_version_1: bool = False,
        opt_out_list: OptOutList | None = None,
        handoffs: HandoffRepository | None = None,
        email_channel: EmailChannel | None = None,
    ) -> None:
        self._opt_out_list = opt_out_list
        self._handoffs = handoffs
        self._email = email_channel
        self._topic_arn = topic_arn
        self._certificates = certificates
        self._wall_clock = wall_clock
        self._accept_version_1 = accept_signature_version_1
        self._practices = practices
        self._patients = patients
        self._consent = consent
        self._sequences = sequences
        self._replies = replies
        self._sms = sms_channel
        self._confirmer = confirmer
        self._library = library

    def handle(self, envelope: SnsEnvelope, now: datetime) -> InboundResult:
        """`now` is the business time; freshness is judged on the wall clock, as SNS stamps it."""
        if envelope.topic_arn != self._topic_arn:
            raise RequestRefused(403, "not this deployment's topic")
        self._verify(envelope)
        if envelope.type == "SubscriptionConfirmation":
            if not envelope.token:
                raise RequestRefused(400, "subscription confirmation without a token")
            self._confirmer.confirm(envelope.topic_arn, envelope.token)
            return InboundResult(Handled.CONFIRMED)
        if envelope.type == "UnsubscribeConfirmation":
            return InboundResult(Handled.IGNORED)
        sms = TwoWaySms.from_envelope(envelope).inbound(received_at=envelope.sent_at)
        practice_id = self._practices.owner_of_number(sms.to_number)
        practice = self._practices.get(practice_id) if practice_id else None
        if practice is None:
            raise RequestRefused(422, "no practice sends from the destination number")
        return self._route(practice, sms, now)

    def _verify(self, envelope: SnsEnvelope) -> None:
        try:
            url = verification.check_certificate_url(envelope.signing_cert_url)
            verification.check_fresh(envelope.sent_at, self._wall_clock())
            try:
                certificate = self._certificates.get(url)
            except ValueError as error:  # too large to be a certificate
                raise verification.NotFromSns("bad certificate") from error
            verification.verify_signature(
                envelope.signed_fields(), certificate, accept_version_1=self._accept_version_1
            )
        except verification.NotFromSns as error:
            raise RequestRefused(403, "not a genuine SNS message") from error

    def _route(self, practice: Practice, sms: InboundSms, now: datetime) -> InboundResult:
        pid = practice.practice_id
        if self._replies.seen(pid, sms.from_number, sms.received_at, sms.inbound_message_id):
            return InboundResult(Handled.DUPLICATE)
        opted_out = bool(self._consent.opted_out(pid, (sms.from_number,)))
        classification = classify(sms.body, opted_out=opted_out)
        patient_ids = self._patients.ids_with_mobile(pid, sms.from_number)
        language = self._language(pid, patient_ids)
        answered = False
        # Effects first, each idempotent; the reply is stored last, so that a redelivery after
        # a crash applies what the first delivery did not.
        if classification.intent is Intent.OPT_OUT:
            changed = self._consent.record(
                pid, sms.from_number, opted_out=True, at=sms.received_at, recorded_at=now
            )
            if changed and self._opt_out_list is not None:
                self._opt_out_list.opt_out(sms.from_number, practice.sms_opt_out_list)
            self._stop_sequences(pid, patient_ids, now, "opt_out")
            if changed:
                self._answer(practice, sms, "opt_out_confirmation", language)
        elif classification.intent is Intent.OPT_IN:
            if self._consent.record(
                pid, sms.from_number, opted_out=False, at=sms.received_at, recorded_at=now
            ):
                if self._opt_out_list is not None:
                    self._opt_out_list.opt_in(sms.from_number, practice.sms_opt_out_list)
                self._answer(practice, sms, "opt_in_confirmation", language)
        elif classification.intent is Intent.HELP:
            self._answer(practice, sms, "help", language)
        elif patient_ids:
            answered = self._act(practice, sms, classification.intent, patient_ids, now, language)
        # else: a number that is no patient's: stored and handed off, never answered, never
        # a patient
        reason = handoff_reason(
            classification.intent,
            classification.notify_staff,
            known_number=bool(patient_ids),
            answered_from_faq=answered,
        )
        if reason is not None:
            self._hand_off(practice, sms, reason, patient_ids, now)
        self._replies.save(
            Reply(
                practice_id=pid,
                inbound_message_id=sms.inbound_message_id,
                from_number=sms.from_number,
                body=sms.body,
                received_at=sms.received_at,
                intent=classification.intent,
                notify_staff=classification.notify_staff,
                patient_ids=tuple(patient_ids),
            ),
            recorded_at=now,
        )
        return InboundResult(
            Handled.ROUTED, classification.intent, notify_staff=classification.notify_staff
        )

    def _act(
        self,
        practice: Practice,
        sms: InboundSms,
        intent: Intent,
        patient_ids: list[str],
        now: datetime,
        language: Language,
    ) -> bool:
        """What a reply does to the patients behind the number (spec/replies.md); True when
        the automatic answer is the whole answer to a question (an approved FAQ answer)."""
        pid = practice.practice_id
        today = now.astimezone(ZoneInfo(practice.timezone)).date()
        if intent in (Intent.QUESTION, Intent.OTHER):
            # a question pauses the sequence until staff answer; so does what we cannot place
            for patient_id in patient_ids:
                active = self._sequences.active(pid, patient_id)
                if active is not None:
                    self._sequences.pause(active, now)
            answer = faq_answer(sms.body, practice.faq) if intent is Intent.QUESTION else None
            if answer is not None:
                self._sms.send(to=sms.from_number, sender=practice.sending_number, body=answer,
                               identity=practice.origination_identity)  # fmt: skip
                return True
            return False
        stopped = self._stop_sequences(pid, patient_ids, now, intent.value)
        for patient_id in patient_ids:
            if intent is Intent.NOT_NOW:
                self._sequences.snooze(pid, patient_id, snooze_until(sms.body, today))
            elif intent is Intent.DECLINE and patient_id in stopped:
                self._sequences.record_decline(pid, patient_id, stopped[patient_id], today)
            elif intent in (Intent.COMPLAINT, Intent.SENSITIVE):
                self._sequences.hold(pid, patient_id, intent.value)
            elif intent is Intent.WRONG_NUMBER:
                self._sequences.invalidate_contact(pid, patient_id, sms.from_number)
        if intent is Intent.BOOK:
            self._answer(practice, sms, "book_link", language)
        elif intent in (Intent.CLINICAL, Intent.BILLING, Intent.COMPLAINT):
            self._answer(practice, sms, "handoff_ack", language)
        # sensitive: no automatic text, a person answers; wrong number: no more texts to it
        return False

    def _hand_off(
        self,
        practice: Practice,
        sms: InboundSms,
        reason: HandoffReason,
        patient_ids: list[str],
        now: datetime,
    ) -> None:
        """Records the handoff and emails the team once (a redelivery finds both done)."""
        if self._handoffs is None or self._email is None:
            return
        team, urgent = route(reason)
        handoff = Handoff(
            practice_id=practice.practice_id,
            handoff_id=sms.inbound_message_id,
            from_number=sms.from_number,
            patient_ids=tuple(patient_ids),
            reason=reason,
            team=team,
            urgent=urgent,
            opened_at=now,
        )
        opened = self._handoffs.open(handoff)
        if not opened and self._handoffs.was_notified(practice.practice_id, handoff.handoff_id):
            return
        earlier = self._replies.conversation(practice.practice_id, sms.from_number)
        conversation = [(r.received_at, r.body) for r in earlier[-9:]]
        subject, text = notification(handoff, practice.name,
                                     [*conversation, (sms.received_at, sms.body)])  # fmt: skip
        self._email.send(
            to=recipients(team, clinical=practice.clinical_email,
                          front_desk=practice.front_desk_email, owners=practice.owner_emails),
            sender=practice.from_email,
            subject=subject,
            text=text,
            html=f"<pre style=\"font-family:Arial,sans-serif\">{html.escape(text)}</pre>",
        )  # fmt: skip
        self._handoffs.notified(practice.practice_id, handoff.handoff_id, now)

    def _stop_sequences(
        self, practice_id: str, patient_ids: list[str], now: datetime, reason: str
    ) -> dict[str, Campaign]:
        """Ends each patient's active sequence; returns the campaign each one was in."""
        stopped: dict[str, Campaign] = {}
        for patient_id in patient_ids:
            active = self._sequences.active(practice_id, patient_id)
            if active is not None and self._sequences.replace(
                active, sequences.stopped(active, now, reason)
            ):
                stopped[patient_id] = active.campaign
        return stopped

    def _language(self, practice_id: str, patient_ids: list[str]) -> Language:
        for patient_id in patient_ids:
            record = self._patients.record(practice_id, patient_id)
            if record is not None:
                return record.patient.language
        return Language.EN

    def _answer(self, practice: Practice, sms: InboundSms, kind: str, language: Language) -> None:
        values = MessageValues(
            first_name="",
            practice_name=practice.name,
            practice_phone=format_phone(practice.phone),
            booking_link=practice.booking_link,
        )
        library = self._library.with_overrides(practice.override_texts())
        body = library.system_sms(kind, language, values)
        self._sms.send(
            to=sms.from_number,
            sender=practice.sending_number,
            body=body,
            identity=practice.origination_identity,
        )
