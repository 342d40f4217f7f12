"""The ingest function against moto: S3 tells EventBridge, EventBridge the import queue, and the
function imports the export once its three files are there."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

from reactivation.adapters.imports import ExportStore, ImportRepository
from reactivation.adapters.patients import PatientRepository
from reactivation.domain.importing import ExportFile
from reactivation.domain.imports import ExportRef, ImportStatus
from tests.conftest import Aws
from tests.functions.helpers import queued, seed, sqs_event
from tests.reactivation.services.test_ingest import EXPORT

Handler = Callable[[dict[str, Any]], Any]


def test_files_dropped_in_the_bucket_are_imported(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    seed(aws)
    ingest = load_function("IngestFunction")
    store = ExportStore(aws.client("s3"), aws.ref("ImportsBucket"))
    ref = ExportRef("bright-smile", "2026-11-23")
    for file, text in EXPORT.items():
        store.upload(ref, file, io.BytesIO(text.encode()))
    messages = queued(aws, "ImportQueue")
    events = [json.loads(m["Body"]) for m in messages]
    assert [e["detail"]["object"]["key"] for e in events] == [ref.key(f) for f in ExportFile]
    # S3's three events, in one batch here: the first two wait, the last one imports.
    assert ingest(sqs_event(aws, [m["Body"] for m in messages])) == {"batchItemFailures": []}
    record = ImportRepository(aws.client("dynamodb"), aws.table).get(ref)
    assert record is not None and record.status is ImportStatus.COMPLETED
    assert record.files[ExportFile.PATIENTS].counts.imported == 4
    ana = PatientRepository(aws.client("dynamodb"), aws.table).record("bright-smile", "P-1")
    assert ana is not None and ana.patient.email == "ana@example.com"


def test_a_malformed_message_is_refused_and_left_for_the_dead_letter_queue(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    ingest = load_function("IngestFunction")
    bodies = [
        '{"practice_id": "../etc", "export_id": "x"}',
        "not json",
        '{"practice_id": "bright-smile", "export_id": "never-uploaded"}',  # nothing to do
    ]
    result = ingest(sqs_event(aws, bodies))
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == ["m-0", "m-1"]
