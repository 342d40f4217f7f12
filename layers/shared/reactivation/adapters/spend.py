"""A practice's SMS segments sent in a month, for its budget: one counter item per month,
added to in the transaction that confirms each text (the outbox's: `OutboxRepository` is an
`SmsSpend`), and the owner's notice, once a month.

    PRACTICE#p / SMS_SPEND#2026-12        segments sent that month (the practice's timezone)
    PRACTICE#p / SMS_BUDGET_NOTICE#2026-12  the owner was told outreach waits for next month
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from reactivation.adapters.items import (
    Keys,
    TableRepository,
    from_attributes,
    iso,
    put_new,
    to_attributes,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

#: A month's items are kept a little over a year (the budget reads the current month only).
KEPT = timedelta(days=400)


class SmsSpend(TableRepository):
    @staticmethod
    def _spend_key(practice_id: str, kind: str, month: str) -> dict[str, str]:
        return {"pk": Keys.practice(practice_id), "sk": f"{kind}#{month}"}

    def month_segments(self, practice_id: str, month: str) -> int:
        """The segments sent in the month so far. One GetItem."""
        response = self._client.get_item(
            TableName=self._table,
            Key=to_attributes(self._spend_key(practice_id, "SMS_SPEND", month)),
            ConsistentRead=True,
        )
        return int(from_attributes(response.get("Item", {})).get("segments", 0))

    def spend_write(
        self, practice_id: str, month: str, segments: int, at: datetime
    ) -> TransactWriteItemTypeDef:
        """Adds a text's segments to its month, as a write of the send's confirmation."""
        return {
            "Update": {
                "TableName": self._table,
                "Key": to_attributes(self._spend_key(practice_id, "SMS_SPEND", month)),
                "UpdateExpression": "ADD #segments :segments SET expires_at = :expires",
                "ExpressionAttributeNames": {"#segments": "segments"},
                "ExpressionAttributeValues": to_attributes(
                    {":segments": segments, ":expires": int((at + KEPT).timestamp())}
                ),
            }
        }

    def budget_notice_once(self, practice_id: str, month: str, at: datetime) -> bool:
        """Claims the month's notice to the owner: True the first time only."""
        return put_new(
            self._client,
            self._table,
            {
                **self._spend_key(practice_id, "SMS_BUDGET_NOTICE", month),
                "kind": "sms_budget_notice",
                "noticed_at": iso(at),
                "expires_at": int((at + KEPT).timestamp()),
            },
        )

    def forget_budget_notice(self, practice_id: str, month: str) -> None:
        """Gives the claim back after its email failed, so that a retry tells the owner."""
        self._client.delete_item(
            TableName=self._table,
            Key=to_attributes(self._spend_key(practice_id, "SMS_BUDGET_NOTICE", month)),
        )
