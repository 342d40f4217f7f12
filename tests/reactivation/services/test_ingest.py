"""The import against moto's bucket and table: every row accounted for, resumable, idempotent,
and nothing the system learned ever overwritten."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest

from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.imports import ExportStore, ImportRepository
from reactivation.adapters.items import from_attributes
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain.importing import ExportFile
from reactivation.domain.imports import ExportRef, ImportPhase, ImportStatus
from reactivation.domain.practice import Practice
from reactivation.services.ingest import ImportLimits, IngestService, IngestStatus
from tests.builders import at, make_practice
from tests.conftest import Aws

NOW = at("2026-11-23 06:00")
PATIENTS = (
    "\ufeffPatient_ID,First_Name,Last_Name,MOBILE,Email,SMS_Opt_In,Diagnosis\n"
    "P-1,Ana,Lopez,(212) 555-0101,ana@example.com,yes,periodontitis\n"
    "P-2,Ben,Okafor,212-555-0102,,,caries\n"
    "P-3,Cleo,Marsh,not a phone,cleo@example,no,\n"  # imported with two warnings
    "P-4,,Nobody,2125550104,,,\n"  # rejected: no first name
    "P-5,Dev,Patel,2125550105,,maybe,\n"  # rejected: sms_opt_in
    "P-1,Ana,Again,2125550101,,,\n"  # rejected: duplicate
    "P-6,Eva,Stone,2125550106,,,\n"
)
APPOINTMENTS = (
    "appointment_id,patient_id,starts_at,category,status,revenue,Procedure_Code\n"
    "A-1,P-1,2026-04-20T10:00,Hygiene,COMPLETED,180,D1110\n"
    'A-2,P-2,2026-05-02T09:30,hygiene,completed,"$1,200.00",D1110\n'
    "A-3,P-9,2026-05-02T09:30,hygiene,completed,,\n"  # rejected: unknown patient
    "A-4,P-4,2026-05-02T09:30,hygiene,completed,,\n"  # rejected: P-4 was rejected
    "A-5,P-6,2026-13-02T09:30,hygiene,completed,,\n"  # rejected: not a date-time
)
PLANS = (
    "plan_id,patient_id,kind,category,created_on,due_on,status,tooth\n"
    "PL-1,P-1,treatment_plan,restorative,3/4/2026,,open,14\n"
)
EXPORT = {
    ExportFile.PATIENTS: PATIENTS,
    ExportFile.APPOINTMENTS: APPOINTMENTS,
    ExportFile.PLANS: PLANS,
}


@dataclass
class Continuations:
    requested: list[ExportRef] = field(default_factory=list)

    def request(self, ref: ExportRef) -> None:
        self.requested.append(ref)


@dataclass
class Clock:
    """Seconds left in the invocation, as Lambda's context counts them down."""

    left: float = 800.0
    per_call: float = 0.0

    def __call__(self) -> float:
        self.left -= self.per_call
        return self.left


@dataclass
class Harness:
    aws: Aws
    service: IngestService
    continuations: Continuations
    store: ExportStore
    imports: ImportRepository
    patients: PatientRepository

    def upload(self, export_id: str, files: dict[ExportFile, str] = EXPORT) -> ExportRef:
        ref = ExportRef("bright-smile", export_id)
        for file, text in files.items():
            self.store.upload(ref, file, io.BytesIO(text.encode()))
        return ref

    def import_(self, export_id: str, files: dict[ExportFile, str] = EXPORT) -> Any:
        ref = self.upload(export_id, files)
        return self.service.file_arrived(ref.key(ExportFile.PLANS), NOW, "worker-1", Clock())

    def result(self, ref: ExportRef, name: str) -> str:
        return self.store.read_result(ref.result_key(name)).decode()

    def table(self) -> dict[tuple[str, str], dict[str, Any]]:
        """The practice's data: everything but the imports' own records."""
        items = {}
        for page in (
            self.aws.client("dynamodb").get_paginator("scan").paginate(TableName=self.aws.table)
        ):
            for raw in page["Items"]:
                item = from_attributes(raw)
                if item["sk"].startswith("IMPORT#"):
                    continue
                items[(item["pk"], item["sk"])] = item
        return items


