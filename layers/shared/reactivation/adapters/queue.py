"""The queues: send jobs for the send function, imports for the ingest function."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from reactivation.domain.outreach import SendJob

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

    from reactivation.domain.imports import ExportRef
    from reactivation.events import SegmentUnit

#: SQS takes at most ten messages a batch and delays a message at most fifteen minutes.
BATCH = 10
MAX_DELAY_SECONDS = 900


class SendQueueError(RuntimeError):
    """Some messages could not be queued."""


def send_in_batches(client: SQSClient, url: str, bodies: Sequence[str], what: str) -> None:
    """Ten messages a request; the ones SQS refuses are sent again (twice), then an error."""
    for start in range(0, len(bodies), BATCH):
        chunk = {str(i): body for i, body in enumerate(bodies[start : start + BATCH])}
        for _attempt in range(3):
            if not chunk:
                break
            response = client.send_message_batch(
                QueueUrl=url, Entries=[{"Id": i, "MessageBody": b} for i, b in chunk.items()]
            )
            chunk = {f["Id"]: chunk[f["Id"]] for f in response.get("Failed", [])}
        if chunk:
            raise SendQueueError(f"{len(chunk)} {what} were not queued")


class SendQueue:
    def __init__(self, client: SQSClient, url: str) -> None:
        self._client = client
        self._url = url

    def enqueue(self, jobs: Sequence[SendJob]) -> None:
        send_in_batches(
            self._client, self._url, [job.model_dump_json() for job in jobs], "send jobs"
        )

    def defer(self, job: SendJob, seconds: int) -> None:
        """Puts the job back to come round again in `seconds` (at most fifteen minutes)."""
        self._client.send_message(
            QueueUrl=self._url,
            MessageBody=job.model_dump_json(),
            DelaySeconds=max(0, min(MAX_DELAY_SECONDS, seconds)),
        )


class SegmentQueue:
    """The segment queue: one message per practice and run (the fan-out), and a page's
    message to go on with the next one."""

    def __init__(self, client: SQSClient, url: str) -> None:
        self._client = client
        self._url = url

    def enqueue(self, units: Sequence[SegmentUnit]) -> None:
        bodies = [unit.model_dump_json() for unit in units]
        send_in_batches(self._client, self._url, bodies, "segment units")


class ImportQueue:
    """The imports' queue: S3's file events arrive on it, and an import that must go on in a
    fresh invocation leaves itself a message there."""

    def __init__(self, client: SQSClient, url: str) -> None:
        self._client = client
        self._url = url

    def request(self, ref: ExportRef) -> None:
        self._client.send_message(
            QueueUrl=self._url,
            MessageBody=json.dumps({"practice_id": ref.practice_id, "export_id": ref.export_id}),
        )


class DeadLetters:
    """A queue's dead-letter queue, for a message parked on purpose: with the reason it could
    not be handled (a message attribute), so that an operator reads why before a redrive."""

    def __init__(self, client: SQSClient, url: str) -> None:
        self._client = client
        self._url = url

    def park(self, body: str, reason: str) -> None:
        self._client.send_message(
            QueueUrl=self._url,
            MessageBody=body,
            MessageAttributes={"reason": {"DataType": "String", "StringValue": reason[:256]}},
        )

    def redrive(self, to_url: str) -> int:
        """Moves every parked message back to `to_url` (its queue), each sent before it is
        deleted here (a crash in between redrives one twice: its handler takes it once).
        What SQS's StartMessageMoveTask does, on any SQS (moto's too); returns how many."""
        moved = 0
        while True:
            messages = self._client.receive_message(
                QueueUrl=self._url, MaxNumberOfMessages=10, VisibilityTimeout=60,
                WaitTimeSeconds=0, MessageAttributeNames=["All"],
            ).get("Messages", [])  # fmt: skip
            if not messages:
                return moved
            for message in messages:
                self._client.send_message(QueueUrl=to_url, MessageBody=message["Body"])
                self._client.delete_message(
                    QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"]
                )
                moved += 1
