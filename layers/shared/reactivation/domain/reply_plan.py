"""What a classified reply does (spec/replies.md), decided in one place, as data: the change to
the number's consent, each patient's change, the answer, the times a yes is offered, the
handoff. The inbound service then writes it all in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from reactivation.domain.conversation import Intent, Offer, Opening, Reading
from reactivation.domain.handoffs import HandoffReason, faq_answer, handoff_reason
from reactivation.domain.openings import offer
from reactivation.domain.practice import FaqAnswer
from reactivation.domain.replies import snooze_until
from reactivation.domain.types import Campaign, Language


@dataclass(frozen=True)
class PatientChange:
    """One patient's change. `active` is the campaign of their active sequence, if any."""

    patient_id: str
    active: Campaign | None = None
    stop: str | None = None  # end the active sequence, with this reason
    pause: bool = False  # keep it, no step until staff answer or the pause's deadline
    snoozed_until: date | None = None
    declined: Campaign | None = None
    hold: str | None = None  # service recovery: no outreach until staff close it
    invalid_contact: str | None = None
    #: An answered question with no step left to send: ask once, then, whether to book
    #: (`question_follow_up`, campaigns.md), unless the patient booked or wrote again.
    follow_up_at: datetime | None = None


#: How long after an answered question the patient is asked whether to book (a practice
#: setting; campaigns.md's default).
QUESTION_FOLLOW_UP_AFTER = timedelta(days=5)


@dataclass(frozen=True)
class ReplyPlan:
    #: True: opt the number out; False: lift its opt-out; None: no change.
    opt_out: bool | None = None
    changes: tuple[PatientChange, ...] = ()
    #: The system text to answer with ("opt_out_confirmation", "help", ...), if any.
    answer: str | None = None
    #: An approved FAQ answer to send instead.
    faq: str | None = None
    handoff: HandoffReason | None = None
    #: The times a yes is offered (with `answer` "offer_times"), if the practice has some.
    offer: Offer | None = None
    #: When the practice will check back (with `answer` "not_now_ack": the snooze's end).
    check_back: date | None = None


@dataclass(frozen=True)
class OpenTimes:
    """What a yes can be offered: the practice's upcoming openings, read only when a reply
    asks for them (`upcoming`), and what the choice of times needs to know."""

    upcoming: Callable[[], Sequence[Opening]]
    timezone: str
    now: datetime
    language: Language
    #: Each patient's provider of their last visit, where known.
    usual_providers: Mapping[str, str | None] = field(default_factory=dict)

    def offer_for(self, body: str, patients: Sequence[tuple[str, Campaign | None]]) -> Offer | None:
        """The times for the first patient in a sequence (else the first patient): those that
        fit what the reply says, or None when the practice has none that could do."""
        patient_id, campaign = next(
            ((p, a) for p, a in patients if a is not None), (patients[0][0], None)
        )
        return offer(
            self.upcoming(), body, patient_id=patient_id, language=self.language,
            campaign=campaign, timezone=self.timezone, now=self.now,
            usual_provider=self.usual_providers.get(patient_id),
        )  # fmt: skip


def plan_reply(
    intent: Intent,
    notify_staff: bool,
    body: str,
    patients: Sequence[tuple[str, Campaign | None]],
    *,
    number: str,
    today: date,
    opted_out: bool,
    later_consent_change: bool,
    faq: Sequence[FaqAnswer] = (),
    open_times: OpenTimes | None = None,
    now: datetime | None = None,
    follow_up_after: timedelta = QUESTION_FOLLOW_UP_AFTER,
    reading: Reading | None = None,
) -> ReplyPlan:
    """`patients`: each patient of the practice with this number, and the campaign of their
    active sequence. `later_consent_change`: the carrier stamped a later opt-out or opt-in
    already (replies arrive out of order): this one's consent change is stale. `open_times`:
    what a yes can be offered (without it, a yes gets the booking way and the front desk).
    `now` and `follow_up_after`: when a question answered with no step left to send is
    followed up (without `now`, it is not). `reading`: how the conversation reads the reply
    (domain/in_conversation.py): an acknowledgement changes nothing; "already booked" ends
    the sequences for the front desk to confirm."""
    known = bool(patients)
    if intent is Intent.OPT_OUT:
        stops = tuple(PatientChange(p, a, stop="opt_out" if a else None) for p, a in patients)
        changing = not later_consent_change and not opted_out
        return ReplyPlan(
            opt_out=None if later_consent_change else True,
            changes=stops,
            answer="opt_out_confirmation" if changing else None,
            handoff=handoff_reason(intent, notify_staff, known_number=known),
        )
    if reading is Reading.ACKNOWLEDGEMENT:  # stored and counted; nothing else
        return ReplyPlan()
    if intent is Intent.OPT_IN:
        changing = not later_consent_change and opted_out
        return ReplyPlan(
            opt_out=None if later_consent_change else False,
            answer="opt_in_confirmation" if changing else None,
        )
    if intent is Intent.HELP:
        return ReplyPlan(answer="help")
    if not known:  # stored and handed off; never answered, never a patient
        return ReplyPlan(handoff=handoff_reason(intent, notify_staff, known_number=False))
    if reading is Reading.ALREADY_BOOKED:
        return ReplyPlan(
            changes=tuple(PatientChange(p, a, stop="already_booked" if a else None)
                          for p, a in patients),
            handoff=HandoffReason.BOOKING_TO_CONFIRM,
        )  # fmt: skip
    follow_up_at = now + follow_up_after if now is not None else None
    if opted_out:  # no automatic text to an opted-out number but START's and HELP's answers
        plan = _known_reply(intent, notify_staff, body, patients, number, today, faq, None, None)
        return replace(plan, answer=None, faq=None)
    return _known_reply(
        intent, notify_staff, body, patients, number, today, faq, open_times, follow_up_at
    )


