"""The queues: send jobs for the send function, imports for the ingest function."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from reactivation.domain.models import SendJob

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

    from reactivation.domain.imports import ExportRef

#: SQS takes at most ten messages a batch and delays a message at most fifteen minutes.
BATCH = 10
MAX_DELAY_SECONDS = 900


class SendQueueError(RuntimeError):
    """Some jobs could not be queued."""


class SendQueue:
    def __init__(self, client: SQSClient, url: str) -> None:
        self._client = client
        self._url = url

    def enqueue(self, jobs: Sequence[SendJob]) -> None:
        for start in range(0, len(jobs), BATCH):
            chunk = {str(i): job for i, job in enumerate(jobs[start : start + BATCH])}
            for _attempt in range(3):
                if not chunk:
                    break
                response = self._client.send_message_batch(
                    QueueUrl=self._url,
                    Entries=[
                        {"Id": i, "MessageBody": job.model_dump_json()} for i, job in chunk.items()
                    ],
                )
                chunk = {f["Id"]: chunk[f["Id"]] for f in response.get("Failed", [])}
            if chunk:
                raise SendQueueError(f"{len(chunk)} send jobs were not queued")

    def defer(self, job: SendJob, seconds: int) -> None:
        """Puts the job back to come round again in `seconds` (at most fifteen minutes)."""
        self._client.send_message(
            QueueUrl=self._url,
            MessageBody=job.model_dump_json(),
            DelaySeconds=max(0, min(MAX_DELAY_SECONDS, seconds)),
        )


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
