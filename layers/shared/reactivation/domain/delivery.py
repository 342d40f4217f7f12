"""Delivery receipts: what the carrier finally did with a text, and which receipt counts when
several arrive, in any order.

A message's receipts are ranked by (final, time): a final receipt outranks every non-final one,
and among receipts of the same kind the later one (by the carrier's clock) wins. So a late
"pending" never undoes a "delivered", and a receipt that arrives twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # queued or on its way: never final
    DELIVERED = "delivered"
    #: The recipient's phone or carrier blocks texts to that number.
    BLOCKED = "blocked"
    #: No such number (or not one that takes texts).
    INVALID_NUMBER = "invalid_number"
    #: The carrier blocked this message (spam filtering): the number itself may be fine.
    FILTERED = "filtered"
    #: Phone off or carrier down: transient.
    UNREACHABLE = "unreachable"
    #: Expired, unknown, or any other failure.
    FAILED = "failed"


#: The statuses that mean the number will never take our texts: the patient is unreachable
#: there, as at an email address that bounced for good.
UNREACHABLE_FOR_GOOD = frozenset({DeliveryStatus.BLOCKED, DeliveryStatus.INVALID_NUMBER})
#: The statuses counted by the `Blocked` metric.
BLOCKED = frozenset({DeliveryStatus.BLOCKED, DeliveryStatus.FILTERED})


@dataclass(frozen=True)
class Receipt:
    """One delivery receipt, from End User Messaging or SNS, as the function records it."""

    #: The channel's message id (SNS Publish's or SendTextMessage's MessageId).
    message_id: str
    status: DeliveryStatus
    final: bool
    #: When the carrier reported it.
    at: datetime

    @property
    def outcome(self) -> str | None:
        """The message item's `delivery` field, which the weekly report reads: "delivered" or
        "failed" once a final receipt is recorded (None: not final, not written)."""
        if not self.final:
            return None
        return "delivered" if self.status is DeliveryStatus.DELIVERED else "failed"

    @property
    def rank(self) -> str:
        """Orders a message's receipts as strings (the table compares them in its condition):
        the one with the greater rank wins."""
        moment = self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        return f"{int(self.final)}#{moment}"

    def supersedes(self, recorded_rank: str | None) -> bool:
        """Whether this receipt replaces the one recorded (None: none yet)."""
        return recorded_rank is None or self.rank > recorded_rank

    @property
    def unreachable(self) -> bool:
        """A final receipt saying the number will never take a text."""
        return self.final and self.status in UNREACHABLE_FOR_GOOD


#: End User Messaging's SMS event types (AWS End User Messaging SMS User Guide, "Event types
#: for SMS, MMS, and voice": https://docs.aws.amazon.com/sms-voice/latest/userguide/
#: configuration-sets-event-types.html). Not final: queued, pending, sent.
END_USER_MESSAGING_STATUS: dict[str, DeliveryStatus] = {
    "TEXT_DELIVERED": DeliveryStatus.DELIVERED,
    "TEXT_SUCCESSFUL": DeliveryStatus.DELIVERED,
    "TEXT_QUEUED": DeliveryStatus.PENDING,
    "TEXT_PENDING": DeliveryStatus.PENDING,
    "TEXT_SENT": DeliveryStatus.PENDING,
    "TEXT_BLOCKED": DeliveryStatus.BLOCKED,
    "TEXT_INVALID": DeliveryStatus.INVALID_NUMBER,
    "TEXT_CARRIER_BLOCKED": DeliveryStatus.FILTERED,
    "TEXT_SPAM": DeliveryStatus.FILTERED,
    "TEXT_PROTECT_BLOCKED": DeliveryStatus.FILTERED,
    "TEXT_UNREACHABLE": DeliveryStatus.UNREACHABLE,
    "TEXT_CARRIER_UNREACHABLE": DeliveryStatus.UNREACHABLE,
    "TEXT_TTL_EXPIRED": DeliveryStatus.FAILED,
    "TEXT_INVALID_MESSAGE": DeliveryStatus.FAILED,
    "TEXT_UNKNOWN": DeliveryStatus.FAILED,
}

#: SNS's `providerResponse` of a failed SMS, by the words it starts with (lower case): the
#: responses the SNS developer guide lists for SMS delivery status logs.
SNS_FAILURES: tuple[tuple[str, DeliveryStatus], ...] = (
    ("invalid phone number", DeliveryStatus.INVALID_NUMBER),
    ("phone has blocked sms", DeliveryStatus.BLOCKED),
    ("phone is on a blocked list", DeliveryStatus.BLOCKED),
    ("destination is on a blocked list", DeliveryStatus.BLOCKED),
    ("phone number is opted out", DeliveryStatus.BLOCKED),
    ("phone carrier has blocked this message", DeliveryStatus.FILTERED),
    ("blocked as spam", DeliveryStatus.FILTERED),
    ("phone is currently unreachable", DeliveryStatus.UNREACHABLE),
    ("phone carrier is currently unreachable", DeliveryStatus.UNREACHABLE),
)


def end_user_messaging_status(event_type: str) -> DeliveryStatus:
    """An End User Messaging event type's status (one this code does not know: failed)."""
    return END_USER_MESSAGING_STATUS.get(event_type, DeliveryStatus.FAILED)


def sns_status(succeeded: bool, provider_response: str) -> DeliveryStatus:
    """An SNS delivery status log's status: SUCCESS is delivered; a FAILURE by its response."""
    if succeeded:
        return DeliveryStatus.DELIVERED
    response = provider_response.strip().lower()
    for words, status in SNS_FAILURES:
        if response.startswith(words):
            return status
    return DeliveryStatus.FAILED
