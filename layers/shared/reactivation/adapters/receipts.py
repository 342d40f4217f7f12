"""Where a text's delivery receipt is recorded: its message item, found by the channel's
message id through a small pointer item the send writes with its confirmation.

    CHANNEL_MESSAGE#<message id> / MESSAGE   -> the practice, patient and job of the text, and
                                                the number it went to (kept a week)

The pointer is the table's one other key that does not start with the practice (a receipt
names no practice); it holds nothing a receipt does not already carry but the ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from reactivation.adapters.items import (
    Keys,
    TableRepository,
    from_attributes,
    is_condition_failure,
    iso,
    to_attributes,
)
from reactivation.domain.delivery import Receipt

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

#: Carriers report within 72 hours (End User Messaging then reports UNKNOWN): a week is ample.
POINTER_KEPT = timedelta(days=7)


@dataclass(frozen=True)
class SentText:
    """The outreach text a receipt is about."""

    practice_id: str
    patient_id: str
    job_id: str
    #: The number it was sent to.
    contact: str


def _pointer_key(message_id: str) -> dict[str, str]:
    return {"pk": f"CHANNEL_MESSAGE#{message_id}", "sk": "MESSAGE"}


def pointer_write(
    table: str, message_id: str, text: SentText, at: datetime
) -> TransactWriteItemTypeDef:
    """The pointer's write, for the send's confirmation transaction."""
    item = {
        **_pointer_key(message_id),
        "kind": "channel_message",
        "practice_id": text.practice_id,
        "patient_id": text.patient_id,
        "job_id": text.job_id,
        "contact": text.contact,
        "expires_at": int((at + POINTER_KEPT).timestamp()),
    }
    return {"Put": {"TableName": table, "Item": to_attributes(item)}}


class DeliveryRepository(TableRepository):
    def find(self, message_id: str) -> SentText | None:
        """The text with this channel message id (None: not one of this stack's outreach
        texts, or its pointer expired). One GetItem."""
        key = to_attributes(_pointer_key(message_id))
        response = self._client.get_item(TableName=self._table, Key=key)
        item = from_attributes(response.get("Item", {}))
        if not item:
            return None
        return SentText(
            practice_id=str(item["practice_id"]),
            patient_id=str(item["patient_id"]),
            job_id=str(item["job_id"]),
            contact=str(item["contact"]),
        )

    def record(self, text: SentText, receipt: Receipt, now: datetime) -> bool:
        """Records the receipt on the message item, unless one that outranks it is recorded
        (`Receipt.rank`, compared by the table): True if recorded. One UpdateItem. A final
        receipt also sets `delivery` ("delivered" or "failed"), which the report reads."""
        assignments = ["delivery_status = :status", "delivery_rank = :rank",
                       "delivery_at = :at", "delivery_recorded_at = :now"]  # fmt: skip
        values: dict[str, Any] = {
            ":status": receipt.status.value,
            ":rank": receipt.rank,
            ":at": iso(receipt.at),
            ":now": iso(now),
        }
        if receipt.outcome is not None:
            assignments.append("delivery = :outcome")
            values[":outcome"] = receipt.outcome
        message_key = {
            "pk": Keys.patient(text.practice_id, text.patient_id),
            "sk": f"MESSAGE#{text.job_id}",
        }
        try:
            self._client.update_item(
                TableName=self._table,
                Key=to_attributes(message_key),
                UpdateExpression="SET " + ", ".join(assignments),
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(delivery_rank) OR delivery_rank < :rank)",
                ExpressionAttributeValues=to_attributes(values),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False  # a receipt that outranks it is recorded (or no such message)
            raise
        return True


class ReceiptQueue:
    """The delivery receipts queue, for the SNS delivery status logs the function is handed by
    CloudWatch Logs: each entry is queued alone, so that each is recorded (or dead-lettered)
    alone, as End User Messaging's are."""

    BATCH = 10  # SendMessageBatch's most

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def forward(self, bodies: list[str]) -> int:
        """Queues each body; raises if any was refused (the invocation is retried whole, and
        a receipt queued twice is recorded once). One request per 10."""
        for start in range(0, len(bodies), self.BATCH):
            chunk = bodies[start : start + self.BATCH]
            response = self._client.send_message_batch(
                QueueUrl=self._url,
                Entries=[{"Id": str(n), "MessageBody": body} for n, body in enumerate(chunk)],
            )
            if response.get("Failed"):
                codes = sorted({str(f.get("Code")) for f in response["Failed"]})
                raise RuntimeError(f"receipts not queued: {', '.join(codes)}")
        return len(bodies)
