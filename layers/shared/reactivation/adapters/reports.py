"""The weekly reports: claimed before sending, so that a practice gets one per week. A claim
never confirmed belongs to a run that died between the claim and the confirmation: after
CLAIM_ABANDONED it is taken again, and the owner may get that week's report twice rather
than not at all (a report tells the owner, it never goes to a patient)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from reactivation.adapters.items import Keys, TableRepository, conditionally, iso, to_attributes

if TYPE_CHECKING:
    pass


#: Longer than the report function's timeout (template.yaml; tests/test_template.py checks).
CLAIM_ABANDONED = timedelta(minutes=20)


class ReportRepository(TableRepository):
    def _key(self, practice_id: str, week: str) -> dict[str, str]:
        return {"pk": Keys.practice(practice_id), "sk": f"REPORT#{week}"}

    def claim(self, practice_id: str, week: str, at: datetime) -> bool:
        """False when the week's report was sent, or is being sent by a run still alive."""
        item = {**self._key(practice_id, week), "status": "sending", "claimed_at": iso(at)}
        return conditionally(
            lambda: self._client.put_item(
                TableName=self._table,
                Item=to_attributes(item),
                ConditionExpression="attribute_not_exists(pk) OR "
                "(#status = :sending AND claimed_at < :abandoned)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_attributes(
                    {":sending": "sending", ":abandoned": iso(at - CLAIM_ABANDONED)}
                ),
            )
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
