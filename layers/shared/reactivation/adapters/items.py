"""DynamoDB items: serialisation and the table's keys (documented in template.yaml)."""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from pydantic import BaseModel

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, TransactWriteItemTypeDef

Item = dict[str, Any]
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def iso(moment: datetime) -> str:
    """A UTC instant as a fixed-width string that sorts as time does."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def to_attributes(item: Mapping[str, Any]) -> dict[str, AttributeValueTypeDef]:
    return {k: _serializer.serialize(_plain(v)) for k, v in item.items() if v is not None}


def from_attributes(attributes: Mapping[str, Any]) -> Item:
    return {k: _deserializer.deserialize(v) for k, v in attributes.items()}


def model_item(model: BaseModel) -> Item:
    """A model's fields as item attributes (None fields are left out)."""
    return {k: v for k, v in model.model_dump(mode="json").items() if v is not None}


def model_fields(model: type[BaseModel], item: Mapping[str, Any]) -> Item:
    """The attributes of `item` that are fields of `model` (keys and bookkeeping dropped)."""
    return {k: item[k] for k in model.model_fields if k in item}


def is_condition_failure(error: ClientError) -> bool:
    """A condition (or a transaction's condition) did not hold: someone else got there first."""
    code = error.response.get("Error", {}).get("Code")
    return code in {"ConditionalCheckFailedException", "TransactionCanceledException"}


def conditionally(write: Callable[[], object]) -> bool:
    """Runs a conditional write; False when its condition did not hold (another writer got
    there first, or the item is not in the expected state)."""
    try:
        write()
    except ClientError as error:
        if is_condition_failure(error):
            return False
        raise
    return True


def put_new(client: DynamoDBClient, table: str, item: Mapping[str, Any]) -> bool:
    """Writes `item` unless an item with its key exists; False when one did."""
    return conditionally(
        lambda: client.put_item(
            TableName=table,
            Item=to_attributes(item),
            ConditionExpression="attribute_not_exists(pk)",
        )
    )


def query(client: DynamoDBClient, **kwargs: Any) -> Iterator[Item]:
    """Every item of a query, page after page."""
    paginator = client.get_paginator("query")
    for page in paginator.paginate(**kwargs):
        for attributes in page.get("Items", []):
            yield from_attributes(attributes)


def with_prefix(
    client: DynamoDBClient,
    table: str,
    pk: str,
    prefix: str,
    *,
    consistent: bool = True,
    **parameters: Any,
) -> Iterator[Item]:
    """The items of one partition whose sort key starts with `prefix`, in order."""
    return query(
        client,
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues=to_attributes({":pk": pk, ":prefix": prefix}),
        ConsistentRead=consistent,
        **parameters,
    )


def due_items(
    client: DynamoDBClient, table: str, practice_id: str, now: datetime, kind: str
) -> Iterator[Item]:
    """The practice's items of one kind whose moment has come, in the sparse DueSteps index
    (sequences' next steps, parked send jobs, question follow-ups share it)."""
    return query(
        client,
        TableName=table,
        IndexName="DueSteps",
        KeyConditionExpression="gsi3pk = :pk AND gsi3sk <= :upto",
        FilterExpression="kind = :kind",
        ExpressionAttributeValues=to_attributes(
            {
                ":pk": Keys.collection(practice_id, "DUE"),
                ":upto": f"{iso(now)}#\uffff",
                ":kind": kind,
            }
        ),
    )


def _collection_query(
    table: str, collection: str, order: str, values: Mapping[str, Any] | None
) -> dict[str, Any]:
    condition = "gsi1pk = :pk" + (f" AND {order}" if order else "")
    return {
        "TableName": table,
        "IndexName": "ByCollection",
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": to_attributes({":pk": collection, **(values or {})}),
    }


def in_collection(
    client: DynamoDBClient,
    table: str,
    collection: str,
    *,
    order: str = "",
    values: Mapping[str, Any] | None = None,
    **parameters: Any,
) -> Iterator[Item]:
    """The items of one of the table's collections (the ByCollection index: gsi1pk names the
    collection, gsi1sk orders it), page after page. `order`: a condition on gsi1sk, such as
    "gsi1sk < :before"; `values`: the expression's values besides :pk; `parameters`: the
    query's others (FilterExpression, ExpressionAttributeNames, ScanIndexForward, Limit)."""
    return query(client, **_collection_query(table, collection, order, values), **parameters)


class TableRepository:
    """A repository of the practice table's items: its client and the table's name."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def _collection(
        self,
        collection: str,
        *,
        order: str = "",
        values: Mapping[str, Any] | None = None,
        **parameters: Any,
    ) -> Iterator[Item]:
        """The items of one of the table's collections (see `in_collection`)."""
        return in_collection(
            self._client, self._table, collection, order=order, values=values, **parameters
        )


