"""The import fuzzed through the ingest function (hypothesis, against moto): whatever the
practice's files hold (broken CSV, bad rows, odd bytes, not UTF-8 at all), the function never
crashes, every row is imported or rejected with its line, and a rejected row writes nothing."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reactivation.adapters.imports import ExportStore, ImportRepository
from reactivation.adapters.patients import PatientRepository
from reactivation.domain.importing import ExportFile
from reactivation.domain.imports import ExportRef, ImportStatus
from tests.builders import make_practice
from tests.conftest import Aws
from tests.functions.helpers import queued, seed, sqs_event
from tests.reactivation.services.test_ingest import APPOINTMENTS, PATIENTS, PLANS

Handler = Callable[[dict[str, Any]], Any]

HEADER, *GOOD_ROWS = PATIENTS.splitlines()
#: A row: one of the sample's (good and bad), or text with CSV's awkward characters.
ROW = st.one_of(
    st.sampled_from(GOOD_ROWS),
    st.text(alphabet='P-0123456789,"\n\r;Aa é@+()', max_size=40),
    st.text(max_size=30),
)
#: A patients file: the sample's header and rows, or no header, or bytes that are not text.
PATIENTS_FILE = st.one_of(
    st.lists(ROW, max_size=12).map(lambda rows: "\n".join([HEADER, *rows]).encode()),
    st.lists(ROW, max_size=6).map(lambda rows: "\n".join(rows).encode()),
    st.binary(max_size=200),
)
_practices = itertools.count()


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(patients=PATIENTS_FILE, appointments=st.sampled_from([APPOINTMENTS, "", "x,y\n1,2"]))
def test_any_export_is_imported_or_refused_row_by_row_and_a_rejected_row_writes_nothing(
    aws: Aws, load_function: Callable[[str], Handler], patients: bytes, appointments: str
) -> None:
    aws.empty()  # each example from an empty account, as each test starts
    n = next(_practices)  # a number of its own: one number belongs to one practice
    practice = make_practice(practice_id=f"fuzz-{n}", sending_number=f"+1212557{n:04d}")
    seed(aws, practice)
    dynamodb = aws.client("dynamodb")
    before = set(PatientRepository(dynamodb, aws.table).ids(practice.practice_id))
    store = ExportStore(aws.client("s3"), aws.ref("ImportsBucket"))
    ref = ExportRef(practice.practice_id, "fuzzed")
    files = {ExportFile.PATIENTS: patients, ExportFile.APPOINTMENTS: appointments.encode(),
             ExportFile.PLANS: PLANS.encode()}  # fmt: skip
    for file, content in files.items():
        store.upload(ref, file, io.BytesIO(content))
    bodies = [m["Body"] for m in queued(aws, "ImportQueue")]
    answer = load_function("IngestFunction")(sqs_event(aws, bodies))
    assert answer == {"batchItemFailures": []}  # handled: nothing for the dead-letter queue
    record = ImportRepository(dynamodb, aws.table).get(ref)
    assert record is not None
    # an export that would mark too many of the practice's patients inactive (or a refused
    # file, or too many rows rejected) is imported but marks nobody inactive
    assert record.status in {ImportStatus.COMPLETED, ImportStatus.NEEDS_REVIEW}
    if record.status is ImportStatus.NEEDS_REVIEW:
        activity = dict(PatientRepository(dynamodb, aws.table).ids_and_activity(
            practice.practice_id))  # fmt: skip
        assert all(activity[patient_id] for patient_id in before)
    progress = record.files[ExportFile.PATIENTS]
    counts = progress.counts
    if progress.refused:  # not text, no header, a column twice or missing: no row read
        assert counts.rows_read == 0
    assert counts.rows_read == counts.imported + counts.rejected  # every row accounted for
    stored = set(PatientRepository(dynamodb, aws.table).ids(practice.practice_id)) - before
    assert len(stored) <= counts.imported  # a rejected row wrote nothing
    assert stored <= {row.split(",")[0] for row in GOOD_ROWS} | _ids_in(patients)


def _ids_in(content: bytes) -> set[str]:
    """Every first field of the file's lines: a stored patient's id must be one of them."""
    ids = set()
    for encoding in ("utf-8", "cp1252"):  # a file not UTF-8 may be read as Windows-1252
        text = content.decode(encoding, errors="replace")
        ids |= {line.split(",")[0].strip().strip('"') for line in text.splitlines()}
    return ids
