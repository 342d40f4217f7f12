"""Handoffs: replies a person must answer, open until staff close them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from reactivation.adapters.items import (
    Keys,
    TableRepository,
    conditionally,
    from_attributes,
    iso,
    items_between,
    model_fields,
    model_item,
    to_attributes,
)
from reactivation.domain.handoffs import Handoff, HandoffOutcome

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


class HandoffRepository(TableRepository):
    @staticmethod
    def _key(practice_id: str, handoff_id: str) -> dict[str, str]:
        return {"pk": Keys.practice(practice_id), "sk": f"HANDOFF#{handoff_id}"}

    def _item(self, handoff: Handoff) -> dict[str, object]:
        return {
            **self._key(handoff.practice_id, handoff.handoff_id),
            "kind": "handoff",
            # open ones are listed from this index; closing takes the item out of it
            "gsi1pk": Keys.collection(handoff.practice_id, "HANDOFFS_OPEN"),
            "gsi1sk": f"{iso(handoff.opened_at)}#{handoff.handoff_id}",
            **model_item(handoff),
        }

    def open_write(self, handoff: Handoff) -> TransactWriteItemTypeDef:
        """The handoff recorded, as a transaction's write (its id is the reply's: once)."""
        return {"Put": {"TableName": self._table, "Item": to_attributes(self._item(handoff))}}

    def get(self, practice_id: str, handoff_id: str) -> Handoff | None:
        response = self._client.get_item(
            TableName=self._table,
            Key=to_attributes(self._key(practice_id, handoff_id)),
            ConsistentRead=True,
        )
        if "Item" not in response:
            return None
        return Handoff.model_validate(model_fields(Handoff, from_attributes(response["Item"])))

    def open_ones(self, practice_id: str) -> Iterator[Handoff]:
        """The practice's open handoffs, oldest first."""
        for item in self._collection(Keys.collection(practice_id, "HANDOFFS_OPEN")):
            yield Handoff.model_validate(model_fields(Handoff, item))

    def close(
        self,
        practice_id: str,
        handoff_id: str,
        at: datetime,
        note: str | None,
        outcome: HandoffOutcome | None = None,
        by: str | None = None,
    ) -> bool:
        """Closes an open handoff (False: none open with that id). Counted by when it closed."""
        values: dict[str, object] = {
            ":at": iso(at),
            ":closed": Keys.collection(practice_id, "HANDOFFS_CLOSED"),
            ":order": f"{iso(at)}#{handoff_id}",
        }
        expression = "SET closed_at = :at, gsi1pk = :closed, gsi1sk = :order"
        if outcome is not None:
            expression += ", outcome = :outcome"
            values[":outcome"] = outcome.value
        if by:
            expression += ", closed_by = :by"
            values[":by"] = by[:200]
        if note:
            expression += ", note = :note"
            values[":note"] = note[:500]
        return conditionally(
            lambda: self._client.update_item(
                TableName=self._table,
                Key=to_attributes(self._key(practice_id, handoff_id)),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(closed_at)",
                ExpressionAttributeValues=to_attributes(values),
            )
        )

    def since(self, practice_id: str, start: datetime) -> list[Handoff]:
        """The handoffs still open, and those closed since `start` (what a report of the
        time since then counts: opened by reason, and how fast they were closed)."""
        closed = items_between(self._client, self._table,
                               Keys.collection(practice_id, "HANDOFFS_CLOSED"), start,
                               datetime.max.replace(tzinfo=start.tzinfo))  # fmt: skip
        closed_ones = [Handoff.model_validate(model_fields(Handoff, item)) for item in closed]
        return [*self.open_ones(practice_id), *closed_ones]