def make_harness(aws: Aws, chunk_rows: int = 2, practice: Practice | None = None) -> Harness:
    dynamodb, table = aws.client("dynamodb"), aws.table
    PracticeRepository(dynamodb, table).save(practice or make_practice())
    continuations = Continuations()
    store = ExportStore(aws.client("s3"), aws.ref("ImportsBucket"))
    imports = ImportRepository(dynamodb, table)
    patients = PatientRepository(dynamodb, table)
    service = IngestService(
        practices=PracticeRepository(dynamodb, table),
        patients=patients,
        imports=imports,
        exports=store,
        continuations=continuations,
        limits=ImportLimits(chunk_rows=chunk_rows, margin=timedelta(seconds=120)),
    )
    return Harness(aws, service, continuations, store, imports, patients)


@pytest.fixture
def harness(aws: Aws) -> Iterator[Harness]:
    yield make_harness(aws)


def test_every_row_is_imported_or_rejected_with_its_line_and_reason(harness: Harness) -> None:
    outcome = harness.import_("2026-11-23")
    assert outcome.status is IngestStatus.COMPLETED
    record = outcome.record
    counts = {file.value: progress.counts.model_dump() for file, progress in record.files.items()}
    assert counts == {
        "patients.csv": {"rows_read": 7, "imported": 4, "with_warnings": 1, "rejected": 3},
        "appointments.csv": {"rows_read": 5, "imported": 2, "with_warnings": 0, "rejected": 3},
        "plans.csv": {"rows_read": 1, "imported": 1, "with_warnings": 0, "rejected": 0},
    }
    assert record.files[ExportFile.PATIENTS].unknown_columns == ("diagnosis",)
    stored = harness.imports.get(record.ref)
    assert stored is not None and stored.status is ImportStatus.COMPLETED
    assert stored.issues[:3] == [
        "patients.csv line 4: warning: mobile is not a valid phone number: no SMS channel",
        "patients.csv line 4: warning: email is not a valid address: no email channel",
        "patients.csv line 5: rejected: missing first_name",
    ]
    summary = harness.result(record.ref, "summary.txt")
    assert "patients.csv: 7 rows read, 4 imported (1 with warnings), 3 rejected" in summary
    assert "appointments.csv line 4: rejected: patient_id is not in patients.csv" in summary
    assert "appointments.csv line 6: rejected: starts_at is not an ISO date-time" in summary
    rejected = list(csv.reader(io.StringIO(harness.result(record.ref, "rejected-patients.csv"))))
    assert rejected == [
        ["Patient_ID", "First_Name", "Last_Name", "MOBILE", "Email", "SMS_Opt_In",
         "import_line", "import_reason"],
        ["P-4", "", "Nobody", "2125550104", "", "", "5", "missing first_name"],
        ["P-5", "Dev", "Patel", "2125550105", "", "maybe", "6",
         "sms_opt_in is not yes/no: write yes or no, or leave it blank"],
        ["P-1", "Ana", "Again", "2125550101", "", "", "7",
         "duplicate patient_id (first on line 2)"],
    ]  # fmt: skip
    assert stored.results == [
        "results/bright-smile/2026-11-23/summary.txt",
        "results/bright-smile/2026-11-23/rejected-patients.csv",
        "results/bright-smile/2026-11-23/rejected-appointments.csv",
    ]


