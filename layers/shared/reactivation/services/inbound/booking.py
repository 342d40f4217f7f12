"""Booking from a reply: the practice's open times a yes can be offered, and the offered time
a reply picks, held for the patient and requested from the practice's system and front desk
(or, when another patient took it first, the times still open offered again)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from reactivation.adapters.openings import OpeningRepository
from reactivation.adapters.practice_events import PracticeEvents
from reactivation.adapters.recipients import RecipientRepository
from reactivation.domain.conversation import (
    BookingRequest,
    InboundSms,
    Intent,
    LastSent,
    Offer,
    Opening,
    Reading,
    SentKind,
)
from reactivation.domain.handoffs import Handoff, HandoffReason
from reactivation.domain.openings import (
    HORIZON,
    choice_words,
    described,
    offer,
    offered_times,
    picked,
    when,
)
from reactivation.domain.outreach import Recipient
from reactivation.domain.practice import Practice
from reactivation.services.inbound.answers import Answers
from reactivation.services.inbound.decision import Answer, Decision, handoff_for, reply_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


class Booking:
    def __init__(
        self,
        *,
        openings: OpeningRepository,
        recipients: RecipientRepository,
        practice_events: PracticeEvents,
        answers: Answers,
    ) -> None:
        self._openings = openings
        self._recipients = recipients
        self._practice_events = practice_events
        self._answers = answers

    def open_times(self, practice_id: str, now: datetime) -> Sequence[Opening]:
        """The practice's openings a yes could be offered now."""
        return self._openings.upcoming(practice_id, now, now + HORIZON)

    def offer_write(
        self, practice_id: str, number: str, offered: Offer
    ) -> TransactWriteItemTypeDef:
        """The offer, kept for the number until it is picked or expires."""
        return self._recipients.offer_write(practice_id, number, offered)

    def pick(
        self, practice: Practice, sms: InboundSms, recipient: Recipient, now: datetime
    ) -> Decision | None:
        """What a reply that picks one of the number's offered times does, or None when it
        picks none (or the offer has expired)."""
        standing = recipient.offer
        chosen = picked(standing, sms.body, now)
        if standing is None or chosen is None:
            return None
        pid, patient_id, language = practice.practice_id, standing.patient_id, standing.language
        writes: list[TransactWriteItemTypeDef] = []
        answers: list[Answer] = []
        handoff: Handoff | None = None
        if self._openings.hold(pid, chosen, patient_id, now):
            request = BookingRequest(practice_id=pid, patient_id=patient_id, opening=chosen,
                                     reply_id=sms.inbound_message_id, requested_at=now)  # fmt: skip
            handoff = handoff_for(sms, HandoffReason.BOOKING_REQUEST, (patient_id,), pid, now,
                                  detail=described(chosen, practice.timezone))  # fmt: skip
            time = when(chosen, practice.timezone, language)
            answers.append(self._answers.system_text(practice, sms.from_number, "booking_held",
                                                     language, time))  # fmt: skip
            answers.append(("event", partial(self._practice_events.booking_requested, request)))
            writes += [self._recipients.offer_taken_write(pid, sms.from_number),
                       self._openings.requested_write(request)]  # fmt: skip
            sent = SentKind.CONFIRMATION
        else:  # another patient took it first
            still_open = [o for o in self.open_times(pid, now) if o != chosen]
            again = offer(still_open, "", patient_id=patient_id, language=language,
                          campaign=None, timezone=practice.timezone, now=now)  # fmt: skip
            if again is not None:
                times = offered_times(again.openings, practice.timezone, language)
                choices = choice_words(len(again.openings), language)
                answers.append(self._answers.system_text(practice, sms.from_number, "time_taken",
                                                         language, times, choices))  # fmt: skip
                writes.append(self.offer_write(pid, sms.from_number, again))
                sent = SentKind.OFFER
            else:
                handoff = handoff_for(sms, HandoffReason.BOOKING, (patient_id,), pid, now)
                answers.append(self._answers.system_text(practice, sms.from_number, "book_link",
                                                         language))  # fmt: skip
                writes.append(self._recipients.offer_taken_write(pid, sms.from_number))
                sent = SentKind.ANSWER
        writes.append(self._recipients.last_sent_write(
            pid, sms.from_number, LastSent(kind=sent, at=now, patient_id=patient_id)
        ))  # fmt: skip
        if handoff is not None:
            answers.append(self._answers.staff_email(practice, handoff, recipient.replies, sms))
        return Decision(
            reply=reply_of(pid, sms, Intent.BOOK, (patient_id,), reading=Reading.PICK),
            writes=tuple(writes),
            handoff=handoff,
            answers=tuple(answers),
        )
