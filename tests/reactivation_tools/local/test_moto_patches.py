"""The fixes to moto keep its behaviour: a failed transaction changes nothing, a query gives
what moto's own code gives (every test runs with them: tests/conftest.py)."""

from __future__ import annotations

import sys
import threading
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reactivation_tools.local.moto_patches import as_moto_wrote_it, sns_stamps_with
from tests.conftest import Aws

PARTITION = {":p": {"S": "P"}}


def _item(sk: str, value: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": "P"}, "sk": {"S": sk}, "v": {"S": value}}


def _failed_transaction(aws: Aws) -> list[tuple[str, str]]:
    """A transaction that puts, updates and deletes, then fails its last check: the items."""
    dynamodb, table = aws.client("dynamodb"), aws.table
    dynamodb.put_item(TableName=table, Item=_item("kept", "before"))
    dynamodb.put_item(TableName=table, Item=_item("gone", "before"))
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": _item("new", "x")}},
            {"Update": {"TableName": table, "Key": {"pk": {"S": "P"}, "sk": {"S": "kept"}},
                        "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": {"S": "after"}}}},
            {"Delete": {"TableName": table, "Key": {"pk": {"S": "P"}, "sk": {"S": "gone"}}}},
            {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "P"}, "sk": {"S": "no"}},
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])  # fmt: skip
    items = dynamodb.query(TableName=table, KeyConditionExpression="pk = :p",
                           ExpressionAttributeValues=PARTITION)["Items"]  # fmt: skip
    return sorted((i["sk"]["S"], i["v"]["S"]) for i in items)


def test_a_failed_transaction_leaves_every_item_as_it_was(aws: Aws) -> None:
    assert _failed_transaction(aws) == [("gone", "before"), ("kept", "before")]
    aws.empty()
    with as_moto_wrote_it():
        assert _failed_transaction(aws) == [("gone", "before"), ("kept", "before")]


def test_a_transaction_that_succeeds_writes_what_motos_own_writes(aws: Aws) -> None:
    def transaction() -> list[dict[str, Any]]:
        dynamodb, table = aws.client("dynamodb"), aws.table
        dynamodb.put_item(TableName=table, Item=_item("kept", "before"))
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": _item("new", "x"),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Update": {"TableName": table, "Key": {"pk": {"S": "P"}, "sk": {"S": "kept"}},
                        "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": {"S": "after"}}}},
        ])  # fmt: skip
        found = dynamodb.query(TableName=table, KeyConditionExpression="pk = :p",
                               ExpressionAttributeValues=PARTITION)["Items"]  # fmt: skip
        return list(found)

    patched = transaction()
    aws.empty()
    with as_moto_wrote_it():
        assert transaction() == patched
    assert [(i["sk"]["S"], i["v"]["S"]) for i in patched] == [("kept", "after"), ("new", "x")]


