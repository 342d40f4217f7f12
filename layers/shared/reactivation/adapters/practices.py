"""Practices and the sending numbers that identify them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from reactivation.adapters.items import (
    Keys,
    TableRepository,
    from_attributes,
    model_fields,
    model_item,
    to_attributes,
)
from reactivation.domain.practice import Practice

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


class PracticeRepository(TableRepository):
    """`cache_seconds` > 0 keeps what `get` read for that long in this instance (a warm Lambda
    reads a practice once a minute, not once a message); 0 reads every time."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        *,
        cache_seconds: float = 0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(client, table)
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._cached: dict[str, tuple[float, Practice | None]] = {}
        self._owners: dict[str, tuple[float, str | None]] = {}

    def save(self, practice: Practice) -> None:
        pk = Keys.practice(practice.practice_id)
        self._client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_attributes(
                            {
                                "pk": pk,
                                "sk": "PRACTICE",
                                "gsi1pk": Keys.PRACTICES,
                                "gsi1sk": pk,
                                "kind": "practice",
                                **model_item(practice),
                            }
                        ),
                    }
                },
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_attributes(
                            {
                                "pk": pk,
                                "sk": f"NUMBER#{practice.sending_number}",
                                "gsi1pk": Keys.sending_number(practice.sending_number),
                                "gsi1sk": pk,
                                "kind": "sending_number",
                                "practice_id": practice.practice_id,
                            }
                        ),
                    }
                },
            ]
        )

    def get(self, practice_id: str) -> Practice | None:
        if self._cache_seconds <= 0:
            return self._read(practice_id)
        hit = self._cached.get(practice_id)
        if hit is not None and self._monotonic() - hit[0] < self._cache_seconds:
            return hit[1]
        practice = self._read(practice_id)
        self._cached[practice_id] = (self._monotonic(), practice)
        return practice

    def _read(self, practice_id: str) -> Practice | None:
        response = self._client.get_item(
            TableName=self._table,
            Key=to_attributes({"pk": Keys.practice(practice_id), "sk": "PRACTICE"}),
            ConsistentRead=True,
        )
        if "Item" not in response:
            return None
        item = from_attributes(response["Item"])
        return Practice.model_validate(model_fields(Practice, item))

    def all_ids(self) -> Iterator[str]:
        for item in self._collection(Keys.PRACTICES):
            yield str(item["practice_id"])

    def owner_of_number(self, number: str) -> str | None:
        """The practice that sends from `number`, if any (cached like `get`)."""
        if self._cache_seconds <= 0:
            return self._owner(number)
        hit = self._owners.get(number)
        if hit is not None and self._monotonic() - hit[0] < self._cache_seconds:
            return hit[1]
        owner = self._owner(number)
        self._owners[number] = (self._monotonic(), owner)
        return owner

    def _owner(self, number: str) -> str | None:
        for item in self._collection(Keys.sending_number(number)):
            return str(item["practice_id"])
        return None
