"""The inbound dead-letter queue: the replies SNS could not deliver to the inbound endpoint,
each as SNS would have posted it (its signed envelope)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient


@dataclass(frozen=True)
class ParkedReply:
    body: str
    receipt: str


class ParkedReplies:
    """`VisibilityTimeout`: a reply read and not taken out (it failed again) is not read again
    in the same run; the next run reads it."""

    def __init__(self, client: SQSClient, url: str, *, visibility_seconds: int = 300) -> None:
        self._client = client
        self._url = url
        self._visibility = visibility_seconds

    def waiting(self, limit: int) -> Iterator[ParkedReply]:
        """Up to `limit` parked replies, ten a request, until the queue has none visible."""
        read = 0
        while read < limit:
            messages = self._client.receive_message(
                QueueUrl=self._url, MaxNumberOfMessages=min(10, limit - read),
                VisibilityTimeout=self._visibility, WaitTimeSeconds=0,
            ).get("Messages", [])  # fmt: skip
            if not messages:
                return
            for message in messages:
                read += 1
                yield ParkedReply(message["Body"], message["ReceiptHandle"])

    def done(self, reply: ParkedReply) -> None:
        """Processed (or refused for good): out of the queue."""
        self._client.delete_message(QueueUrl=self._url, ReceiptHandle=reply.receipt)
