"""The guard on the inactive marking: an export that looks wrong is imported but marks nobody
inactive until an operator confirms it; the owners are told, and so is summary.txt."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reactivation.domain.importing import ExportFile
from reactivation.domain.imports import ImportStatus
from reactivation.services.ingest import IngestService, IngestStatus, OwnerNotices
from tests.builders import make_practice
from tests.conftest import Aws
from tests.reactivation.services.test_ingest import NOW, Clock, Harness, make_harness

HEADER = "patient_id,first_name,mobile\n"
APPOINTMENTS = "appointment_id,patient_id,starts_at,category,status\n"
PLANS = "plan_id,patient_id,kind,created_on,status\n"


def patients(count: int, start: int = 1) -> str:
    return HEADER + "".join(f"P-{i},Ana,21255501{i:02d}\n" for i in range(start, start + count))


def export(patients_csv: str | bytes) -> dict[ExportFile, str | bytes]:
    return {ExportFile.PATIENTS: patients_csv, ExportFile.APPOINTMENTS: APPOINTMENTS,
            ExportFile.PLANS: PLANS}  # fmt: skip


@dataclass
class Outbox:
    sent: list[dict[str, Any]] = field(default_factory=list)

    def send(self, *, to: Sequence[str], sender: str, subject: str, text: str, html: str,
             unsubscribe_url: str | None = None, tags: Mapping[str, str] | None = None,
             attachments: Sequence[Any] = ()) -> str:  # fmt: skip
        self.sent.append({"to": list(to), "subject": subject, "text": text})
        return f"m-{len(self.sent)}"


def harness_with_outbox(aws: Aws, **practice: Any) -> tuple[Harness, Outbox]:
    harness = make_harness(aws, chunk_rows=50, practice=make_practice(**practice))
    outbox = Outbox()
    harness.service = IngestService(
        practices=harness.service._practices,
        patients=harness.patients,
        imports=harness.imports,
        exports=harness.store,
        continuations=harness.continuations,
        owners=OwnerNotices(outbox, "reports@example.com"),
    )
    return harness, outbox


def run(harness: Harness, export_id: str, files: dict[ExportFile, str | bytes]) -> Any:
    ref = harness.upload(export_id, {})
    for file, body in files.items():
        data = body.encode() if isinstance(body, str) else body
        harness.store.upload(ref, file, io.BytesIO(data))
    return harness.service.file_arrived(ref.key(ExportFile.PLANS), NOW, "w-1", Clock())


def active(harness: Harness) -> int:
    return sum(on for _, on in harness.patients.ids_and_activity("bright-smile"))


def test_an_export_missing_more_than_the_threshold_waits_and_the_owners_are_told(
    aws: Aws,
) -> None:
    harness, outbox = harness_with_outbox(aws)
    assert run(harness, "first", export(patients(20))).status is IngestStatus.COMPLETED
    later = run(harness, "second", export(patients(17)))  # 3 of 20 gone: 15% > 10%
    assert later.status is IngestStatus.NEEDS_REVIEW
    assert active(harness) == 20  # the missing patients stay active
    record = later.record
    assert (record.would_deactivate, record.active_before, record.not_in_export) == (3, 20, 0)
    summary = harness.result(later.ref, "summary.txt")
    assert summary.startswith("import second of bright-smile: needs_review\n")
    assert (
        "needs review: it would mark 3 active patients of 20 inactive (15%, more than the "
        "practice's 10%)"
    ) in summary
    assert "reactivation import confirm bright-smile second" in summary
    (email,) = outbox.sent
    assert email["to"] == ["owner@reactivation.test"]
    assert "needs your review" in email["subject"] and "15%" in email["text"]
    confirmed = harness.service.confirm(later.ref, NOW, "operator")
    assert confirmed.status is IngestStatus.COMPLETED
    assert active(harness) == 17
    assert harness.imports.get(later.ref).status is ImportStatus.COMPLETED  # type: ignore[union-attr]
    again = harness.service.confirm(later.ref, NOW, "operator")
    assert again.status is IngestStatus.ALREADY_COMPLETED


def test_the_threshold_is_the_practices_setting_and_a_small_change_goes_through(
    aws: Aws,
) -> None:
    harness, outbox = harness_with_outbox(aws, deactivation_review_percent=20)
    run(harness, "first", export(patients(20)))
    later = run(harness, "second", export(patients(17)))  # 15% <= 20%
    assert later.status is IngestStatus.COMPLETED
    assert (later.record.not_in_export, active(harness), outbox.sent) == (3, 17, [])
    summary = harness.result(later.ref, "summary.txt")
    assert summary.startswith("import second of bright-smile: completed\n")  # not "running"


def test_an_export_with_more_than_a_fifth_of_its_rows_rejected_marks_nobody_inactive(
    aws: Aws,
) -> None:
    harness, outbox = harness_with_outbox(aws, deactivation_review_percent=100)
    run(harness, "first", export(patients(10)))
    bad = patients(7) + "".join(f"P-{i},,\n" for i in range(8, 11))  # 3 of 10 rejected
    later = run(harness, "second", export(bad))
    assert later.status is IngestStatus.NEEDS_REVIEW
    assert "3 of its 10 rows were rejected (30%, more than 20%)" in later.record.review_reason
    assert active(harness) == 10 and len(outbox.sent) == 1


def test_a_refused_patients_file_marks_nobody_inactive(aws: Aws) -> None:
    """The issue's case: a spreadsheet saved the export badly; nothing is deactivated."""
    harness, outbox = harness_with_outbox(aws)
    run(harness, "first", export(patients(7)))
    later = run(harness, "second", export(b"PK\x03\x04" + bytes(range(256)) * 8))
    assert later.status is IngestStatus.NEEDS_REVIEW
    assert active(harness) == 7
    summary = harness.result(later.ref, "summary.txt")
    assert "patients.csv: refused, no row read: patients.csv is a zip file" in summary
    assert "needs review: patients.csv was refused" in summary
    assert "7 active patients missing from this export are left active" in summary
    assert len(outbox.sent) == 1


def test_a_windows_1252_export_is_imported_with_a_warning_naming_the_file(aws: Aws) -> None:
    harness, _ = harness_with_outbox(aws)
    body = (HEADER + "P-1,José,2125550101\n").encode("cp1252")
    outcome = run(harness, "first", export(body))
    assert outcome.status is IngestStatus.COMPLETED
    record = harness.patients.record("bright-smile", "P-1")
    assert record is not None and record.patient.first_name == "José"
    summary = harness.result(outcome.ref, "summary.txt")
    assert "  warning: patients.csv is not UTF-8: read as Windows-1252" in summary


def test_a_first_export_with_nothing_to_mark_inactive_completes(aws: Aws) -> None:
    harness, outbox = harness_with_outbox(aws)
    bad = patients(2) + "P-3,,\nP-4,,\n"
    outcome = run(harness, "first", export(bad))
    assert outcome.status is IngestStatus.COMPLETED and outbox.sent == []


def test_a_refused_file_in_a_first_export_is_said_to_the_owners_too(aws: Aws) -> None:
    harness, outbox = harness_with_outbox(aws)
    outcome = run(harness, "first", export(b"patient_id;first_name\nP-1;Ana\n"))
    assert outcome.status is IngestStatus.NEEDS_REVIEW
    assert "patients.csv was refused" in outcome.record.review_reason
    summary = harness.result(outcome.ref, "summary.txt")
    assert (
        "patients.csv: refused, no row read: patients.csv: its columns are separated by "
        "semicolons, not commas" in summary
    )
    assert len(outbox.sent) == 1
