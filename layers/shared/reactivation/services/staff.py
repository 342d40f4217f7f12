"""What the practice's staff do, each rule in one place, whoever asks (the CLI today, a staff
inbox later): close a handoff with an outcome (resume, booked, end, opt out: ending the hold it
put on outreach, and the pause), correct a reply's intent (counted; a correction to an opt-out
opts the number out), set or clear the practice's own text for a message (checked first),
publish open times from a slots.csv.

Time is passed in (`now`): the service never reads a clock."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.handoffs import HandoffRepository
from reactivation.adapters.openings import OpeningRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.question_follow_ups import QuestionFollowUps
from reactivation.adapters.replies import ReplyRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain import sequences as sequences_domain
from reactivation.domain.conversation import Intent
from reactivation.domain.handoffs import HOLDING_REASONS, Handoff, HandoffOutcome, HandoffReason
from reactivation.domain.messages import MessageLibrary
from reactivation.domain.openings import parse_openings
from reactivation.domain.outreach import PendingFollowUp
from reactivation.domain.practice import MessageOverride, Practice
from reactivation.domain.template_checks import TemplateProblem, check_practice

if TYPE_CHECKING:
    from reactivation.adapters.channels import OptOutList, SmsChannel
    from reactivation.adapters.outbox import OutboxRepository
    from reactivation.adapters.staff_inbox import AuditRepository, ConversationReads
    from reactivation.domain.staff_access import AuditAction


class StaffRequestError(Exception):
    """What staff asked for names something that is not there."""


class UnknownPractice(StaffRequestError):
    def __init__(self, practice_id: str) -> None:
        super().__init__(f"no practice {practice_id}")
        self.practice_id = practice_id


class NoOpenHandoff(StaffRequestError):
    def __init__(self, practice_id: str, handoff_id: str) -> None:
        super().__init__(f"no open handoff {handoff_id} for {practice_id}")


class UnknownReply(StaffRequestError):
    def __init__(self, practice_id: str, reply_id: str) -> None:
        super().__init__(f"no reply {reply_id} for {practice_id}")


@dataclass(frozen=True)
class ClosedHandoff:
    handoff: Handoff
    #: The patients whose hold (service recovery) ended with it: outreach may resume.
    released: tuple[str, ...]
    outcome: HandoffOutcome = HandoffOutcome.RESUME
    #: The patients whose paused sequence goes on.
    resumed: tuple[str, ...] = ()
    #: The patients whose sequence ended with it.
    ended: tuple[str, ...] = ()
    #: The patient asked later whether to book (an answered question, nothing left to send).
    follow_up: str | None = None
    #: The number was opted out by it.
    opted_out: bool = False


@dataclass(frozen=True)
class Correction:
    before: Intent
    after: Intent
    #: False: the reply already had that intent (nothing counted).
    changed: bool
    #: The number was opted out by it.
    opted_out: bool


@dataclass(frozen=True)
class TemplateChange:
    """The practice's own texts after the change, or the problems that refused it."""

    practice: Practice
    problems: tuple[TemplateProblem, ...]

    @property
    def saved(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class OpeningsPublished:
    read: int
    added: int
    #: Each refused row: (line, reason).
    problems: tuple[tuple[int, str], ...]


#: The reason a sequence ends with, by how staff closed its handoff.
ENDED_BY: dict[HandoffOutcome, str] = {
    HandoffOutcome.BOOKED: "booked",
    HandoffOutcome.END: "ended_by_staff",
    HandoffOutcome.OPT_OUT: "opt_out",
}


def released_by_closing(handoff: Handoff) -> tuple[str, ...]:
    """The patients a closed handoff lets outreach resume for: a clinical reply's, a
    complaint's or a sensitive reply's (service recovery), none for any other."""
    return handoff.patient_ids if handoff.reason in HOLDING_REASONS else ()


def opts_out(intent: Intent) -> bool:
    """A reply staff read as an opt-out opts its number out at once (when in doubt, opt-out
    wins: spec/replies.md)."""
    return intent is Intent.OPT_OUT


def with_override(
    practice: Practice,
    key: str,
    override: MessageOverride | None,
    library_keys: frozenset[str],
) -> TemplateChange:
    """The practice with its own text for `key` (None: back to the approved text), and the
    problems of that text (the same checks as `practice put`)."""
    overrides = dict(practice.message_overrides)
    if override is None:
        overrides.pop(key, None)
    else:
        overrides[key] = override
    changed = practice.model_copy(update={"message_overrides": overrides})
    problems = tuple(p for p in check_practice(changed, library_keys) if p.where == key)
    return TemplateChange(changed, problems)


class StaffService:
    def __init__(
        self,
        *,
        practices: PracticeRepository,
        handoffs: HandoffRepository,
        sequences: SequenceRepository,
        replies: ReplyRepository,
        consent: ConsentRepository,
        openings: OpeningRepository,
        library: MessageLibrary,
        follow_ups: QuestionFollowUps | None = None,
    ) -> None:
        self._practices = practices
        self._handoffs = handoffs
        self._sequences = sequences
        self._replies = replies
        self._consent = consent
        self._openings = openings
        self._library = library
        self._follow_ups = follow_ups

    def practice(self, practice_id: str) -> Practice:
        practice = self._practices.get(practice_id)
        if practice is None:
            raise UnknownPractice(practice_id)
        return practice

    def open_handoffs(self, practice_id: str) -> Iterator[Handoff]:
        """The replies a person must still answer, oldest first."""
        return self._handoffs.open_ones(practice_id)

    def close_handoff(
        self,
        practice_id: str,
        handoff_id: str,
        now: datetime,
        outcome: HandoffOutcome = HandoffOutcome.RESUME,
        note: str | None = None,
        *,
        by: str | None = None,
    ) -> ClosedHandoff:
        """Closes it once, with its outcome: a clinical, complaint or sensitive hold ends;
        `resume` lets a paused sequence go on (its next step due its interval from now),
        `booked` and `end` end it, `opt_out` opts the number out and ends every sequence on
        it. A question staff answered, with no step left to send (or the sequence ended), is
        followed up later unless the patient books or writes again."""
        handoff = self._handoffs.get(practice_id, handoff_id)
        if handoff is None or not self._handoffs.close(
            practice_id, handoff_id, now, note, outcome, by
        ):
            raise NoOpenHandoff(practice_id, handoff_id)
        released = released_by_closing(handoff)
        for patient_id in released:
            self._sequences.release_hold(practice_id, patient_id)
        resumed: list[str] = []
        going_on: list[str] = []
        if outcome is HandoffOutcome.OPT_OUT:
            ended = self.opt_out(practice_id, handoff.from_number, handoff.patient_ids, now)
        elif outcome is HandoffOutcome.RESUME:
            ended = ()
            for patient_id in handoff.patient_ids:
                active = self._sequences.active(practice_id, patient_id)
                if active is None:
                    continue
                if self._sequences.replace(active, sequences_domain.resumed(active, now)):
                    resumed.append(patient_id)
                going_on.append(patient_id)
        else:
            ended = self._end_all(practice_id, handoff.patient_ids, now, ENDED_BY[outcome])
        follow_up = None
        answered = handoff.reason is HandoffReason.QUESTION and outcome in (
            HandoffOutcome.RESUME,
            HandoffOutcome.END,
        )
        if answered and not going_on and handoff.patient_ids:
            follow_up = self._follow_up(practice_id, handoff.patient_ids[0], now)
        return ClosedHandoff(
            handoff, released, outcome, tuple(resumed), ended, follow_up,
            opted_out=outcome is HandoffOutcome.OPT_OUT,
        )  # fmt: skip

    def opt_out(
        self, practice_id: str, number: str, patient_ids: Iterable[str], now: datetime
    ) -> tuple[str, ...]:
        """Staff opt a number out at the patient's request (a handoff closed so, a reply
        corrected to an opt-out, the inbox's button): recorded at once, and every sequence of
        the number's patients ended, as STOP ends them. The patients whose sequence ended."""
        self._consent.record(practice_id, number, opted_out=True, at=now, recorded_at=now)
        return self._end_all(practice_id, patient_ids, now, ENDED_BY[HandoffOutcome.OPT_OUT])

    def _end_all(
        self, practice_id: str, patient_ids: Iterable[str], now: datetime, reason: str
    ) -> tuple[str, ...]:
        """Ends each patient's active sequence; the patients whose sequence this ended."""
        ended = []
        for patient_id in patient_ids:
            active = self._sequences.active(practice_id, patient_id)
            if active is not None and self._sequences.replace(
                active, sequences_domain.stopped(active, now, reason)
            ):
                ended.append(patient_id)
        return tuple(ended)

    def _follow_up(self, practice_id: str, patient_id: str, now: datetime) -> str | None:
        if self._follow_ups is None:
            return None
        days = self.practice(practice_id).question_follow_up_days
        self._follow_ups.schedule(
            PendingFollowUp(
                practice_id=practice_id,
                patient_id=patient_id,
                answered_at=now,
                due_at=now + timedelta(days=days),
            )
        )
        return patient_id

    def correct_reply(
        self, practice_id: str, reply_id: str, intent: Intent, now: datetime
    ) -> Correction:
        """Staff's reading of a reply beside the classifier's, counted for the weekly report;
        a correction to an opt-out opts the number out at once."""
        reply = self._replies.find(practice_id, reply_id)
        if reply is None:
            raise UnknownReply(practice_id, reply_id)
        if not self._replies.correct(reply, intent, now):
            return Correction(reply.intent, intent, changed=False, opted_out=False)
        if opts_out(intent):
            self.opt_out(practice_id, reply.from_number, reply.patient_ids, now)
        return Correction(reply.intent, intent, changed=True, opted_out=opts_out(intent))

    def set_text(
        self, practice_id: str, key: str, text: str, *, allow_unicode: bool = False
    ) -> TemplateChange:
        """Saves the practice's own text for one message, unless it fails a check."""
        override = MessageOverride(text=text.strip(), allow_unicode=allow_unicode)
        return self._save_override(practice_id, key, override)

    def clear_text(self, practice_id: str, key: str) -> TemplateChange:
        """Back to the approved text for that message."""
        return self._save_override(practice_id, key, None)

    def _save_override(
        self, practice_id: str, key: str, override: MessageOverride | None
    ) -> TemplateChange:
        change = with_override(self.practice(practice_id), key, override, self._library.keys())
        if change.saved:
            self._practices.save(change.practice)
        return change

    def publish_openings(
        self, practice_id: str, slots_csv: str, now: datetime | None = None
    ) -> OpeningsPublished:
        """A slots.csv's good rows published (times local to the practice unless they say
        otherwise); the bad ones returned with their line and reason (given `now`, also a
        time in the past or less than two hours ahead)."""
        practice = self.practice(practice_id)
        parsed = parse_openings(slots_csv, practice.timezone, now)
        added = self._openings.publish(practice_id, parsed.openings)
        return OpeningsPublished(len(parsed.openings), added, tuple(parsed.problems))

    def handoff(self, practice_id: str, handoff_id: str) -> Handoff:
        """A handoff, open or closed (UnknownHandoff: none of this practice's)."""
        handoff = self._handoffs.get(practice_id, handoff_id)
        if handoff is None:
            raise UnknownHandoff(practice_id, handoff_id)
        return handoff


class StaffInboxActions:
    """What staff do from the staff inbox: StaffService's use cases (the CLI's) and the
    inbox's own (a text to the patient, a held time confirmed or released, a snooze, an
    opt-out at the patient's request), each written to the conversation's audit trail."""

    def __init__(self, staff: StaffService, parts: StaffInboxParts) -> None:
        self.staff = staff
        self._parts = parts

    def _audit(
        self, handoff: Handoff, now: datetime, by: str, action: AuditAction, detail: str = ""
    ) -> None:
        from reactivation.domain.staff_access import AuditEntry

        self._parts.audit.record(AuditEntry(
            practice_id=handoff.practice_id, handoff_id=handoff.handoff_id, at=now, by=by,
            action=action, detail=detail[:1000],
        ))  # fmt: skip

    def close_handoff(
        self,
        practice_id: str,
        handoff_id: str,
        now: datetime,
        outcome: HandoffOutcome,
        note: str | None,
        by: str,
    ) -> ClosedHandoff:
        """StaffService.close_handoff, with who closed it and how in the trail."""
        from reactivation.domain.staff_access import AuditAction

        closed = self.staff.close_handoff(practice_id, handoff_id, now, outcome, note, by=by)
        detail = outcome.value + (f" ({note})" if note else "")
        self._audit(closed.handoff, now, by, AuditAction.CLOSED, detail)
        return closed

    def reply_to_patient(
        self, practice_id: str, handoff_id: str, text: str, now: datetime, by: str
    ) -> str:
        """A person's text to the patient from the practice's number, under the same consent
        checks as every text (never to an opted-out number) and never with a diagnosis or
        procedure name; counted as a staff reply, not outreach. Returns the channel's id."""
        from reactivation.domain.sms import TextKind, encode
        from reactivation.domain.staff_access import AuditAction
        from reactivation.domain.template_checks import denied_terms

        handoff = self.staff.handoff(practice_id, handoff_id)
        body = " ".join(text.split())
        if not body or len(body) > STAFF_REPLY_MAX_CHARACTERS:
            raise TextRefused(f"a reply has 1 to {STAFF_REPLY_MAX_CHARACTERS} characters")
        if denied := denied_terms(body):
            raise TextRefused("no diagnosis or procedure in a text: " + ", ".join(denied))
        if self._parts.consent.opted_out(practice_id, [handoff.from_number]):
            raise NumberOptedOut(practice_id)
        practice = self.staff.practice(practice_id)
        message_id = self._parts.sms.send(
            to=handoff.from_number, sender=practice.sending_number, body=body,
            identity=practice.origination_identity,
        )  # fmt: skip
        self._parts.texts.record_text(
            practice_id, message_id, TextKind.STAFF_REPLY, encode(body).segments, now
        )
        self._audit(handoff, now, by, AuditAction.REPLIED, body)
        return message_id

    def correct_intent(
        self, practice_id: str, handoff_id: str, intent: Intent, now: datetime, by: str
    ) -> Correction:
        """StaffService.correct_reply for the reply a handoff is about, in its trail."""
        from reactivation.domain.staff_access import AuditAction

        handoff = self.staff.handoff(practice_id, handoff_id)
        correction = self.staff.correct_reply(practice_id, handoff_id, intent, now)
        if correction.changed:
            self._audit(handoff, now, by, AuditAction.CORRECTED,
                        f"{correction.before.value} -> {correction.after.value}")  # fmt: skip
        return correction

    def settle_held_time(
        self, practice_id: str, handoff_id: str, opening_key: str, now: datetime, by: str,
        *, confirm: bool,
    ) -> None:  # fmt: skip
        """Confirms (booked) or releases (open to others again) a time held for the handoff's
        patient; NoHeldTime when it is not held for them (any more)."""
        from reactivation.domain.staff_access import AuditAction

        handoff = self.staff.handoff(practice_id, handoff_id)
        reads = self._parts.conversation
        held = {h.opening_key: h for h in reads.held_times(practice_id, handoff.patient_ids)}
        if opening_key not in held or not reads.settle_hold(
            practice_id, opening_key, handoff.patient_ids, now, booked=confirm
        ):
            raise NoHeldTime(practice_id)
        when = f"{held[opening_key].starts_at:%Y-%m-%d %H:%M} UTC"
        action = AuditAction.CONFIRMED_HOLD if confirm else AuditAction.RELEASED_HOLD
        self._audit(handoff, now, by, action, when)

    def snooze_patient(
        self, practice_id: str, handoff_id: str, until: date, now: datetime, by: str
    ) -> None:
        """No outreach to the handoff's patients before `until` (the patient asked for later)."""
        from reactivation.domain.staff_access import AuditAction

        handoff = self.staff.handoff(practice_id, handoff_id)
        if until <= now.date():
            raise TextRefused("a snooze ends after today")
        for patient_id in handoff.patient_ids:
            self._parts.sequences.snooze(practice_id, patient_id, until)
        self._audit(handoff, now, by, AuditAction.SNOOZED, f"until {until.isoformat()}")

    def opt_out_number(self, practice_id: str, handoff_id: str, now: datetime, by: str) -> bool:
        """Opts the handoff's number out at the patient's request (False: it already was)."""
        from reactivation.domain.staff_access import AuditAction

        handoff = self.staff.handoff(practice_id, handoff_id)
        consent = self._parts.consent
        if consent.opted_out(practice_id, [handoff.from_number]):
            return False
        self.staff.opt_out(practice_id, handoff.from_number, handoff.patient_ids, now)
        if self._parts.opt_out_list is not None:
            practice = self.staff.practice(practice_id)
            self._parts.opt_out_list.opt_out(handoff.from_number, practice.sms_opt_out_list)
        self._audit(handoff, now, by, AuditAction.OPTED_OUT, "at the patient's request")
        return True


#: A staff reply's longest text: three GSM-7 segments.
STAFF_REPLY_MAX_CHARACTERS = 459


@dataclass(frozen=True)
class StaffInboxParts:
    """What the staff inbox's actions need beyond StaffService: the SMS channel, the billed
    texts' record, the audit trail, the conversation's reads, consent and outreach state."""

    sms: SmsChannel
    texts: OutboxRepository
    audit: AuditRepository
    conversation: ConversationReads
    consent: ConsentRepository
    sequences: SequenceRepository
    opt_out_list: OptOutList | None = None


class UnknownHandoff(StaffRequestError):
    def __init__(self, practice_id: str, handoff_id: str) -> None:
        super().__init__(f"no handoff {handoff_id} for {practice_id}")


class NumberOptedOut(StaffRequestError):
    def __init__(self, practice_id: str) -> None:
        super().__init__("the number is opted out: no text is sent to it")


class TextRefused(StaffRequestError):
    """The staff reply (or the snooze) is refused, with the reason."""


class NoHeldTime(StaffRequestError):
    def __init__(self, practice_id: str) -> None:
        super().__init__("that time is not held for this patient")
