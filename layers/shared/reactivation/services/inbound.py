"""A patient's reply: classified, applied (opt-out first), stored once, answered when it must be."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from reactivation import verification
from reactivation.adapters.channels import EmailChannel, OptOutList, SmsChannel
from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.handoffs import HandoffRepository
from reactivation.adapters.items import TransactionWriter, WritesRefused
from reactivation.adapters.openings import OpeningRepository
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practice_events import PracticeEvents
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.recipients import RecipientRepository
from reactivation.adapters.replies import ReplyRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain.conversation import (
    BookingRequest,
    InboundSms,
    Intent,
    Offer,
    Opening,
    Reply,
)
from reactivation.domain.handoffs import (
    Handoff,
    HandoffReason,
    notification,
    recipients,
    route,
)
from reactivation.domain.messages import MessageLibrary, MessageValues, format_phone
from reactivation.domain.openings import (
    HORIZON,
    described,
    offer,
    offered_times,
    picked,
    when,
)
from reactivation.domain.outreach import Recipient
from reactivation.domain.practice import Practice
from reactivation.domain.replies import classify
from reactivation.domain.reply_plan import plan_reply
from reactivation.domain.types import Language
from reactivation.events import SnsEnvelope, TwoWaySms

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


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
    #: An earlier delivery died while answering: its answers are not sent again.
    answers_in_doubt: bool = False


#: One answer to a reply, by kind ("text", "email", "event"), and what sends it.
Answer = tuple[str, Callable[[], None]]


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
        handoffs: HandoffRepository,
        email_channel: EmailChannel,
        recipients: RecipientRepository,
        writes: TransactionWriter,
        openings: OpeningRepository,
        practice_events: PracticeEvents,
        max_age: timedelta = verification.MAX_AGE,
    ) -> None:
        self._max_age = max_age  # how old a message may be (the redrive's: PARKED_MAX_AGE)
        self._openings = openings
        self._practice_events = practice_events
        self._recipients = recipients
        self._writes = writes
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
            verification.check_fresh(envelope.sent_at, self._wall_clock(), self._max_age)
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
        for _ in range(3):  # another writer moved a sequence meanwhile: read and decide again
            result = self._route_once(practice, sms, now)
            if result is not None:
                return result
        raise RuntimeError("the reply's writes kept conflicting; SNS delivers it again")

    def _route_once(
        self, practice: Practice, sms: InboundSms, now: datetime
    ) -> InboundResult | None:
        """Reads the number (consent, earlier replies) and its patients, decides, answers,
        hands off, and writes every change with the reply in one transaction: a redelivery
        finds the reply and does nothing (a crash before the write answers twice, never
        loses a change)."""
        pid = practice.practice_id
        recipient = self._recipients.read(pid, sms.from_number)
        if recipient.has_reply(sms.inbound_message_id):
            return InboundResult(Handled.DUPLICATE)
        classification = classify(sms.body, opted_out=recipient.opted_out)
        if not recipient.opted_out and classification.intent in (Intent.BOOK, Intent.OTHER):
            chosen = picked(recipient.offer, sms.body, now)
            if chosen is not None and recipient.offer is not None:
                return self._book(practice, sms, recipient, recipient.offer, chosen, now)
        files = [
            found
            for patient_id in self._patients.ids_with_mobile(pid, sms.from_number)
            if (found := self._patients.file(pid, patient_id)) is not None
        ]
        active = {f.record.patient.patient_id: f.active for f in files}
        later = (
            recipient.consent_changed_at is not None
            and recipient.consent_changed_at >= sms.received_at
        )
        plan = plan_reply(
            classification.intent,
            classification.notify_staff,
            sms.body,
            [(p, a.campaign if a else None) for p, a in active.items()],
            number=sms.from_number,
            today=now.astimezone(ZoneInfo(practice.timezone)).date(),
            opted_out=recipient.opted_out,
            later_consent_change=later,
            faq=practice.faq,
        )
        language = files[0].record.patient.language if files else Language.EN
        writes = []
        offered: Offer | None = None
        if plan.answer == "book_link":  # a yes: offer open times, when the practice has some
            patient_id, campaign = next(
                ((p, a.campaign) for p, a in active.items() if a is not None),
                (files[0].record.patient.patient_id, None),
            )
            record = next(f.record for f in files if f.record.patient.patient_id == patient_id)
            offered = offer(
                self._openings.upcoming(pid, now, now + HORIZON), sms.body,
                patient_id=patient_id, language=language, campaign=campaign,
                timezone=practice.timezone, now=now, usual_provider=record.usual_provider,
            )  # fmt: skip
            if offered is not None:
                plan = replace(plan, answer="offer_times", handoff=None)
                writes.append(self._recipients.offer_write(pid, sms.from_number, offered))
        if plan.opt_out is not None:
            writes += self._consent.change_writes(
                pid, sms.from_number, opted_out=plan.opt_out, at=sms.received_at,
                recorded_at=now, changes=plan.answer is not None,
            )  # fmt: skip
        declined = {f.record.patient.patient_id: f.history.declined for f in files}
        for change in plan.changes:
            writes += self._sequences.change_writes(
                pid, change.patient_id, active.get(change.patient_id), change,
                declined.get(change.patient_id, {}), now,
            )  # fmt: skip
        patient_ids = tuple(active)
        handoff = self._handoff(practice, sms, plan.handoff, patient_ids, now)
        if handoff is not None:
            writes.append(self._handoffs.open_write(handoff))
        effects: list[Answer] = []
        if plan.answer is not None:
            times = (
                offered_times(offered.openings, practice.timezone, language) if offered else None
            )
            effects.append(("text", partial(self._answer, practice, sms, plan.answer, language,
                                            times)))  # fmt: skip
        elif plan.faq is not None:
            effects.append(("text", partial(self._send_text, practice, sms.from_number, plan.faq)))
        if handoff is not None:
            effects.append(("email", partial(self._notify, practice, handoff, recipient.replies,
                                             sms)))  # fmt: skip
        store = partial(self._store, pid, sms, writes, classification.intent,
                        classification.notify_staff, patient_ids, now)  # fmt: skip
        stored = self._answer_and_store(pid, sms, recipient, effects, store, now)
        if stored is None or stored.handled is not Handled.ROUTED:
            return stored
        if self._opt_out_list is not None and plan.answer == "opt_out_confirmation":
            self._opt_out_list.opt_out(sms.from_number, practice.sms_opt_out_list)
        elif self._opt_out_list is not None and plan.answer == "opt_in_confirmation":
            self._opt_out_list.opt_in(sms.from_number, practice.sms_opt_out_list)
        return stored

    def _store(
        self,
        practice_id: str,
        sms: InboundSms,
        writes: Sequence[TransactWriteItemTypeDef],
        intent: Intent,
        notify_staff: bool,
        patient_ids: tuple[str, ...],
        now: datetime,
    ) -> InboundResult | None:
        """Writes the reply's changes with the reply itself, last, all or nothing. DUPLICATE:
        another delivery stored the reply first; None: another write was refused meanwhile
        (read and decide again)."""
        reply = Reply(
            practice_id=practice_id, inbound_message_id=sms.inbound_message_id,
            from_number=sms.from_number, body=sms.body, received_at=sms.received_at,
            intent=intent, notify_staff=notify_staff, patient_ids=patient_ids,
        )  # fmt: skip
        everything = [*writes, self._replies.save_write(reply, recorded_at=now)]
        try:
            self._writes.write(everything)
        except WritesRefused as refused:
            if refused.position == len(everything) - 1:  # the reply: another delivery stored it
                return InboundResult(Handled.DUPLICATE)
            return None
        return InboundResult(Handled.ROUTED, intent, notify_staff=notify_staff)

    def _book(
        self,
        practice: Practice,
        sms: InboundSms,
        recipient: Recipient,
        standing: Offer,
        chosen: Opening,
        now: datetime,
    ) -> InboundResult | None:
        """The patient picked an offered time: hold it, tell them, the practice's system and the
        front desk; if another patient took it first, offer the times still open."""
        pid, patient_id = practice.practice_id, standing.patient_id
        writes = []
        effects: list[Answer] = []
        handoff: Handoff | None = None
        if self._openings.hold(pid, chosen, patient_id, now):
            request = BookingRequest(practice_id=pid, patient_id=patient_id, opening=chosen,
                                     reply_id=sms.inbound_message_id, requested_at=now)  # fmt: skip
            handoff = self._handoff(
                practice, sms, HandoffReason.BOOKING_REQUEST, (patient_id,), now
            )
            if handoff is not None:
                handoff = handoff.model_copy(
                    update={"detail": described(chosen, practice.timezone)}
                )
            time = when(chosen, practice.timezone, standing.language)
            effects.append(("text", partial(self._answer, practice, sms, "booking_held",
                                            standing.language, time)))  # fmt: skip
            effects.append(("event", partial(self._practice_events.booking_requested, request)))
            writes += [self._recipients.offer_taken_write(pid, sms.from_number),
                       self._openings.requested_write(request)]  # fmt: skip
        else:
            still_open = [
                o for o in self._openings.upcoming(pid, now, now + HORIZON) if o != chosen
            ]
            again = offer(still_open, "", patient_id=patient_id, language=standing.language,
                          campaign=None, timezone=practice.timezone, now=now)  # fmt: skip
            if again is not None:
                times = offered_times(again.openings, practice.timezone, standing.language)
                effects.append(("text", partial(self._answer, practice, sms, "time_taken",
                                                standing.language, times)))  # fmt: skip
                writes.append(self._recipients.offer_write(pid, sms.from_number, again))
            else:
                handoff = self._handoff(practice, sms, HandoffReason.BOOKING, (patient_id,), now)
                effects.append(("text", partial(self._answer, practice, sms, "book_link",
                                                standing.language)))  # fmt: skip
                writes.append(self._recipients.offer_taken_write(pid, sms.from_number))
        if handoff is not None:
            effects.append(("email", partial(self._notify, practice, handoff, recipient.replies,
                                             sms)))  # fmt: skip
            writes.append(self._handoffs.open_write(handoff))
        store = partial(self._store, pid, sms, writes, Intent.BOOK, False, (patient_id,), now)
        return self._answer_and_store(pid, sms, recipient, effects, store, now)

    def _answer_and_store(
        self,
        practice_id: str,
        sms: InboundSms,
        recipient: Recipient,
        effects: Sequence[Answer],
        store: Callable[[], InboundResult | None],
        now: datetime,
    ) -> InboundResult | None:
        """The answers, then the reply's writes (`store`), all or nothing. The text to the
        patient goes at most once: a delivery that died after claiming it leaves it in doubt,
        never sent again. The staff's email and the practice event go at least once: in
        doubt, they go again (a handoff must reach the team; the event carries its reply id)."""
        claim = recipient.answers.get(sms.inbound_message_id)
        in_doubt = bool(effects) and claim is not None and not claim.released
        claimed = False
        sent = sorted(claim.done) if claim is not None else []
        if in_doubt:
            pending = [(kind, send) for kind, send in effects if kind != "text"]
        elif effects:
            if not self._recipients.claim_answers(
                practice_id, sms.from_number, sms.inbound_message_id, now
            ):
                return None  # another delivery took it meanwhile: read and decide again
            claimed = True
            pending = [(kind, send) for kind, send in effects if kind not in sent]
        else:
            pending = []

        def give_back() -> None:
            if claimed:
                self._recipients.release_answers(
                    practice_id, sms.from_number, sms.inbound_message_id, sent
                )

        for kind, send in pending:
            try:
                send()
            except Exception:  # not sent: the next delivery sends it and what is left
                give_back()
                raise
            sent.append(kind)
        try:
            stored = store()
        except Exception:
            give_back()  # answered: the next delivery writes, and does not answer again
            raise
        if stored is None:
            give_back()  # to decide again, with what went out
        elif in_doubt:
            stored = replace(stored, answers_in_doubt=True)
        return stored

    def _handoff(
        self,
        practice: Practice,
        sms: InboundSms,
        reason: HandoffReason | None,
        patient_ids: tuple[str, ...],
        now: datetime,
    ) -> Handoff | None:
        if reason is None:
            return None
        team, urgent = route(reason)
        return Handoff(
            practice_id=practice.practice_id,
            handoff_id=sms.inbound_message_id,
            from_number=sms.from_number,
            patient_ids=patient_ids,
            reason=reason,
            team=team,
            urgent=urgent,
            opened_at=now,
        )

    def _notify(
        self,
        practice: Practice,
        handoff: Handoff,
        earlier: Sequence[tuple[datetime, str, str]],
        sms: InboundSms,
    ) -> None:
        """Emails the team the handoff and the conversation so far."""
        conversation = [(at, text) for at, _, text in earlier[-9:]]
        conversation.append((sms.received_at, sms.body))
        subject, text = notification(handoff, practice.name, conversation)
        self._email.send(
            to=recipients(handoff.team, clinical=practice.clinical_email,
                          front_desk=practice.front_desk_email, owners=practice.owner_emails),
            sender=practice.from_email,
            subject=subject,
            text=text,
            html=f"<pre style=\"font-family:Arial,sans-serif\">{html.escape(text)}</pre>",
        )  # fmt: skip

    def _answer(
        self,
        practice: Practice,
        sms: InboundSms,
        kind: str,
        language: Language,
        times: str | None = None,
    ) -> None:
        values = MessageValues(
            first_name="",
            practice_name=practice.name,
            practice_phone=format_phone(practice.phone),
            booking_link=practice.booking_link,
            offered_times=times,
        )
        library = self._library.with_overrides(practice.override_texts())
        self._send_text(practice, sms.from_number, library.system_sms(kind, language, values))

    def _send_text(self, practice: Practice, to: str, body: str) -> None:
        self._sms.send(
            to=to, sender=practice.sending_number, body=body,
            identity=practice.origination_identity,
        )  # fmt: skip
