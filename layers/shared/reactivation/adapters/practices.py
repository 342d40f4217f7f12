"""Practices and the sending numbers that identify them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from reactivation.adapters.items import (
    Keys,
    TableRepository,
    from_attributes,
    is_condition_failure,
    model_fields,
    model_item,
    to_attributes,
)
from reactivation.domain.practice import Practice

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

#: The sort key of a sending number's one item (`NUMBER#<number>`): the practice that owns it.
OWNER = "OWNER"


class NumberTaken(Exception):
    """The sending number belongs to another practice: nothing was saved."""

    def __init__(self, number: str, owner: str) -> None:
        super().__init__(f"the sending number is already {owner}'s")
        self.number = number
        self.owner = owner


class PracticeChanged(Exception):
    """Another save changed the practice each time this one tried: nothing was saved."""


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
        """Writes the practice's settings and claims its sending number in one transaction.

        The number's item (`NUMBER#<number>` / `OWNER`) is written only when the number is free
        or already this practice's: `NumberTaken` says which practice holds it otherwise, and
        nothing is written. A changed number's old item is removed in the same transaction.
        The settings are written on condition that the number read before is still the
        stored one (another save in between: read and try again)."""
        for _ in range(3):
            if self._save_once(practice):
                self._cached.pop(practice.practice_id, None)
                self._owners.clear()
                return
        raise PracticeChanged(practice.practice_id)

    def _save_once(self, practice: Practice) -> bool:
        pid, number = practice.practice_id, practice.sending_number
        pk = Keys.practice(pid)
        before = self._read(pid)
        # still as read: absent (a practice created meanwhile has a number, never ""), or with
        # the number read
        read_number = before.sending_number if before is not None else ""
        writes: list[TransactWriteItemTypeDef] = [
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
                    "ConditionExpression": "attribute_not_exists(pk) OR sending_number = :read",
                    "ExpressionAttributeValues": to_attributes({":read": read_number}),
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_attributes(
                        {
                            "pk": Keys.sending_number(number),
                            "sk": OWNER,
                            "kind": "sending_number",
                            "practice_id": pid,
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(pk) OR practice_id = :me",
                    "ExpressionAttributeValues": to_attributes({":me": pid}),
                }
            },
            # The mapping of the earlier layout (one item per practice and number, found
            # through the index): gone once the practice is saved again.
            self._delete(pk, f"NUMBER#{number}"),
        ]
        if before is not None and before.sending_number != number:
            old = before.sending_number
            writes.append(self._delete(pk, f"NUMBER#{old}"))
            writes.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": to_attributes({"pk": Keys.sending_number(old), "sk": OWNER}),
                        "ConditionExpression": "attribute_not_exists(pk) OR practice_id = :me",
                        "ExpressionAttributeValues": to_attributes({":me": pid}),
                    }
                }
            )
        try:
            self._client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            codes = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                raise NumberTaken(number, self._owner(number) or "another practice") from error
            return False  # the practice (or its old number) changed meanwhile
        return True

    def _delete(self, pk: str, sk: str) -> TransactWriteItemTypeDef:
        return {"Delete": {"TableName": self._table, "Key": to_attributes({"pk": pk, "sk": sk})}}

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
        response = self._client.get_item(
            TableName=self._table,
            Key=to_attributes({"pk": Keys.sending_number(number), "sk": OWNER}),
            ConsistentRead=True,
        )
        if "Item" in response:
            return str(from_attributes(response["Item"])["practice_id"])
        # A practice saved before numbers had their own item: its mapping counts only when
        # exactly one practice claims the number (two claims: nobody's, until one is saved).
        claims = {
            str(item["practice_id"]) for item in self._collection(Keys.sending_number(number))
        }
        return claims.pop() if len(claims) == 1 else None
