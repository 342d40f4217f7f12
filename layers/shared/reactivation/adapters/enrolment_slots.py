"""The weekly cap's counter: slots for new sequences, per practice and week, taken by the
enrolment's shards with a compare-and-set update (see domain/weekly_cap.py for the proof that
the cap holds), and the patients each shard held back for next week ("still due")."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from reactivation.adapters.items import (
    Keys,
    TableRepository,
    from_attributes,
    is_condition_failure,
    to_attributes,
)

#: The held-back counts are one attribute per shard and page (a page run again rewrites its own).
HELD = "held_"


class WeekSlots(NamedTuple):
    taken: int
    still_due: int
    limit: int | None


class WeeklySlots(TableRepository):
    @classmethod
    def beside(cls, repository: TableRepository) -> WeeklySlots:
        """The counter in the same table as `repository`'s items."""
        return cls(repository._client, repository._table)

    def _key(self, practice_id: str, week: str) -> dict[str, Any]:
        return to_attributes({"pk": Keys.practice(practice_id), "sk": f"ENROLMENT_WEEK#{week}"})

    def _read(self, practice_id: str, week: str) -> dict[str, Any]:
        response = self._client.get_item(
            TableName=self._table, Key=self._key(practice_id, week), ConsistentRead=True
        )
        return from_attributes(response.get("Item", {}))

    def take(self, practice_id: str, week: str, wanted: int, limit: int) -> int:
        """Takes up to `wanted` of the week's `limit` slots; returns how many it got."""
        while wanted > 0:
            seen = int(self._read(practice_id, week).get("used", 0))
            granted = min(wanted, limit - seen)
            if granted <= 0:
                return 0
            condition = "attribute_not_exists(used)" if seen == 0 else "used = :seen"
            values: dict[str, Any] = {":n": granted, ":zero": 0, ":limit": limit}
            if seen:
                values[":seen"] = seen
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key=self._key(practice_id, week),
                    UpdateExpression="SET used = if_not_exists(used, :zero) + :n, "
                    "week_limit = :limit",
                    ConditionExpression=condition,
                    ExpressionAttributeValues=to_attributes(values),
                )
            except ClientError as error:
                if not is_condition_failure(error):
                    raise
                continue  # another shard took slots meanwhile: read again
            return granted
        return 0

    def record_held(
        self, practice_id: str, week: str, shard: int, page: str | None, held: int
    ) -> None:
        """How many due patients this shard's page left for next week."""
        tag = hashlib.sha256((page or "").encode()).hexdigest()[:12]
        self._client.update_item(
            TableName=self._table,
            Key=self._key(practice_id, week),
            UpdateExpression="SET #held = :held",
            ExpressionAttributeNames={"#held": f"{HELD}{shard:02d}_{tag}"},
            ExpressionAttributeValues=to_attributes({":held": held}),
        )

    def week(self, practice_id: str, week: str) -> WeekSlots:
        """The week's slots taken, the patients still due, and the week's limit."""
        item = self._read(practice_id, week)
        held = sum(int(v) for k, v in item.items() if k.startswith(HELD))
        limit = item.get("week_limit")
        return WeekSlots(int(item.get("used", 0)), held, None if limit is None else int(limit))

    def first_week(self, practice_id: str, monday: date) -> date:
        """The Monday of the practice's first weekly enrolment (this one's, if it is the
        first): the pilot counts its weeks from it."""
        response = self._client.update_item(
            TableName=self._table,
            Key=to_attributes({"pk": Keys.practice(practice_id), "sk": "ENROLMENT_FIRST_WEEK"}),
            UpdateExpression="SET first_monday = if_not_exists(first_monday, :monday)",
            ExpressionAttributeValues=to_attributes({":monday": monday.isoformat()}),
            ReturnValues="ALL_NEW",
        )
        return date.fromisoformat(str(from_attributes(response["Attributes"])["first_monday"]))