def _known_reply(
    intent: Intent,
    notify_staff: bool,
    body: str,
    patients: Sequence[tuple[str, Campaign | None]],
    number: str,
    today: date,
    faq: Sequence[FaqAnswer],
    open_times: OpenTimes | None,
    follow_up_at: datetime | None,
) -> ReplyPlan:
    if intent in (Intent.QUESTION, Intent.OTHER):
        answer = faq_answer(body, faq) if intent is Intent.QUESTION else None
        return ReplyPlan(
            changes=_question_changes(
                patients, answered=answer is not None, follow_up_at=follow_up_at
            ),
            faq=answer,
            handoff=handoff_reason(
                intent, notify_staff, known_number=True, answered_from_faq=answer is not None
            ),
        )
    changes: list[PatientChange] = []
    for patient_id, active in patients:
        change = PatientChange(patient_id, active, stop=intent.value if active else None)
        if intent is Intent.NOT_NOW:
            change = _with(change, snoozed_until=snooze_until(body, today))
        elif intent is Intent.DECLINE and active is not None:
            change = _with(change, declined=active)
        elif intent in (Intent.CLINICAL, Intent.COMPLAINT, Intent.SENSITIVE):
            # no outreach until staff close it (campaigns.md: a clinical, complaint or
            # sensitive hold lasts until staff close it)
            change = _with(change, hold=intent.value)
        elif intent is Intent.WRONG_NUMBER:
            change = _with(change, invalid_contact=number)
        changes.append(change)
    if intent is Intent.BOOK:  # open times that fit, when the practice has some
        offered = open_times.offer_for(body, patients) if open_times is not None else None
        return ReplyPlan(
            changes=tuple(changes),
            answer="book_link" if offered is None else "offer_times",
            offer=offered,
            handoff=handoff_reason(
                intent, notify_staff, known_number=True, openings_offered=offered is not None
            ),
        )
    answer = None
    if intent in (Intent.CLINICAL, Intent.BILLING, Intent.COMPLAINT):
        answer = "handoff_ack"
    check_back = None
    if intent is Intent.NOT_NOW:  # a short acknowledgement naming when we check back
        answer, check_back = "not_now_ack", snooze_until(body, today)
    # sensitive: no automatic text, a person answers; wrong number: no more texts to it
    return ReplyPlan(
        changes=tuple(changes),
        answer=answer,
        handoff=handoff_reason(intent, notify_staff, known_number=True),
        check_back=check_back,
    )


def _question_changes(
    patients: Sequence[tuple[str, Campaign | None]],
    *,
    answered: bool,
    follow_up_at: datetime | None,
) -> tuple[PatientChange, ...]:
    """A question the FAQ answered does not pause: the sequence goes on, and its next step is
    the booking prompt; with no sequence to go on, one patient of the number (the first) is
    asked once later whether to book. Unanswered (a person must), or a reply nobody could
    place: the sequences pause until staff answer, or until the pause's deadline."""
    if not answered:
        return tuple(PatientChange(p, a, pause=a is not None) for p, a in patients)
    if follow_up_at is None or any(a is not None for _, a in patients):
        return ()
    first, _ = patients[0]
    return (PatientChange(first, None, follow_up_at=follow_up_at),)


def _with(change: PatientChange, **values: object) -> PatientChange:
    return replace(change, **values)  # type: ignore[arg-type]
