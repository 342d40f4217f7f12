"""Routing a patient's reply: to its practice (by the number it was sent to), classified,
planned (spec/replies.md, domain/reply_plan.py: opt-out first), answered and stored once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.recipients import RecipientRepository
from reactivation.domain.conversation import (
    Classification,
    InboundSms,
    Intent,
    LastSent,
    Reading,
)
from reactivation.domain.in_conversation import (
    InConversation,
    check_back_words,
    read_in_conversation,
    sent_kind,
)
from reactivation.domain.openings import choice_words, offered_times
from reactivation.domain.outreach import Recipient
from reactivation.domain.practice import Practice
from reactivation.domain.replies import classify
from reactivation.domain.reply_plan import OpenTimes, ReplyPlan, plan_reply
from reactivation.domain.second_opinion import classify_with
from reactivation.domain.types import Language
from reactivation.services.inbound.answers import Answers
from reactivation.services.inbound.booking import Booking
from reactivation.services.inbound.decision import Answer, Decision, handoff_for, reply_of
from reactivation.services.inbound.outcomes import Handled, InboundResult, UnknownDestination
from reactivation.services.inbound.store import ReplyStore

#: Another writer moved a sequence meanwhile: read and decide again, this many times at most.
ATTEMPTS = 3


class ReplyRouter:
    def __init__(
        self,
        *,
        practices: PracticeRepository,
        patients: PatientRepository,
        recipients: RecipientRepository,
        store: ReplyStore,
        booking: Booking,
        answers: Answers,
        second_opinion: Callable[[str], Intent | None] | None = None,
    ) -> None:
        """`second_opinion`: a hosted model asked about the replies the classifier is unsure
        of (None, the default: the classifier alone)."""
        self._second_opinion = second_opinion
        self._practices = practices
        self._patients = patients
        self._recipients = recipients
        self._store = store
        self._booking = booking
        self._answers = answers

    def route(self, sms: InboundSms, now: datetime) -> InboundResult:
        """`now` is the business time."""
        practice_id = self._practices.owner_of_number(sms.to_number)
        practice = self._practices.get(practice_id) if practice_id else None
        if practice is None:
            raise UnknownDestination
        for _ in range(ATTEMPTS):
            result = self._route_once(practice, sms, now)
            if result is not None:
                return result
        raise RuntimeError("the reply's writes kept conflicting; SNS delivers it again")

    def _route_once(
        self, practice: Practice, sms: InboundSms, now: datetime
    ) -> InboundResult | None:
        """Reads the number (consent, earlier replies, a standing offer), decides, answers and
        stores; None: something moved meanwhile."""
        recipient = self._recipients.read(practice.practice_id, sms.from_number)
        if recipient.has_reply(sms.inbound_message_id):
            return InboundResult(Handled.DUPLICATE)
        classification = (
            classify(sms.body, opted_out=recipient.opted_out)
            if self._second_opinion is None
            else classify_with(sms.body, self._second_opinion, opted_out=recipient.opted_out)
        )
        read = read_in_conversation(
            classification, sms.body, recipient.last_sent, opted_out=recipient.opted_out,
            offer=recipient.offer, now=now,
        )  # fmt: skip
        if read.reading is Reading.PICK:
            booked = self._booking.pick(practice, sms, recipient, now)
            if booked is not None:
                return self._store.apply(booked, recipient, now)
        plan, decision = self._decide(practice, sms, recipient, classification, read, now)
        stored = self._store.apply(decision, recipient, now)
        if stored is not None and stored.handled is Handled.ROUTED:
            self._answers.keep_opt_out_list(practice, sms.from_number, plan.answer)
        return stored

    def _decide(
        self,
        practice: Practice,
        sms: InboundSms,
        recipient: Recipient,
        classification: Classification,
        read: InConversation,
        now: datetime,
    ) -> tuple[ReplyPlan, Decision]:
        """The reply's plan, and what applying it takes: writes, handoff, answers (and the
        last text sent to the number, when one is)."""
        pid, timezone = practice.practice_id, practice.timezone
        intent, notify_staff = read.intent, read.notify_staff
        files = [
            found
            for patient_id in self._patients.ids_with_mobile(pid, sms.from_number)
            if (found := self._patients.file(pid, patient_id)) is not None
        ]
        patients = [(f.record.patient.patient_id, f.active.campaign if f.active else None)
                    for f in files]  # fmt: skip
        language = files[0].record.patient.language if files else Language.EN
        later = (
            recipient.consent_changed_at is not None
            and recipient.consent_changed_at >= sms.received_at
        )
        plan = plan_reply(
            intent, notify_staff, sms.body, patients,
            number=sms.from_number, today=now.astimezone(ZoneInfo(timezone)).date(),
            opted_out=recipient.opted_out, later_consent_change=later, faq=practice.faq,
            now=now, follow_up_after=timedelta(days=practice.question_follow_up_days),
            open_times=OpenTimes(
                upcoming=partial(self._booking.open_times, pid, now), timezone=timezone,
                now=now, language=language,
                usual_providers={f.record.patient.patient_id: f.record.usual_provider
                                 for f in files},
            ),
            reading=read.reading,
        )  # fmt: skip
        writes = []
        if plan.offer is not None:
            writes.append(self._booking.offer_write(pid, sms.from_number, plan.offer))
        writes += self._store.plan_writes(pid, sms, plan, files, now)
        patient_ids = tuple(p for p, _ in patients)
        handoff = handoff_for(sms, plan.handoff, patient_ids, pid, now)
        answers: list[Answer] = []
        if plan.answer is not None:
            times = offered_times(plan.offer.openings, timezone, language) if plan.offer else None
            choices = choice_words(len(plan.offer.openings), language) if plan.offer else None
            check_back = check_back_words(plan.check_back, language) if plan.check_back else None
            answers.append(self._answers.system_text(practice, sms.from_number, plan.answer,
                                                     language, times, choices,
                                                     check_back))  # fmt: skip
        elif plan.faq is not None:
            answers.append(self._answers.faq(practice, sms.from_number, plan.faq))
        if answers:  # the conversation the next reply is read in
            last = LastSent(kind=sent_kind(plan.answer or "faq"), at=now,
                            patient_id=patients[0][0] if patients else None)  # fmt: skip
            writes.append(self._recipients.last_sent_write(pid, sms.from_number, last))
        if handoff is not None:
            answers.append(self._answers.staff_email(practice, handoff, recipient.replies, sms))
        barrier = classification.barrier if intent is classification.intent else None
        return plan, Decision(
            reply=reply_of(pid, sms, intent, patient_ids, notify_staff, barrier, read.reading),
            writes=tuple(writes),
            handoff=handoff,
            answers=tuple(answers),
        )