def test_the_import_normalises_and_upserts_into_the_patients_records(harness: Harness) -> None:
    harness.import_("2026-11-23")
    ana = harness.patients.record("bright-smile", "P-1")
    assert ana is not None
    assert ana.patient.mobile == "+12125550101" and ana.patient.email == "ana@example.com"
    assert [(a.appointment_id, a.revenue) for a in ana.appointments] == [("A-1", 180.0)]
    assert [p.plan_id for p in ana.plans] == ["PL-1"]
    ben = harness.patients.record("bright-smile", "P-2")
    assert ben is not None and ben.appointments[0].revenue == 1200.0
    assert harness.patients.record("bright-smile", "P-4") is None


def test_clinical_columns_are_never_stored(harness: Harness) -> None:
    outcome = harness.import_("2026-11-23")
    stored = repr(harness.table())
    for clinical in ("periodontitis", "caries", "D1110", "diagnosis", "procedure_code", "tooth"):
        assert clinical not in stored.lower()
    for key in outcome.record.results:
        assert "periodontitis" not in harness.store.read_result(key).decode()


def test_importing_the_same_files_again_changes_nothing(harness: Harness) -> None:
    harness.import_("2026-11-23")
    before = harness.table()
    again = harness.import_("2026-11-24")
    assert again.status is IngestStatus.COMPLETED
    assert harness.table() == before


def test_s3_reporting_the_same_file_twice_imports_once(harness: Harness) -> None:
    first = harness.import_("2026-11-23")
    ref = first.record.ref
    second = harness.service.file_arrived(ref.key(ExportFile.PATIENTS), NOW, "worker-2", Clock())
    assert second.status is IngestStatus.ALREADY_COMPLETED


def test_the_import_waits_for_the_exports_three_files(harness: Harness) -> None:
    ref = harness.upload("2026-11-23", {ExportFile.PATIENTS: PATIENTS})
    outcome = harness.service.file_arrived(ref.key(ExportFile.PATIENTS), NOW, "w", Clock())
    assert outcome.status is IngestStatus.WAITING_FOR_FILES
    assert outcome.missing == ["appointments.csv", "plans.csv"]
    assert harness.imports.get(ref) is None and harness.table().keys() == {
        ("PRACTICE#bright-smile", "PRACTICE"),
        ("NUMBER#+12125550199", "OWNER"),  # the sending number's owner (one practice)
    }


def test_an_unknown_practice_or_a_stray_object_imports_nothing(harness: Harness) -> None:
    unknown = ExportRef("nobody-here", "x")
    for file, text in EXPORT.items():
        harness.store.upload(unknown, file, io.BytesIO(text.encode()))
    assert harness.service.file_arrived(
        unknown.key(ExportFile.PLANS), NOW, "w", Clock()
    ).status is (IngestStatus.UNKNOWN_PRACTICE)
    for key in ("incoming/bright-smile/x/notes.txt", "results/bright-smile/x/summary.txt", "x"):
        assert (
            harness.service.file_arrived(key, NOW, "w", Clock()).status
            is IngestStatus.NOT_AN_EXPORT
        )
    assert len(harness.table()) == 2


def test_a_later_export_is_the_new_truth_absent_patients_become_inactive(harness: Harness) -> None:
    harness.import_("2026-11-23")
    without_ben = PATIENTS.replace("P-2,Ben,Okafor,212-555-0102,,,caries\n", "")
    moved = APPOINTMENTS.replace("A-2,P-2", "A-2,P-1")
    later = harness.import_(
        "2026-11-30", {**EXPORT, ExportFile.PATIENTS: without_ben, ExportFile.APPOINTMENTS: moved}
    )
    # a quarter of the active patients would go (and many rows were rejected): not on its own
    assert later.status is IngestStatus.NEEDS_REVIEW
    ref = later.ref
    assert (later.record.would_deactivate, later.record.active_before) == (1, 4)
    assert later.record.not_in_export == 0
    ben = harness.patients.record("bright-smile", "P-2")
    assert ben is not None and ben.patient.active is True
    confirmed = harness.service.confirm(ref, NOW, "operator")
    assert confirmed.status is IngestStatus.COMPLETED
    assert confirmed.record is not None and confirmed.record.not_in_export == 1
    assert "import 2026-11-30 of bright-smile: completed" in harness.result(ref, "summary.txt")
    ben = harness.patients.record("bright-smile", "P-2")
    assert ben is not None and ben.patient.active is False  # kept, never contacted
    ana = harness.patients.record("bright-smile", "P-1")
    assert ana is not None and ana.patient.active is True
    back = harness.import_("2026-12-07")  # Ben is in the export again
    assert back.record.not_in_export == 0
    ben = harness.patients.record("bright-smile", "P-2")
    assert ben is not None and ben.patient.active is True


