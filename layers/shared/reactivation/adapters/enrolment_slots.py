"""The weekly cap's counter: slots for new sequences, per practice and week, taken once by each
enrolment run's SELECT with a compare-and-set update (see domain/weekly_cap.py for the proof
that the cap holds), and the patients the week's run held back for next week ("still due")."""

from __future__ import annotations

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

#: Each run's grant, recorded with the counter (a run asking again gets the same).
GRANTED = "granted_"
#: Before the two-phase enrolment: one held-back count per shard and page.
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

    def take(self, practice_id: str, week: str, run: str, wanted: int, limit: int, due: int) -> int:
        """Takes up to `wanted` of the week's `limit` slots for one enrolment run, once: the
        grant is recorded with the counter (`granted_<run>`) and a run asking again gets the
        same answer. Records the run's `due` minus its grant as the week's still due."""
        granted_attribute = f"{GRANTED}{run}"
        while True:
            item = self._read(practice_id, week)
            if granted_attribute in item:
                return int(item[granted_attribute])
            seen = int(item.get("used", 0))
            granted = max(0, min(wanted, limit - seen))
            # (a run granted none leaves `used` at 0: the next one's condition must hold)
            condition = "attribute_not_exists(used) OR used = :seen"
            values: dict[str, Any] = {":n": granted, ":zero": 0, ":limit": limit,
                                      ":held": due - granted, ":seen": seen}  # fmt: skip
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key=self._key(practice_id, week),
                    UpdateExpression="SET used = if_not_exists(used, :zero) + :n, "
                    "week_limit = :limit, #granted = :n, still_due = :held",
                    ConditionExpression=f"({condition}) AND attribute_not_exists(#granted)",
                    ExpressionAttributeNames={"#granted": granted_attribute},
                    ExpressionAttributeValues=to_attributes(values),
                )
            except ClientError as error:
                if not is_condition_failure(error):
                    raise
                continue  # another run took slots meanwhile (or this one did): read again
            return granted

    def week(self, practice_id: str, week: str) -> WeekSlots:
        """The week's slots taken, the patients still due, and the week's limit."""
        item = self._read(practice_id, week)
        if "still_due" in item:  # the week's latest run's
            held = int(item["still_due"])
        else:
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
