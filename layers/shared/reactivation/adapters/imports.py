"""Imports: their records in the table (checkpoints, a lease), their files in the bucket."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from reactivation.adapters.items import (
    Keys,
    TableRepository,
    conditionally,
    from_attributes,
    iso,
    model_fields,
    put_new,
    to_attributes,
)
from reactivation.domain.export_text import TextNotes, export_lines, split_lines
from reactivation.domain.importing import MAX_LINE_CHARS, ExportFile
from reactivation.domain.imports import ExportRef, ImportRecord

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

#: How much of a file is read from S3 at once.
CHUNK_BYTES = 1024 * 1024


class LeaseLost(RuntimeError):
    """Another worker took over this import (this one was too slow, or is a duplicate)."""


@dataclass(frozen=True)
class Lease:
    """A worker's hold on an import until a moment: long enough for one Lambda invocation."""

    owner: str
    until: datetime


class ImportRepository(TableRepository):
    """One item per import; only the worker that holds its lease may move it on."""

    @staticmethod
    def _key(ref: ExportRef) -> dict[str, str]:
        return {"pk": Keys.practice(ref.practice_id), "sk": f"IMPORT#{ref.export_id}"}

    def _item(self, record: ImportRecord) -> dict[str, Any]:
        return {
            **self._key(record.ref),
            "gsi1pk": Keys.collection(record.practice_id, "IMPORTS"),
            "gsi1sk": iso(record.started_at),
            "kind": "import",
            **record.model_dump(mode="json", exclude_none=True),
        }

    def create(self, record: ImportRecord) -> bool:
        """False when this export already has an import (S3 reports a file more than once)."""
        return put_new(self._client, self._table, self._item(record))

    def get(self, ref: ExportRef) -> ImportRecord | None:
        response = self._client.get_item(
            TableName=self._table, Key=to_attributes(self._key(ref)), ConsistentRead=True
        )
        if "Item" not in response:
            return None
        return ImportRecord.model_validate(
            model_fields(ImportRecord, from_attributes(response["Item"]))
        )

    def acquire(self, ref: ExportRef, lease: Lease, now: datetime) -> bool:
        """Takes the import's lease, unless another worker holds one that has not expired."""
        return conditionally(
            lambda: self._client.update_item(
                TableName=self._table,
                Key=to_attributes(self._key(ref)),
                UpdateExpression="SET lease_owner = :me, lease_until = :until",
                ConditionExpression="#status = :running AND (attribute_not_exists(lease_until) "
                "OR lease_until < :now OR lease_owner = :me)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_attributes(
                    {
                        ":me": lease.owner,
                        ":until": iso(lease.until),
                        ":now": iso(now),
                        ":running": "running",
                    }
                ),
            )
        )

    def checkpoint(self, record: ImportRecord, lease: Lease, *, release: bool = False) -> None:
        """Saves the progress if `lease` still holds the import (else LeaseLost); `release`
        lets the next worker take over at once."""
        item = self._item(record)
        if not release:
            item["lease_owner"] = lease.owner
            item["lease_until"] = iso(lease.until)
        saved = conditionally(
            lambda: self._client.put_item(
                TableName=self._table,
                Item=to_attributes(item),
                ConditionExpression="lease_owner = :me",
                ExpressionAttributeValues=to_attributes({":me": lease.owner}),
            )
        )
        if not saved:
            raise LeaseLost(record.export_id)

    def reopen(self, record: ImportRecord) -> bool:
        """Puts an import that waits for review back to work (an operator confirmed it);
        False when it no longer waits (confirmed twice at once: one goes on)."""
        return conditionally(
            lambda: self._client.put_item(
                TableName=self._table,
                Item=to_attributes(self._item(record)),
                ConditionExpression="#status = :review",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_attributes({":review": "needs_review"}),
            )
        )

    def release(self, ref: ExportRef, lease: Lease) -> None:
        """Gives the lease up (after a failure: the retry need not wait for it to expire);
        a lease already taken over stays with its new holder."""
        conditionally(
            lambda: self._client.update_item(
                TableName=self._table,
                Key=to_attributes(self._key(ref)),
                UpdateExpression="REMOVE lease_owner, lease_until",
                ConditionExpression="lease_owner = :me",
                ExpressionAttributeValues=to_attributes({":me": lease.owner}),
            )
        )

    def recent(self, practice_id: str, limit: int = 10) -> list[ImportRecord]:
        items = self._collection(
            Keys.collection(practice_id, "IMPORTS"), ScanIndexForward=False, Limit=limit
        )
        records = []
        for item in items:
            records.append(ImportRecord.model_validate(model_fields(ImportRecord, item)))
            if len(records) == limit:
                break
        return records


