"""What a reply does once decided, ready to apply: the reply to record, the writes that go
with it, the handoff, and the answers to send first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from reactivation.domain.conversation import InboundSms, Intent, Reading, Reply
from reactivation.domain.handoffs import Handoff, HandoffReason, route

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

#: One answer to a reply, by kind ("text", "email", "event"), and what sends it.
Answer = tuple[str, Callable[[], None]]


@dataclass(frozen=True)
class Decision:
    reply: Reply
    #: Written with the reply, before it, all or nothing.
    writes: tuple[TransactWriteItemTypeDef, ...] = ()
    handoff: Handoff | None = None
    #: Sent before the writes, in this order.
    answers: tuple[Answer, ...] = ()


def handoff_for(
    sms: InboundSms,
    reason: HandoffReason | None,
    patient_ids: tuple[str, ...],
    practice_id: str,
    now: datetime,
    detail: str | None = None,
) -> Handoff | None:
    """The handoff a reply opens for `reason` (none without one): its id is the reply's."""
    if reason is None:
        return None
    team, urgent = route(reason)
    return Handoff(
        practice_id=practice_id, handoff_id=sms.inbound_message_id, from_number=sms.from_number,
        patient_ids=patient_ids, reason=reason, team=team, urgent=urgent, opened_at=now,
        detail=detail,
    )  # fmt: skip


def reply_of(
    practice_id: str,
    sms: InboundSms,
    intent: Intent,
    patient_ids: tuple[str, ...],
    notify_staff: bool = False,
    barrier: str | None = None,
    reading: Reading | None = None,
) -> Reply:
    """The record of a reply, as read (with the barrier it gives, if any, and how its
    conversation read it when that changed the classifier's reading)."""
    return Reply(
        practice_id=practice_id, inbound_message_id=sms.inbound_message_id,
        from_number=sms.from_number, body=sms.body, received_at=sms.received_at,
        intent=intent, notify_staff=notify_staff, patient_ids=patient_ids, barrier=barrier,
        reading=None if reading is Reading.AS_CLASSIFIED else reading,
    )  # fmt: skip
