"""Lambda's SQS event source mapping, locally: batches, partial failures, visibility, redrive.

A failed message stays invisible until its visibility timeout has passed on the local
stack's clock, then comes round again; after the queue's maxReceiveCount receives, SQS
(moto) moves it to the dead-letter queue. Nothing is deleted unless the function took it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

Invoke = Callable[[Mapping[str, Any]], tuple[bool, Any]]


@dataclass
class SqsEventSource:
    function: str
    queue_url: str
    queue_arn: str
    batch_size: int
    report_batch_item_failures: bool
    visibility_timeout: int
    region: str
    sqs: Any
    #: receipt handle -> the moment (local clock) the message becomes visible again
    waiting: dict[str, datetime] = field(default_factory=dict)

    def record(self, message: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        }

    def release_expired(self, now: datetime) -> None:
        """Messages whose visibility timeout passed on the local clock come round again."""
        for handle, visible_at in list(self.waiting.items()):
            if visible_at <= now:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=handle, VisibilityTimeout=0
                )
                del self.waiting[handle]

    def poll(self, invoke: Invoke, now: datetime) -> int:
        """One batch: received, handed to the function, the processed ones deleted."""
        self.release_expired(now)
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(self.batch_size, 10),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            return 0
        records = [self.record(m) for m in messages]
        ok, result = invoke({"Records": records})
        failed: set[str] = set()
        if not ok:
            failed = {r["messageId"] for r in records}
        elif self.report_batch_item_failures and isinstance(result, dict):
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        done = [r for r in records if r["messageId"] not in failed]
        for start in range(0, len(done), 10):
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": r["receiptHandle"]}
                    for i, r in enumerate(done[start : start + 10])
                ],
            )
        for record in records:
            if record["messageId"] in failed:
                self.waiting[record["receiptHandle"]] = now + timedelta(
                    seconds=self.visibility_timeout
                )
        return len(records)