def decoded_lines(chunks: Iterable[bytes], max_line: int | None = MAX_LINE_CHARS) -> Iterator[str]:
    """UTF-8 text (a BOM dropped) as lines ending in "\n", from chunks of any size (our own
    files; an export's are read by `export_lines`, which also knows the other encodings).
    Bytes that are not UTF-8 become U+FFFD."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")

    def texts() -> Iterator[str]:
        for chunk in chunks:
            yield decoder.decode(chunk)
        yield decoder.decode(b"", final=True)

    return split_lines(texts(), max_line)


class ExportStore:
    """The imports bucket: the practices' exports in, the imports' results out."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def versions(self, ref: ExportRef) -> dict[ExportFile, tuple[str, int]]:
        """The export's files that are there: their version and size."""
        found = {}
        for file in ExportFile:
            try:
                head = self._client.head_object(Bucket=self._bucket, Key=ref.key(file))
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                    continue
                raise
            found[file] = (str(head.get("VersionId") or "null"), int(head["ContentLength"]))
        return found

    def lines(
        self, ref: ExportRef, file: ExportFile, version: str, notes: TextNotes | None = None
    ) -> Iterator[str]:
        """The file's lines, streamed: never the whole file in memory (FileRefused when it is
        not a text file; `notes` gets its encoding and the warnings about it)."""
        request: dict[str, Any] = {"Bucket": self._bucket, "Key": ref.key(file)}
        if version != "null":
            request["VersionId"] = version
        body = self._client.get_object(**request)["Body"]
        try:
            chunks = body.iter_chunks(CHUNK_BYTES)
            yield from export_lines(chunks, notes or TextNotes(file.value), MAX_LINE_CHARS)
        finally:
            body.close()

    def _part_prefix(self, ref: ExportRef, file: ExportFile) -> str:
        return ref.result_key(f"parts/{file.value}/")

    def put_issues(
        self, ref: ExportRef, file: ExportFile, first_line: int, issues: Sequence[Mapping[str, Any]]
    ) -> None:
        """One chunk's rejected rows and warnings; a chunk redone after a crash overwrites its
        own part (named by its first line), so nothing is counted twice."""
        body = "".join(json.dumps(issue, ensure_ascii=False) + "\n" for issue in issues)
        self._client.put_object(
            Bucket=self._bucket,
            Key=f"{self._part_prefix(ref, file)}{first_line:010d}.jsonl",
            Body=body.encode(),
            ContentType="application/x-ndjson",
        )

    def _part_keys(self, ref: ExportRef, file: ExportFile) -> list[str]:
        keys = []
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self._bucket, Prefix=self._part_prefix(ref, file)):
            keys += [item["Key"] for item in page.get("Contents", [])]
        return sorted(keys)

    def issues(self, ref: ExportRef, file: ExportFile) -> Iterator[dict[str, Any]]:
        """The file's rejected rows and warnings, in line order."""
        for key in self._part_keys(ref, file):
            body = self._client.get_object(Bucket=self._bucket, Key=key)["Body"]
            for line in decoded_lines(body.iter_chunks(CHUNK_BYTES), max_line=None):
                if line.strip():
                    yield json.loads(line)

    def put_result(self, ref: ExportRef, name: str, body: IO[bytes], content_type: str) -> str:
        key = ref.result_key(name)
        body.seek(0)
        self._client.upload_fileobj(
            body, self._bucket, key, ExtraArgs={"ContentType": content_type}
        )
        return key

    def delete_parts(self, ref: ExportRef) -> None:
        for file in ExportFile:
            keys = self._part_keys(ref, file)
            for start in range(0, len(keys), 1000):
                self._client.delete_objects(
                    Bucket=self._bucket,
                    Delete={"Objects": [{"Key": k} for k in keys[start : start + 1000]]},
                )

    # -- for operators (the CLI) ------------------------------------------------------
    def upload(self, ref: ExportRef, file: ExportFile, body: IO[bytes]) -> None:
        self._client.upload_fileobj(
            body, self._bucket, ref.key(file), ExtraArgs={"ContentType": "text/csv"}
        )

    def read_result(self, key: str) -> bytes:
        return self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
