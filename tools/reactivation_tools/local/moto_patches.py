"""Fixes to moto for the local stack, the benches and the tests' in-process moto.

1. moto's `transact_write_items` takes a deep copy of the whole table (to roll back) once per
action of the transaction: a 100-action transaction on a table of a few thousand items copies
it a hundred times, and every send's claim copies the whole table once, so that a run slows
down as the table grows. Only the items a transaction names can change: those are copied
before it runs and put back if it fails. The same rollback, behaviour unchanged.

2. moto posts an SNS message to an HTTP(S) subscriber once and ignores the answer. SNS retries
a delivery that failed with a server error (a 5xx, or no answer) as the subscription's delivery
policy says (numRetries; 3 by default), never one that failed with a client error (any other
status but a 2xx: a 4xx, API Gateway's 429 among them); what it still could not deliver goes
to the subscription's dead-letter queue (RedrivePolicy), the envelope as it would have been
posted, or is lost when there is none. The local stack does the same, with the same message
id and signature, without the waits between attempts (so "an outage longer than the policy"
is an endpoint that fails every attempt) and without the policy's throttle.

3. moto answers every query by listing the whole table, sorted (a sort of DynamoType objects,
tens of milliseconds for 20,000 items): a query on the table's key goes through the queried
partition only, and a query on an index skips that sort (its results are sorted on their
own). The same results in the same order; a scan is unchanged.

4. moto's SQS reads the clock through naive datetimes (for freezegun) for every message of
the queue at every receive: with 10,000 jobs waiting, that is most of a receive's time. It
reads `time.time()` instead: the same epoch seconds.

5. moto stamps each SNS notification (the carrier's time of a patient's reply) with the wall
clock. A local stack whose business clock runs weeks ahead of it (a scenario over simulated
weeks) then stores every reply as older than the texts it answers: a patient who answered
looks silent. `sns_stamps_with(clock)` stamps them with the stack's clock instead (a
millisecond apart when several go at one moment, so their order stays the carrier's).

6. moto writes every answer through its generic serializer, which looks up each attribute of
each item under half a dozen aliases: a third of the local stack's moto time goes there. A
DynamoDB item's value that holds only strings, numbers, booleans, nulls, their sets, lists and
maps (no binary, which the serializer encodes) is written as moto stores it, which is what the
serializer makes of it. `items_answered_as_stored()`.

7. moto's server lists its own package's folders (two hundred of them, each looked at on disk)
for every request, to find which service a host name is. `server_lists_its_services_once()`
lists them once: the same list.

8. moto's server answers each request in a thread of its own, and DynamoDB requests run side
by side: a transaction whose condition failed puts back the items (or tables) it copied
before it ran, over what another request wrote meanwhile. Two send functions claiming the same
job at once could each undo the other's claim and send the text twice, where DynamoDB's
transactions are serializable. `table_requests_one_at_a_time()` answers DynamoDB requests one
after another, as if each were alone: DynamoDB's isolation (no request sees a transaction
half applied, none is lost under one that failed).

`storage_at_its_own_pace()` applies 1, 3, 4 and 6 (speed alone: the same answers), and 8 with
them (1 puts back the items it copied, which is right only when nothing writes in between), as
the local stack, the benches and the tests do; `as_moto_wrote_it()` puts moto's own code back
for a while, for the tests that compare the two, and keeps 8.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

_sns_retries = False
#: Held by the DynamoDB request being answered (fix 8).
_table_requests = threading.Lock()
_table_requests_isolated = False
_sns_stamp_patched = False
#: The clock SNS notifications are stamped with (None: the wall clock, moto's own).
_sns_clock: Callable[[], datetime] | None = None
_last_stamp: datetime | None = None

#: What the speed patches replaced: (owner, attribute, moto's own value).
_replaced: list[tuple[Any, str, Any]] = []


def _replaced_already(owner: Any, name: str) -> bool:
    """Whether a speed patch already replaced it (each is applied once per process)."""
    return any(held is owner and attribute == name for held, attribute, _ in _replaced)


def _replace(owner: Any, name: str, value: Any) -> None:
    _replaced.append((owner, name, getattr(owner, name)))
    setattr(owner, name, value)


def storage_at_its_own_pace() -> None:
    """Fixes 1, 3, 4 and 6: moto's DynamoDB and SQS at a speed that does not fall as they fill,
    with the same answers; and DynamoDB's requests isolated from each other (fix 8), without
    which fix 1's rollback could put an item back over another request's write."""
    table_requests_one_at_a_time()
    rollback_transactions_by_item()
    queries_read_their_partition()
    sqs_reads_the_clock_directly()
    items_answered_as_stored()


@contextmanager
def as_moto_wrote_it() -> Iterator[None]:
    """moto's own code for the speed patches, for the duration (to compare the two)."""
    patched = [(owner, name, getattr(owner, name)) for owner, name, _ in _replaced]
    for owner, name, original in reversed(_replaced):
        setattr(owner, name, original)
    try:
        yield
    finally:
        for owner, name, value in patched:
            setattr(owner, name, value)


