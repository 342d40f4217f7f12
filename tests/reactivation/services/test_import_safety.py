"""Issue #16 items 6 and 10: the rejected rows go back to staff as cells a spreadsheet never
runs, and an export too large, or with a line far longer than any row, is refused clearly
instead of taking the import's time and memory."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest

from reactivation.adapters.imports import CHUNK_BYTES, decoded_lines
from reactivation.adapters.practices import PracticeRepository
from reactivation.domain.importing import MAX_LINE_CHARS, ExportFile
from reactivation.domain.imports import ExportRef
from reactivation.services.ingest import ImportLimits, IngestService, IngestStatus, spreadsheet_cell
from tests.conftest import Aws
from tests.reactivation.services.test_ingest import (
    APPOINTMENTS,
    EXPORT,
    NOW,
    PLANS,
    Clock,
    Harness,
    make_harness,
)

HEADER = "patient_id,first_name,last_name,mobile,email,sms_opt_in\n"


@pytest.fixture
def harness(aws: Aws) -> Iterator[Harness]:
    yield make_harness(aws)


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("=HYPERLINK(\"https://evil.example\",\"Fix\")", "'=HYPERLINK(\"https://evil.example\",\"Fix\")"),
        ("+1 212 555 0101", "'+1 212 555 0101"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Lopez", "Lopez"),
        ("", ""),
        ("P-1", "P-1"),
    ],
)  # fmt: skip
def test_a_cell_a_spreadsheet_would_run_is_shown_as_text(cell: str, shown: str) -> None:
    assert spreadsheet_cell(cell) == shown


def test_the_rejected_rows_file_never_starts_a_cell_with_a_formula(harness: Harness) -> None:
    patients = HEADER + (
        "P-1,Ana,Lopez,2125550101,,\n"
        'P-2,,"=HYPERLINK(""https://evil.example"",""Fix"")",+1 212 555 0102,@x.example,\n'
        "-3,,Marsh,2125550103,,\n"
    )
    outcome = harness.import_("formulas", {**EXPORT, ExportFile.PATIENTS: patients})
    assert outcome.status is IngestStatus.COMPLETED
    text = harness.result(outcome.record.ref, "rejected-patients.csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1:] == [
        ["P-2", "", "'=HYPERLINK(\"https://evil.example\",\"Fix\")", "'+1 212 555 0102",
         "'@x.example", "", "3", "missing first_name"],
        ["'-3", "", "Marsh", "2125550103", "", "", "4", "missing first_name"],
    ]  # fmt: skip
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell[:1] in {"=", "+", "-", "@", "\t", "\r"}]


def test_a_line_far_longer_than_any_row_is_rejected_and_the_others_imported(
    harness: Harness,
) -> None:
    long_line = "P-9,Zed," + "x" * (3 * CHUNK_BYTES) + "\n"
    patients = HEADER + "P-1,Ana,Lopez,2125550101,,\n" + long_line + "P-2,Ben,Okafor,,,\n"
    outcome = harness.import_("long-line", {**EXPORT, ExportFile.PATIENTS: patients})
    assert outcome.status is IngestStatus.COMPLETED
    counts = outcome.record.files[ExportFile.PATIENTS].counts
    assert (counts.imported, counts.rejected) == (2, 1)
    summary = harness.result(outcome.record.ref, "summary.txt")
    assert (
        f"patients.csv line 3: rejected: the line is longer than {MAX_LINE_CHARS} characters "
        "(no row of the format is)"
    ) in summary
    assert harness.patients.record("bright-smile", "P-2") is not None
    assert harness.patients.record("bright-smile", "P-9") is None


def test_a_single_line_of_tens_of_megabytes_is_never_held_whole() -> None:
    """The line is read chunk by chunk: what is kept of it is bounded (rescanning a growing
    line at every chunk was quadratic)."""
    chunk = b"x" * CHUNK_BYTES
    lines = list(decoded_lines(chunk for _ in range(30)))
    assert len(lines) == 1
    assert MAX_LINE_CHARS < len(lines[0]) <= MAX_LINE_CHARS + CHUNK_BYTES + 1


def test_a_long_line_does_not_swallow_the_next_one() -> None:
    chunks = [b"x" * CHUNK_BYTES, b"x" * 10 + b"\nP-2,Ben\r\n", b"P-3,Cleo"]
    lines = list(decoded_lines(chunks))
    assert len(lines) == 3
    assert lines[1:] == ["P-2,Ben\n", "P-3,Cleo"]


def test_an_export_file_over_the_size_cap_is_refused_and_nothing_imported(aws: Aws) -> None:
    harness = make_harness(aws)
    harness.service = IngestService(
        practices=PracticeRepository(aws.client("dynamodb"), aws.table),
        patients=harness.patients,
        imports=harness.imports,
        exports=harness.store,
        continuations=harness.continuations,
        limits=ImportLimits(max_file_bytes=1000),
    )
    patients = HEADER + "".join(f"P-{i},Ana,Lopez,2125550101,,\n" for i in range(100))
    ref: ExportRef = harness.upload("too-large", {**EXPORT, ExportFile.PATIENTS: patients})
    outcome = harness.service.file_arrived(ref.key(ExportFile.PLANS), NOW, "worker-1", Clock())
    assert outcome.status is IngestStatus.TOO_LARGE
    assert outcome.summary() == {
        "status": "too_large",
        "practice_id": "bright-smile",
        "export_id": "too-large",
        "too_large": ["patients.csv"],
        "max_file_bytes": 1000,
    }
    assert harness.imports.get(ref) is None
    assert harness.patients.record("bright-smile", "P-1") is None
    assert len(APPOINTMENTS.encode()) < 1000 and len(PLANS.encode()) < 1000


def test_a_rejected_row_longer_than_the_line_cap_across_its_lines_is_still_reported(
    harness: Harness,
) -> None:
    """Each physical line is under the cap, the row (a quoted field over two lines) is not:
    its issue, kept as one JSON line, is read back whole for the results."""
    half = "y" * (MAX_LINE_CHARS - 100)
    patients = HEADER + f'P-1,,"{half}\n{half}",2125550101,,\n' + "P-2,Ben,Okafor,,,\n"
    outcome = harness.import_("long-row", {**EXPORT, ExportFile.PATIENTS: patients})
    assert outcome.status is IngestStatus.COMPLETED
    rows = list(
        csv.reader(io.StringIO(harness.result(outcome.record.ref, "rejected-patients.csv")))
    )
    assert [row[-2:] for row in rows[1:]] == [["2", "missing first_name"]]
    assert rows[1][2] == f"{half}\n{half}"


def test_our_own_files_lines_are_read_whole_across_chunks() -> None:
    """The issue parts (JSON lines the import wrote) are not exports: no cap."""
    chunks = [b"{" + b"z" * CHUNK_BYTES, b"z" * CHUNK_BYTES + b"}\n"]
    (line,) = decoded_lines(chunks, max_line=None)
    assert len(line) == 2 * CHUNK_BYTES + 3
