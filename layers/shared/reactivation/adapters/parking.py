"""Send jobs that must wait longer than SQS can delay a message (15 minutes): parked in the
table until their moment, in the sparse DueSteps index, and put back on the send queue by the
frequent follow-up run (no job cycles through the queue all night, none is dropped)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from reactivation.adapters.items import (
    Keys,
    TableRepository,
    conditionally,
    due_items,
    iso,
    to_attributes,
)
from reactivation.domain.outreach import SendJob

if TYPE_CHECKING:
    pass

#: A released parked job stays this long (for the record), then DynamoDB's TTL removes it.
KEPT = timedelta(days=30)


class ParkedJobs(TableRepository):
    @staticmethod
    def _key(job: SendJob) -> dict[str, str]:
        return {"pk": Keys.patient(job.practice_id, job.patient_id), "sk": f"PARKED#{job.job_id}"}

    def park(self, job: SendJob, until: datetime) -> None:
        """Holds the job until `until` (parking it again moves the moment)."""
        self._client.put_item(
            TableName=self._table,
            Item=to_attributes(
                {
                    **self._key(job),
                    "kind": "parked_job",
                    "gsi3pk": Keys.collection(job.practice_id, "DUE"),
                    "gsi3sk": f"{iso(until)}#{job.patient_id}#PARKED#{job.job_id}",
                    "until": iso(until),
                    "job": job.model_dump_json(),
                    "expires_at": int((until + KEPT).timestamp()),
                }
            ),
        )

    def due(self, practice_id: str, now: datetime) -> Iterator[SendJob]:
        """The practice's parked jobs whose moment has come."""
        for item in due_items(self._client, self._table, practice_id, now, "parked_job"):
            yield SendJob.model_validate_json(item["job"])

    def release(self, job: SendJob, at: datetime) -> bool:
        """Takes the job out of the index once it is back on the queue (False if another run
        released it first)."""
        return conditionally(
            lambda: self._client.update_item(
                TableName=self._table,
                Key=to_attributes(self._key(job)),
                UpdateExpression="REMOVE gsi3pk, gsi3sk SET released_at = :at",
                ConditionExpression="attribute_exists(gsi3pk)",
                ExpressionAttributeValues=to_attributes({":at": iso(at)}),
            )
        )