def test_two_instances_claiming_the_same_jobs_at_once_are_answered_one_after_the_other(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the send function's claim: the job's item and the number's slot, each only if absent.
    # Two instances race for every job; a transaction that failed puts back what it saw
    # before it ran, so that, answered side by side, the loser undid the winner's claim
    # (and its retry sent the text again). DynamoDB's transactions are serializable.
    from moto.dynamodb.models import DynamoDBBackend

    inside: Counter[int] = Counter()  # the threads answering a request, and their depth
    most = 0
    counting = threading.Lock()

    def counted(method: Any) -> Any:
        def answer(*args: Any, **kwargs: Any) -> Any:
            nonlocal most
            with counting:
                inside[threading.get_ident()] += 1
                most = max(most, sum(1 for depth in inside.values() if depth))
            try:
                return method(*args, **kwargs)
            finally:
                with counting:
                    inside[threading.get_ident()] -= 1

        return answer

    for name in ("transact_write_items", "get_item", "put_item", "delete_item"):
        monkeypatch.setattr(DynamoDBBackend, name, counted(getattr(DynamoDBBackend, name)))
    dynamodb, table, jobs = aws.client("dynamodb"), aws.table, 120
    for n in range(300):  # a table of some size: each copy of an item takes its time
        dynamodb.put_item(TableName=table, Item=_item(f"other{n}", "x" * 200))
    # threads handed over every few microseconds, not every 5 ms: inside a request, as
    # moto's server threads are under load
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    start = threading.Barrier(2)
    won: dict[int, list[str]] = {job: [] for job in range(jobs)}

    def instance(name: str) -> None:
        for job in range(jobs):
            start.wait()
            try:
                dynamodb.transact_write_items(TransactItems=[
                    {"Put": {"TableName": table, "Item": _item(f"job{job}", name),
                             "ConditionExpression": "attribute_not_exists(pk)"}},
                    {"Put": {"TableName": table, "Item": _item(f"slot{job}", name),
                             "ConditionExpression": "attribute_not_exists(pk)"}},
                ])  # fmt: skip
            except ClientError as error:
                assert error.response["Error"]["Code"] == "TransactionCanceledException"
            else:
                won[job].append(name)

    threads = [threading.Thread(target=instance, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch)
    items = dynamodb.query(TableName=table, KeyConditionExpression="pk = :p",
                           ExpressionAttributeValues=PARTITION)["Items"]  # fmt: skip
    held = {i["sk"]["S"]: i["v"]["S"] for i in items}
    assert all(len(winners) == 1 for winners in won.values())
    assert all(held[f"job{j}"] == held[f"slot{j}"] == won[j][0] for j in range(jobs))
    assert most == 1  # never two requests at once


def test_a_query_gives_the_same_items_in_the_same_order(aws: Aws) -> None:
    dynamodb, table = aws.client("dynamodb"), aws.table
    for pk in ("A", "B"):
        for sk in ("3", "1", "2"):
            dynamodb.put_item(TableName=table, Item={
                "pk": {"S": pk}, "sk": {"S": sk}, "gsi1pk": {"S": "ALL"},
                "gsi1sk": {"S": f"{sk}{pk}"}})  # fmt: skip

    def queries() -> list[list[str]]:
        on_key = dynamodb.query(TableName=table, KeyConditionExpression="pk = :p",
                                ExpressionAttributeValues={":p": {"S": "B"}},
                                ScanIndexForward=False)["Items"]  # fmt: skip
        on_index = dynamodb.query(TableName=table, IndexName="ByCollection",
                                  KeyConditionExpression="gsi1pk = :p",
                                  ExpressionAttributeValues={":p": {"S": "ALL"}},
                                  Limit=4)["Items"]  # fmt: skip
        scanned = dynamodb.scan(TableName=table)["Items"]
        return [[i["pk"]["S"] + i["sk"]["S"] for i in items]
                for items in (on_key, on_index, scanned)]  # fmt: skip

    with as_moto_wrote_it():
        mine = queries()
    assert queries() == mine
    assert mine[0] == ["B3", "B2", "B1"] and mine[1] == ["A1", "B1", "A2", "B2"]


def test_sns_stamps_its_notifications_by_the_stacks_clock_when_told() -> None:
    # a local stack whose business clock is weeks ahead: a reply stamped by the wall clock
    # would be older than the texts it answers (and its patient would look silent)
    from moto.sns import models

    def stamp() -> str:
        return str(vars(models)["iso_8601_datetime_with_milliseconds"]())

    business = datetime(2027, 3, 2, 15, 0, tzinfo=UTC)
    sns_stamps_with(lambda: business)
    try:
        stamps = [stamp() for _ in range(2)]
        # two at one moment keep their order, a millisecond apart
        assert stamps == ["2027-03-02T15:00:00.000Z", "2027-03-02T15:00:00.001Z"]
    finally:
        sns_stamps_with(None)
    assert stamp() < "2027"  # the wall clock's again


def test_the_server_lists_the_services_moto_lists() -> None:
    from moto import backends

    from reactivation_tools.local.moto_patches import server_lists_its_services_once

    server_lists_its_services_once()
    listed = backends.list_of_moto_modules()
    with as_moto_wrote_it():
        assert list(backends.list_of_moto_modules()) == list(listed)
    assert "dynamodb" in listed and "sqs" in listed


_NAMES = st.text(alphabet="abcXYZ_é", min_size=1, max_size=4)
_SCALARS = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(max_size=6)),
    st.builds(lambda n: {"N": str(n)}, st.integers(-(10**6), 10**6)),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda b: {"B": b}, st.binary(max_size=4)),  # encoded: moto's own code writes it
    st.builds(
        lambda s: {"SS": sorted(s)},
        st.sets(st.text(min_size=1, max_size=3), min_size=1, max_size=3),
    ),
    st.builds(
        lambda s: {"NS": sorted(str(n) for n in s)},
        st.sets(st.integers(0, 99), min_size=1, max_size=3),
    ),
)
ATTRIBUTE_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.builds(lambda m: {"M": m}, st.dictionaries(_NAMES, inner, max_size=3)),
        st.builds(lambda items: {"L": items}, st.lists(inner, max_size=3)),
    ),
    max_leaves=8,
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attributes=st.dictionaries(_NAMES, ATTRIBUTE_VALUES, min_size=1, max_size=4))
def test_an_item_is_answered_as_motos_own_serializer_answers(
    aws: Aws, attributes: dict[str, Any]
) -> None:
    dynamodb, table = aws.client("dynamodb"), aws.table
    item = {"pk": {"S": "P"}, "sk": {"S": "item"}, **attributes}
    dynamodb.put_item(TableName=table, Item=item)

    def answers() -> list[Any]:
        key = {"pk": {"S": "P"}, "sk": {"S": "item"}}
        return [
            dynamodb.update_item(
                TableName=table,
                Key=key,
                UpdateExpression="SET touched = :t",
                ExpressionAttributeValues={":t": {"N": "1"}},
                ReturnValues="ALL_NEW",
            )["Attributes"],
            dynamodb.get_item(TableName=table, Key=key)["Item"],
            dynamodb.query(
                TableName=table,
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues=PARTITION,
            )["Items"],
        ]

    mine = answers()
    with as_moto_wrote_it():
        assert answers() == mine
    assert mine[1] == {**item, "touched": {"N": "1"}} and mine[2] == [mine[1]]
