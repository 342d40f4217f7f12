"""A decided reply applied: its answers sent, then its changes written with the reply itself,
last, in one transaction. A redelivery finds the reply and does nothing; a crash before the
write answers again (never twice to the patient), never loses a change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.handoffs import HandoffRepository
from reactivation.adapters.items import TransactionWriter, WritesRefused
from reactivation.adapters.recipients import RecipientRepository
from reactivation.adapters.replies import ReplyRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain.conversation import InboundSms
from reactivation.domain.outreach import PatientFile, Recipient
from reactivation.domain.reply_plan import PatientChange, ReplyPlan
from reactivation.services.inbound.decision import Decision
from reactivation.services.inbound.outcomes import Handled, InboundResult

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


class ReplyStore:
    def __init__(
        self,
        *,
        consent: ConsentRepository,
        sequences: SequenceRepository,
        handoffs: HandoffRepository,
        replies: ReplyRepository,
        recipients: RecipientRepository,
        writes: TransactionWriter,
    ) -> None:
        self._consent = consent
        self._sequences = sequences
        self._handoffs = handoffs
        self._replies = replies
        self._recipients = recipients
        self._writes = writes

    def plan_writes(
        self,
        practice_id: str,
        sms: InboundSms,
        plan: ReplyPlan,
        files: Sequence[PatientFile],
        now: datetime,
    ) -> list[TransactWriteItemTypeDef]:
        """The plan's change to the number's consent and to each patient, as writes (each
        conditional on what was read)."""
        writes: list[TransactWriteItemTypeDef] = []
        if plan.opt_out is not None:
            writes += self._consent.change_writes(
                practice_id, sms.from_number, opted_out=plan.opt_out, at=sms.received_at,
                recorded_at=now, changes=plan.answer is not None,
            )  # fmt: skip
        by_id = {f.record.patient.patient_id: f for f in files}
        for change in plan.changes:
            found = by_id.get(change.patient_id)
            writes += self._sequences.change_writes(
                practice_id, change.patient_id, found.active if found else None, change,
                found.history.declined if found else {}, now, replied_at=sms.received_at,
            )  # fmt: skip
        # Every reply answers for the number's patients (no no-reply cooldown follows it).
        changed = {change.patient_id for change in plan.changes}
        for patient_id in by_id.keys() - changed:
            writes += self._sequences.change_writes(
                practice_id, patient_id, None, PatientChange(patient_id), {}, now,
                replied_at=sms.received_at,
            )  # fmt: skip
        return writes

    def apply(
        self, decision: Decision, recipient: Recipient, now: datetime
    ) -> InboundResult | None:
        """The answers, then the writes, all or nothing. The text to the patient goes at most
        once: a delivery that died after claiming it leaves it in doubt, never sent again. The
        staff's email and the practice event go at least once: in doubt, they go again (a
        handoff must reach the team; the event carries its reply id). None: another delivery
        or writer moved meanwhile (read and decide again)."""
        reply = decision.reply
        pid, number, reply_id = reply.practice_id, reply.from_number, reply.inbound_message_id
        effects = decision.answers
        claim = recipient.answers.get(reply_id)
        in_doubt = bool(effects) and claim is not None and not claim.released
        claimed = False
        sent = sorted(claim.done) if claim is not None else []
        if in_doubt:
            pending = [(kind, send) for kind, send in effects if kind != "text"]
        elif effects:
            if not self._recipients.claim_answers(pid, number, reply_id, now):
                return None  # another delivery took it meanwhile: read and decide again
            claimed = True
            pending = [(kind, send) for kind, send in effects if kind not in sent]
        else:
            pending = []

        def give_back() -> None:
            if claimed:
                self._recipients.release_answers(pid, number, reply_id, sent)

        for kind, send in pending:
            try:
                send()
            except Exception:  # not sent: the next delivery sends it and what is left
                give_back()
                raise
            sent.append(kind)
        try:
            stored = self._store(decision, now)
        except Exception:
            give_back()  # answered: the next delivery writes, and does not answer again
            raise
        if stored is None:
            give_back()  # to decide again, with what went out
        elif in_doubt:
            stored = replace(stored, answers_in_doubt=True)
        return stored

    def _store(self, decision: Decision, now: datetime) -> InboundResult | None:
        """DUPLICATE: another delivery stored the reply first; None: another write was refused
        meanwhile."""
        reply = decision.reply
        everything = list(decision.writes)
        if decision.handoff is not None:
            everything.append(self._handoffs.open_write(decision.handoff))
        everything.append(self._replies.save_write(reply, recorded_at=now))
        try:
            self._writes.write(everything)
        except WritesRefused as refused:
            if refused.position == len(everything) - 1:  # the reply: another delivery stored it
                return InboundResult(Handled.DUPLICATE)
            return None
        return InboundResult(Handled.ROUTED, reply.intent, notify_staff=reply.notify_staff)
