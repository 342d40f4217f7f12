"""What a classified reply does (spec/replies.md), decided in one place, as data: the change to
the number's consent, each patient's change, the answer, the handoff. The inbound service then
writes it all in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from reactivation.domain.conversation import Intent
from reactivation.domain.handoffs import HandoffReason, faq_answer, handoff_reason
from reactivation.domain.practice import FaqAnswer
from reactivation.domain.replies import snooze_until
from reactivation.domain.types import Campaign


@dataclass(frozen=True)
class PatientChange:
    """One patient's change. `active` is the campaign of their active sequence, if any."""

    patient_id: str
    active: Campaign | None = None
    stop: str | None = None  # end the active sequence, with this reason
    pause: bool = False  # keep it, no further step until staff answer
    snoozed_until: date | None = None
    declined: Campaign | None = None
    hold: str | None = None  # service recovery: no outreach until staff close it
    invalid_contact: str | None = None


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
) -> ReplyPlan:
    """`patients`: each patient of the practice with this number, and the campaign of their
    active sequence. `later_consent_change`: the carrier stamped a later opt-out or opt-in
    already (replies arrive out of order): this one's consent change is stale."""
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
    if opted_out:  # no automatic text to an opted-out number but START's and HELP's answers
        return replace(_known_reply(intent, notify_staff, body, patients, number, today, faq),
                       answer=None, faq=None)  # fmt: skip
    return _known_reply(intent, notify_staff, body, patients, number, today, faq)


def _known_reply(
    intent: Intent,
    notify_staff: bool,
    body: str,
    patients: Sequence[tuple[str, Campaign | None]],
    number: str,
    today: date,
    faq: Sequence[FaqAnswer],
) -> ReplyPlan:
    if intent in (Intent.QUESTION, Intent.OTHER):
        answer = faq_answer(body, faq) if intent is Intent.QUESTION else None
        return ReplyPlan(
            changes=tuple(PatientChange(p, a, pause=a is not None) for p, a in patients),
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
        elif intent in (Intent.COMPLAINT, Intent.SENSITIVE):
            change = _with(change, hold=intent.value)
        elif intent is Intent.WRONG_NUMBER:
            change = _with(change, invalid_contact=number)
        changes.append(change)
    answer = None
    if intent is Intent.BOOK:
        answer = "book_link"
    elif intent in (Intent.CLINICAL, Intent.BILLING, Intent.COMPLAINT):
        answer = "handoff_ack"
    # sensitive: no automatic text, a person answers; wrong number: no more texts to it
    return ReplyPlan(
        changes=tuple(changes),
        answer=answer,
        handoff=handoff_reason(intent, notify_staff, known_number=True),
    )


def _with(change: PatientChange, **values: object) -> PatientChange:
    return replace(change, **values)  # type: ignore[arg-type]
