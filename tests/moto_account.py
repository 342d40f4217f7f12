"""moto's account in this process, emptied between tests, and how to tell whether it still holds
exactly the resources the template provisioned.

The `aws` fixture (tests/conftest.py) provisions template.yaml once per process (each xdist
worker is one) and, before each test, calls `empty` and compares `shape` with the shape taken
right after provisioning. Equal: the test starts from the state a fresh provisioning leaves.
Different (a test made or removed a resource, a local stack or another mock reset moto): the
account is reset and provisioned again, as the fixture did for every test before.

moto's backends (moto==5.2.5, pinned in requirements-dev.txt) are read and emptied directly:
through the API this takes about a second a test. tests/test_moto_account.py proves, through
the public API only, that nothing a test writes to any resource kind survives `empty`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moto.backends import get_backend
from moto.core.base_backend import BackendDict
from moto.core.models import DEFAULT_ACCOUNT_ID

REGION = "us-east-1"

#: The services the template's resources live in: emptied, never reset, between tests.
SERVICES = ("dynamodb", "sqs", "sns", "s3", "ses", "sesv2", "events", "secretsmanager", "kms",
            "cognito-idp")  # fmt: skip

#: Continuation tokens of list calls: meaningless to the next test, cleared.
TOKENS = ("next_tokens", "_pagination_tokens")


def backend(service: str) -> Any:
    backends: Any = get_backend  # a service named at run time
    return backends(service)[DEFAULT_ACCOUNT_ID]["aws" if service == "s3" else REGION]


def empty(s3: Any) -> None:
    """Every message, item, object, text and email gone; the resources that held them kept.
    Services the template has nothing in are reset whole. `s3` is a boto3 S3 client."""
    for table in backend("dynamodb").tables.values():
        table.items.clear()
        if table.stream_shard is not None:
            table.stream_shard.items.clear()
    for queue in backend("sqs").queues.values():
        with queue._messages_lock:
            queue._messages = []  # visible and delayed
            queue._pending_messages = set()  # in flight
            queue.deleted_messages.clear()
    sns = backend("sns")
    sns.sms_messages.clear()
    sns.sms_message_objects.clear()
    for topic in sns.topics.values():
        topic.sent_notifications.clear()
    ses = backend("ses")
    ses.sent_messages.clear()
    ses.sent_message_count = 0
    ses.rejected_messages_count = 0
    cognito = backend("cognito-idp")  # the staff pool kept; its users and sign-ins gone
    cognito.sessions.clear()
    for pool in cognito.user_pools.values():
        for collection in (pool.users, pool.groups, pool.refresh_tokens, pool.access_tokens,
                           pool.id_tokens):  # fmt: skip
            collection.clear()
    for bucket in backend("s3").buckets.values():
        if bucket.keys or bucket.multiparts:
            _empty_bucket(s3, bucket.name)
    for service in SERVICES:
        for name in TOKENS:
            getattr(backend(service), name, {}).clear()
    instances: list[Any] = vars(BackendDict)["_instances"]  # every service moto has started
    for others in list(instances):
        if others.service_name not in SERVICES:
            for account in others.values():
                account.reset()


def _empty_bucket(s3: Any, bucket: str) -> None:
    """Every version, delete marker and unfinished upload of a bucket, through the API (moto
    keeps each object's bytes in a temporary file that deleting closes)."""
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        found = page.get("Versions", []) + page.get("DeleteMarkers", [])
        if found:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": [
                {"Key": v["Key"], "VersionId": v["VersionId"]} for v in found
            ]})  # fmt: skip
    for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])


def shape(keep: list[Any]) -> dict[str, Any]:
    """What resources the account holds, and which objects they are, once emptied: each
    backend's collections by key and object identity, and inside them what a test could
    change (a queue's or a table's settings, a bus's rules and their targets, a secret's
    versions). The objects are appended to `keep`: alive, their ids are not reused."""
    found: dict[str, Any] = {}
    for service in SERVICES:
        found[service] = _shape(vars(backend(service)), keep)
    for name, queue in backend("sqs").queues.items():
        found[f"sqs:{name}"] = _settings(queue, keep)
    for name, table in backend("dynamodb").tables.items():
        found[f"dynamodb:{name}"] = _settings(table, keep)
    for name, bus in backend("events").event_buses.items():
        found[f"events:{name}"] = _shape(bus.rules, keep)
        for rule_name, rule in bus.rules.items():
            found[f"events:{name}:{rule_name}"] = repr(rule.targets) + repr(rule.event_pattern)
    for name, secret in backend("secretsmanager").secrets.items():
        found[f"secretsmanager:{name}"] = (repr(secret.versions), secret.default_version_id)
    found["sns:opt-outs"] = tuple(backend("sns").opt_out_numbers)
    return found


def _shape(collections: Mapping[str, Any], keep: list[Any]) -> dict[str, Any]:
    return {name: _value(value, keep) for name, value in collections.items()}


def _value(value: Any, keep: list[Any]) -> Any:
    if isinstance(value, str | int | float | bool | None):
        return value
    keep.append(value)
    if isinstance(value, Mapping):
        return tuple((key, _leaf(item, keep)) for key, item in value.items())
    if isinstance(value, list | tuple):
        return tuple(_leaf(item, keep) for item in value)
    if isinstance(value, set | frozenset):
        return tuple(sorted(repr(item) for item in value))
    return id(value)


def _leaf(value: Any, keep: list[Any]) -> Any:
    if isinstance(value, str | int | float | bool | None):
        return value
    keep.append(value)
    return id(value)


def _settings(resource: Any, keep: list[Any]) -> tuple[Any, ...]:
    """A resource's identity and its plain settings (not its contents nor its clocks)."""
    keep.append(resource)
    plain = {
        name: value
        for name, value in vars(resource).items()
        if isinstance(value, str | int | float | bool | None)
        and "time" not in name
        and name not in {"last_purged_at", "created_at"}
    }
    return (id(resource), tuple(sorted(plain.items())))