#: SNS's default HTTP delivery policy: numRetries 3 (4 attempts).
SNS_HTTP_ATTEMPTS = 4


def http_attempts(attributes: dict[str, Any]) -> int:
    """The attempts a subscription's delivery policy makes: the first and its retries."""
    policy = attributes.get("DeliveryPolicy")
    if not policy:
        return SNS_HTTP_ATTEMPTS
    parsed = json.loads(policy) if isinstance(policy, str) else policy
    retries = (parsed.get("healthyRetryPolicy") or {}).get("numRetries")
    return SNS_HTTP_ATTEMPTS if retries is None else 1 + int(retries)


def dead_letter_queue(attributes: dict[str, Any]) -> str | None:
    """The ARN of the subscription's dead-letter queue, if it has one."""
    policy = attributes.get("RedrivePolicy")
    if not policy:
        return None
    parsed = json.loads(policy) if isinstance(policy, str) else policy
    target = parsed.get("deadLetterTargetArn")
    return str(target) if target else None


#: A key the transaction itself refuses (moto raises before applying anything).
_MALFORMED: Any = object()


def _attributes(backend: Any, table_name: str, key: Any) -> Any:
    """A copy of the item's attributes; None if there is none; _MALFORMED for a bad key."""
    try:
        current = backend.get_item(table_name, key)
    except Exception:  # a malformed key: the transaction refuses it before writing anything
        return _MALFORMED
    return copy.deepcopy(current.to_json()["Attributes"]) if current else None


def rollback_transactions_by_item() -> None:
    from moto.dynamodb import models

    if _replaced_already(models.DynamoDBBackend, "transact_write_items"):
        return
    original = models.DynamoDBBackend.transact_write_items

    class _NoCopy:
        """`copy` for the duration of one transaction: the tables are not copied (the items
        the transaction touches are, below)."""

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value

        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        before = []  # (table, key, the item's attributes before, None if there was none)
        for entry in transact_items:
            _, operation = next(iter(entry.items()))
            table_name = operation.get("TableName")
            if table_name not in self.tables:
                continue
            table = self.tables[table_name]
            key = operation.get("Key")
            if key is None and "Item" in operation:
                names = [table.hash_key_attr, table.range_key_attr]
                key = {name: operation["Item"][name] for name in names if name}
            if not key:
                continue
            before.append((table_name, key, _attributes(self, table_name, key)))
        models.copy = _NoCopy()  # type: ignore[attr-defined,assignment]
        try:
            original(self, transact_items)
        except Exception:
            for table_name, key, attributes in reversed(before):  # all or nothing
                if attributes is _MALFORMED:
                    continue
                if attributes is None:
                    self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, attributes)
            raise
        finally:
            models.copy = copy  # type: ignore[attr-defined]

    _replace(models.DynamoDBBackend, "transact_write_items", transact_write_items)


def table_requests_one_at_a_time() -> None:
    """Fix 8: each DynamoDB request is answered while no other is (moto's server threads)."""
    global _table_requests_isolated
    if _table_requests_isolated:
        return
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with _table_requests:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    _table_requests_isolated = True


def sns_retries_failed_http_deliveries() -> None:
    global _sns_retries
    if _sns_retries:
        return
    import requests
    from moto.sns import models
    from moto.sqs.models import sqs_backends

    original = models.Subscription.publish

    def publish(self: Any, message: str, message_id: str, subject: str | None = None,
                *args: Any, **kwargs: Any) -> None:  # fmt: skip
        if self.protocol not in ("http", "https"):
            original(self, message, message_id, subject, *args, **kwargs)
            return
        post_data = self.get_post_data(message, message_id, subject)
        headers = {"Content-Type": "text/plain; charset=UTF-8"}
        for _ in range(http_attempts(self.attributes)):
            try:
                response = requests.post(
                    self.endpoint, json=post_data, timeout=120, headers=headers
                )
            except requests.RequestException:
                continue  # no answer: a server error
            if 200 <= response.status_code < 300:
                return
            if response.status_code < 500:
                break  # a client error: never retried
        target = dead_letter_queue(self.attributes)
        if target is None:
            return  # lost, as SNS loses it
        _, _, _, region, account, name = target.split(":", 5)
        sqs_backends[account][region].send_message(name, json.dumps(post_data))

    models.Subscription.publish = publish  # type: ignore[method-assign]
    _sns_retries = True


