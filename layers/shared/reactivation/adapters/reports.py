"""The weekly reports: claimed before sending, so that a practice gets one per week."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from reactivation.adapters.items import Keys, iso, put_new, to_attributes

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


class ReportRepository:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def _key(self, practice_id: str, week: str) -> dict[str, str]:
        return {"pk": Keys.practice(practice_id), "sk": f"REPORT#{week}"}

    def claim(self, practice_id: str, week: str, at: datetime) -> bool:
        return put_new(
            self._client,
            self._table,
            {**self._key(practice_id, week), "status": "sending", "claimed_at": iso(at)},
        )

    def sent(self, practice_id: str, week: str, *, message_id: str, at: datetime) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=to_attributes(
                {
                    **self._key(practice_id, week),
                    "status": "sent",
                    "sent_at": iso(at),
                    "email_message_id": message_id,
                }
            ),
        )

    def release(self, practice_id: str, week: str) -> None:
        self._client.delete_item(
            TableName=self._table, Key=to_attributes(self._key(practice_id, week))
        )
