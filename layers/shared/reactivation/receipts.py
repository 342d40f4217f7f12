"""The delivery receipts the delivery receipts function reads, as pydantic models: one SQS
message body each, from either channel. Parsed here or refused (the error names the field,
never the value: `Parsed`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Literal

from pydantic import ConfigDict, Field

from reactivation.domain.delivery import (
    DeliveryStatus,
    Receipt,
    end_user_messaging_status,
    sns_status,
)
from reactivation.domain.types import Parsed

#: A receipt is a small JSON object (the documented examples are under 1 KiB).
MAX_RECEIPT_BYTES = 16 * 1024
MESSAGE_ID = r"^[A-Za-z0-9-]{1,128}$"


class EndUserMessagingEvent(Parsed):
    """An AWS End User Messaging SMS event, as its configuration set's SNS event destination
    publishes it (raw to the queue). The documented shape ("Example SMS event data",
    https://docs.aws.amazon.com/sms-voice/latest/userguide/configuration-sets-event-format.html):
    {"eventType": "TEXT_SUCCESSFUL", "eventVersion": "1.0", "eventTimestamp": 1686975103470,
     "isFinal": true, "originationPhoneNumber": "+1...", "destinationPhoneNumber": "+1...",
     "messageId": "862a8790-...", "messageStatus": "SUCCESSFUL", "context": {...}, ...}.
    The numbers are not kept: the message is found by its id."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)
    event_type: str = Field(alias="eventType", pattern=r"^TEXT_[A-Z_]{2,40}$")
    event_timestamp: int = Field(alias="eventTimestamp", gt=0)
    is_final: bool | None = Field(default=None, alias="isFinal")
    message_id: str = Field(alias="messageId", pattern=MESSAGE_ID)

    def receipt(self) -> Receipt:
        status = end_user_messaging_status(self.event_type)
        final = self.is_final if self.is_final is not None else status is not DeliveryStatus.PENDING
        at = datetime.fromtimestamp(self.event_timestamp / 1000, UTC)
        return Receipt(message_id=self.message_id, status=status, final=final, at=at)


class SnsNotification(Parsed):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)
    message_id: str = Field(alias="messageId", pattern=MESSAGE_ID)
    #: "2016-06-28 00:40:34.558", UTC.
    timestamp: str = Field(pattern=r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d{1,6})?Z?$")


class SnsDelivery(Parsed):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)
    provider_response: str = Field(default="", alias="providerResponse", max_length=500)


class SnsSmsDeliveryStatus(Parsed):
    """One SNS SMS delivery status log entry (CloudWatch Logs group
    sns/REGION/ACCOUNT/DirectPublishToPhoneNumber, and .../Failure), forwarded to the queue as
    written. The documented shape ("How do I monitor the delivery of Amazon SNS text
    messages?", https://repost.aws/knowledge-center/monitor-sns-texts-cloudwatch):
    {"notification": {"messageId": "34d9b400-...", "timestamp": "2016-06-28 00:40:34.558"},
     "delivery": {"destination": "+1...", "providerResponse": "Message has been accepted by
     phone carrier", "priceInUSD": 0.00645, "smsType": "Transactional", ...},
     "status": "SUCCESS"}. SNS writes one entry per text, once its outcome is known: final."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)
    notification: SnsNotification
    delivery: SnsDelivery
    status: Literal["SUCCESS", "FAILURE"]

    def receipt(self) -> Receipt:
        text = self.notification.timestamp.rstrip("Z").replace(" ", "T")
        at = datetime.fromisoformat(text).replace(tzinfo=UTC)
        status = sns_status(self.status == "SUCCESS", self.delivery.provider_response)
        return Receipt(message_id=self.notification.message_id, status=status, final=True, at=at)


class MalformedReceipt(ValueError):
    """Not a receipt this function reads: kept in the dead-letter queue for a person."""


def parse_receipt(body: str) -> Receipt:
    """A queued receipt of either channel, or MalformedReceipt (naming no value)."""
    if len(body.encode("utf-8")) > MAX_RECEIPT_BYTES:
        raise MalformedReceipt("receipt too large")
    try:
        data = json.loads(body)
    except ValueError as error:
        raise MalformedReceipt("receipt is not JSON") from error
    if not isinstance(data, dict):
        raise MalformedReceipt("receipt is not a JSON object")
    if "eventType" in data:
        return EndUserMessagingEvent.model_validate(data).receipt()
    if "notification" in data:
        return SnsSmsDeliveryStatus.model_validate(data).receipt()
    raise MalformedReceipt("neither an End User Messaging event nor an SNS delivery status")