def queries_read_their_partition() -> None:
    from moto.dynamodb.models.table import Table

    if _replaced_already(Table, "query"):
        return

    querying = threading.local()
    original_query, original_all_items = Table.query, Table.all_items

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        querying.table, querying.partition, querying.index_key = self, hash_key, None
        if index_name:  # the items whose index hash attribute holds the value queried
            schemas = [i.schema for i in self.all_indexes() if i.name == index_name]
            hashes = [k["AttributeName"] for s in schemas for k in s if k["KeyType"] == "HASH"]
            querying.partition = None
            if len(hashes) == 1 and hash_key is not None:
                querying.index_key = (hashes[0], hash_key.type, hash_key.value)
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            querying.table = None

    def all_items(self: Any) -> Any:
        if id(getattr(querying, "table", None)) != id(self):  # not within a query of this table
            return original_all_items(self)
        if querying.partition is None:  # an index: its partition's items, unsorted (the
            buckets = list(self.items.values())  # query sorts what it finds)
            if querying.index_key is not None:
                name, kind, value = querying.index_key
                items = buckets if not self.range_key_attr else [
                    item for bucket in buckets for item in bucket.values()
                ]  # fmt: skip
                return [
                    item for item in items
                    if (held := item.attrs.get(name)) is not None
                    and held.type == kind and held.value == value
                ]  # fmt: skip
        else:
            found = self.items.get(querying.partition)
            buckets = [] if found is None else [found]
        if not self.range_key_attr:
            return buckets
        return [item for bucket in buckets for item in bucket.values()]

    _replace(Table, "query", query)
    _replace(Table, "all_items", all_items)


def sqs_reads_the_clock_directly() -> None:
    import time

    from moto.core.utils import unix_time as original
    from moto.sqs import models

    if _replaced_already(models, "unix_time"):
        return

    def unix_time(dt: Any = None) -> float:
        return time.time() if dt is None else float(original(dt))

    def unix_time_millis(dt: Any = None) -> float:
        return unix_time(dt) * 1000.0

    _replace(models, "unix_time", unix_time)
    _replace(models, "unix_time_millis", unix_time_millis)


#: The types of an attribute value the serializer writes as they are (not B, BS: base64).
_AS_STORED = frozenset({"S", "N", "BOOL", "NULL", "SS", "NS", "M", "L"})


def _as_stored(value: Any) -> bool:
    """Whether moto's serializer writes this attribute value exactly as it is."""
    if type(value) is not dict or len(value) != 1:
        return False
    ((kind, held),) = value.items()
    if kind not in _AS_STORED:
        return False
    if kind in ("S", "N"):
        return type(held) is str
    if kind in ("BOOL", "NULL"):
        return type(held) is bool
    if kind in ("SS", "NS"):
        return type(held) is list and all(type(item) is str for item in held)
    if kind == "M":
        return type(held) is dict and all(
            type(name) is str and _as_stored(item) for name, item in held.items()
        )
    return type(held) is list and all(_as_stored(item) for item in held)


def items_answered_as_stored() -> None:
    from moto.core.serialize import BaseJSONSerializer

    if _replaced_already(BaseJSONSerializer, "_serialize_type_structure"):
        return
    original = BaseJSONSerializer._serialize_type_structure

    def serialize_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if key and shape.name == "AttributeValue" and _as_stored(value):
            self._default_serialize(serialized, value, shape, key)
            return
        original(self, serialized, value, shape, key)

    _replace(BaseJSONSerializer, "_serialize_type_structure", serialize_structure)


def server_lists_its_services_once() -> None:
    from moto import backends

    if _replaced_already(backends, "list_of_moto_modules"):
        return
    services = tuple(backends.list_of_moto_modules())
    _replace(backends, "list_of_moto_modules", lambda: services)


def sns_stamps_with(clock: Callable[[], datetime] | None) -> None:
    """SNS notifications are stamped by `clock` from now on (None: by the wall clock again)."""
    global _sns_stamp_patched, _sns_clock, _last_stamp
    _sns_clock, _last_stamp = clock, None
    if _sns_stamp_patched:
        return
    from moto.sns import models

    wall: Callable[[datetime | None], str] = vars(models)["iso_8601_datetime_with_milliseconds"]

    def stamp(value: datetime | None = None) -> str:
        global _last_stamp
        if value is not None or _sns_clock is None:
            return wall(value)
        at = _sns_clock().astimezone(UTC).replace(tzinfo=None)
        if _last_stamp is not None and at <= _last_stamp:
            at = _last_stamp + timedelta(milliseconds=1)
        _last_stamp = at
        return wall(at)

    vars(models)["iso_8601_datetime_with_milliseconds"] = stamp
    _sns_stamp_patched = True