def test_what_the_system_learned_survives_any_reimport(harness: Harness) -> None:
    harness.import_("2026-11-23")
    dynamodb, table = harness.aws.client("dynamodb"), harness.aws.table
    consent, sequences = ConsentRepository(dynamodb, table), SequenceRepository(dynamodb, table)
    replied = at("2026-11-24 10:00")
    consent.record("bright-smile", "+12125550101", opted_out=True, at=replied, recorded_at=replied)
    sequences.snooze("bright-smile", "P-2", date(2027, 3, 1))
    sequences.hold("bright-smile", "P-6", "complaint")
    before = sequences.history("bright-smile", "P-2", frozenset())
    harness.import_("2026-11-30")
    assert consent.opted_out("bright-smile", ["+12125550101"]) == {"+12125550101"}
    assert sequences.history("bright-smile", "P-2", frozenset()) == before
    assert before.snoozed_until == date(2027, 3, 1)
    assert sequences.history("bright-smile", "P-6", frozenset()).service_recovery is True


def test_a_crash_mid_import_then_a_resume_loses_and_doubles_nothing(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = make_harness(aws)
    expected = clean.import_("clean")
    expected_table = clean.table()
    expected_rejects = clean.result(expected.record.ref, "rejected-appointments.csv")

    harness = make_harness(aws)
    writes = {"n": 0}
    real = PatientRepository.save_all

    def crash_on_the_fourth_batch(self: PatientRepository, practice_id: str, records: Any) -> None:
        writes["n"] += 1
        if writes["n"] == 6:  # the second chunk of appointments.csv
            raise ConnectionError("the function was killed")
        real(self, practice_id, records)

    monkeypatch.setattr(PatientRepository, "save_all", crash_on_the_fourth_batch)
    ref = harness.upload("crashy")
    with pytest.raises(ConnectionError):
        harness.service.file_arrived(ref.key(ExportFile.PLANS), NOW, "worker-1", Clock())
    halfway = harness.imports.get(ref)
    assert halfway is not None and halfway.phase is ImportPhase.APPOINTMENTS and halfway.line == 3
    # The failed worker gave its lease up: the queue's next delivery resumes at once.
    resumed = harness.service.resume(ref, NOW, "worker-2", Clock())
    assert resumed.status is IngestStatus.COMPLETED and resumed.record is not None
    assert resumed.record.files == expected.record.files
    assert resumed.record.issues == expected.record.issues
    assert harness.table() == expected_table
    assert harness.result(ref, "rejected-appointments.csv") == expected_rejects


def test_a_second_worker_does_not_take_an_import_another_holds(harness: Harness) -> None:
    ref = harness.upload("2026-11-23")
    harness.service.file_arrived(
        ref.key(ExportFile.PLANS), NOW, "worker-1", Clock(left=10, per_call=0)
    )
    # worker-1 handed on (little time left), then a duplicate delivery raced a takeover:
    assert harness.continuations.requested == [ref]
    lease_taken = harness.service.resume(ref, NOW, "worker-1", Clock())
    assert lease_taken.status is IngestStatus.COMPLETED


def test_an_import_near_the_time_limit_hands_on_to_a_fresh_invocation(harness: Harness) -> None:
    ref = harness.upload("2026-11-23")
    outcome = harness.service.file_arrived(
        ref.key(ExportFile.PLANS), NOW, "worker-1", Clock(left=100)
    )
    assert outcome.status is IngestStatus.CONTINUED
    assert harness.continuations.requested == [ref]
    hops = 1
    while outcome.status is IngestStatus.CONTINUED:
        outcome = harness.service.resume(ref, NOW, f"worker-{hops + 1}", Clock(left=100))
        hops += 1
    assert outcome.status is IngestStatus.COMPLETED
    assert hops == len(harness.continuations.requested) + 1 > 3
    assert outcome.record.files[ExportFile.PATIENTS].counts.rows_read == 7
    assert outcome.record.files[ExportFile.APPOINTMENTS].counts.rejected == 3


def test_a_lease_held_by_a_live_worker_turns_others_away(harness: Harness) -> None:
    ref = harness.upload("2026-11-23")
    from reactivation.adapters.imports import Lease
    from reactivation.domain.imports import started_import

    harness.imports.create(started_import(ref, {f: "null" for f in ExportFile}, NOW))
    assert harness.imports.acquire(ref, Lease("worker-1", NOW + timedelta(minutes=15)), NOW)
    busy = harness.service.resume(ref, NOW + timedelta(minutes=5), "worker-2", Clock())
    assert busy.status is IngestStatus.BUSY
    later = harness.service.resume(ref, NOW + timedelta(minutes=16), "worker-2", Clock())
    assert later.status is IngestStatus.COMPLETED


def test_the_inactive_marking_of_a_large_practice_hands_on_too(aws: Aws) -> None:
    harness = make_harness(aws, practice=make_practice(deactivation_review_percent=100))
    harness.import_("2026-11-23")
    only_eva = "patient_id,first_name,mobile\nP-6,Eva,2125550106\n"
    ref = harness.upload("2026-11-30", {**EXPORT, ExportFile.PATIENTS: only_eva,
                                        ExportFile.APPOINTMENTS: APPOINTMENTS.split("\n")[0],
                                        ExportFile.PLANS: PLANS.split("\n")[0]})  # fmt: skip
    clock = Clock(left=200, per_call=90)  # after two ids, too little time is left
    outcome = harness.service.file_arrived(ref.key(ExportFile.PLANS), NOW, "w-1", clock)
    assert outcome.status is IngestStatus.CONTINUED
    halfway = harness.imports.get(ref)
    assert halfway is not None and (halfway.reconciled_through, halfway.not_in_export) == ("P-2", 2)
    outcome = harness.service.resume(ref, NOW, "w-2", Clock())
    assert outcome.status is IngestStatus.COMPLETED
    assert outcome.record is not None and outcome.record.not_in_export == 3  # P-1, P-2, P-3
    active = {pid: on for pid, on in harness.patients.ids_and_activity("bright-smile")}
    assert active == {"P-1": False, "P-2": False, "P-3": False, "P-6": True}


def test_a_row_that_is_not_utf8_is_rejected_with_its_line_and_the_others_imported(
    harness: Harness,
) -> None:
    # a row saved as Latin-1 ("Zoë", "Peña") in a UTF-8 export
    ref = harness.upload("latin-1")
    lines = PATIENTS.encode().splitlines(keepends=True)
    latin = "P-7,Zo\u00eb,Pe\u00f1a,2125550107,,,\n".encode("latin-1")
    patients = b"".join([*lines[:2], latin, *lines[2:]])
    harness.store.upload(ref, ExportFile.PATIENTS, io.BytesIO(patients))
    outcome = harness.service.file_arrived(ref.key(ExportFile.PLANS), NOW, "worker-1", Clock())
    assert outcome.status is IngestStatus.COMPLETED
    summary = harness.result(ref, "summary.txt")
    assert (
        "patients.csv line 3: rejected: has characters that are not UTF-8 text: save the "
        "export as 'CSV UTF-8' and send the row again"
    ) in summary
    assert harness.patients.record("bright-smile", "P-7") is None
    assert harness.patients.record("bright-smile", "P-1") is not None