class Keys:
    """Every key of the table. Each starts with the practice it belongs to."""

    PRACTICES = "PRACTICES"

    @staticmethod
    def practice(practice_id: str) -> str:
        return f"PRACTICE#{practice_id}"

    @staticmethod
    def patient(practice_id: str, patient_id: str) -> str:
        return f"PRACTICE#{practice_id}#PATIENT#{patient_id}"

    @staticmethod
    def number(practice_id: str, number: str) -> str:
        return f"PRACTICE#{practice_id}#NUMBER#{number}"

    @staticmethod
    def collection(practice_id: str, name: str) -> str:
        return f"PRACTICE#{practice_id}#{name}"

    @staticmethod
    def sending_number(number: str) -> str:
        return f"NUMBER#{number}"

    @staticmethod
    def records(practice_id: str, shard: int) -> str:
        return f"PRACTICE#{practice_id}#RECORDS#{shard:02d}"


#: A practice's patients are spread over this many shards of the PatientRecords index: a
#: segmentation runs one unit of work per shard, in parallel, each reading its patients' items
#: (patient, appointments, plans, state) in a few large pages instead of a query per patient.
SHARDS = 8


def record_shard(patient_id: str) -> int:
    return zlib.crc32(patient_id.encode()) % SHARDS


def record_index(practice_id: str, patient_id: str, sk: str) -> dict[str, str]:
    """The PatientRecords index attributes of one of a patient's items (grouped by patient)."""
    return {
        "gsi4pk": Keys.records(practice_id, record_shard(patient_id)),
        "gsi4sk": f"{patient_id}#{sk}",
    }


def count_between(
    client: DynamoDBClient, table: str, collection: str, start: datetime, end: datetime
) -> int:
    """How many items of a time-ordered collection fall in [start, end)."""
    paginator = client.get_paginator("query")
    total = 0
    between = _collection_query(table, collection, *_between(start, end))
    for page in paginator.paginate(**between, Select="COUNT"):
        total += page["Count"]
    return total


def _between(start: datetime, end: datetime) -> tuple[str, dict[str, str]]:
    return "gsi1sk BETWEEN :start AND :end", {":start": iso(start), ":end": iso(end)}


def items_between(
    client: DynamoDBClient, table: str, collection: str, start: datetime, end: datetime
) -> Iterator[Item]:
    """The items of a time-ordered collection in [start, end), oldest first."""
    order, values = _between(start, end)
    return in_collection(client, table, collection, order=order, values=values)


#: DynamoDB writes at most 25 items per BatchWriteItem.
BATCH_WRITE = 25


class UnwrittenItems(RuntimeError):
    """DynamoDB kept refusing some items of a batch (throttled): the caller must retry."""


def batch_put(
    client: DynamoDBClient,
    table: str,
    items: Sequence[Mapping[str, Any]],
    *,
    attempts: int = 6,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Puts every item, 25 per request; the items DynamoDB leaves unprocessed are sent again
    with exponential backoff, and if some still are after `attempts`, UnwrittenItems."""
    for start in range(0, len(items), BATCH_WRITE):
        requests: list[Any] = [
            {"PutRequest": {"Item": to_attributes(item)}}
            for item in items[start : start + BATCH_WRITE]
        ]
        for attempt in range(attempts):
            response = client.batch_write_item(RequestItems={table: requests})
            requests = list(response.get("UnprocessedItems", {}).get(table, []))
            if not requests:
                break
            sleep(min(2.0, 0.05 * 2**attempt))
        if requests:
            raise UnwrittenItems(f"{len(requests)} items were not written")


class WritesRefused(RuntimeError):
    """A transaction's condition did not hold: `position` is the first write that failed."""

    def __init__(self, position: int) -> None:
        super().__init__(f"write {position} of the transaction did not hold")
        self.position = position


class TransactionWriter:
    """Writes a set of changes all or nothing: one TransactWriteItems request (they take 100
    writes at most; a larger set goes in order, 100 at a time, so that its last write, the
    one that marks the whole as done, goes last)."""

    def __init__(self, client: DynamoDBClient) -> None:
        self._client = client

    def write(self, writes: Sequence[TransactWriteItemTypeDef]) -> None:
        for start in range(0, len(writes), 100):
            chunk = list(writes[start : start + 100])
            try:
                self._client.transact_write_items(TransactItems=chunk)
            except ClientError as error:
                if not is_condition_failure(error):
                    raise
                reasons = error.response.get("CancellationReasons", [])
                codes = [r.get("Code") for r in reasons]
                failed = [n for n, code in enumerate(codes) if code == "ConditionalCheckFailed"]
                if not failed:
                    raise  # a conflict with another transaction: the caller's retry
                raise WritesRefused(start + failed[0]) from error
