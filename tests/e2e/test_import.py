"""Importing through the local stack as an operator does (`reactivation import` over the control
API), and appointment changes through the practice events bus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.domain.patients import AppointmentStatus
from reactivation_tools import cli
from reactivation_tools.local import demo
from reactivation_tools.local.stack import LocalStack


def test_an_operator_imports_an_export_and_gets_its_results(
    stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "stack.json").write_text(json.dumps(stack.describe()))
    dynamodb, table = stack.client("dynamodb"), stack.outputs["PracticeTableName"]
    PracticeRepository(dynamodb, table).save(demo.PRACTICE)
    export = demo.write_export(tmp_path / "export", stack.clock.now().date())
    code = cli.main(["--state-dir", str(state), "import", "bright-smile", str(export),
                     "--export-id", "first"])  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "patients.csv: 8 rows read, 7 imported (0 with warnings), 1 rejected" in out.out
    assert "100%" in out.err
    rejected = (export / "import-first" / "rejected-patients.csv").read_text().splitlines()
    assert rejected[0].startswith("Chart #,first_name,") and rejected[1].startswith("P-1099,,")
    assert "gingivitis" not in (export / "import-first" / "summary.txt").read_text()
    patients = PatientRepository(dynamodb, table)
    assert sorted(patients.ids("bright-smile")) == [f"P-100{n}" for n in range(1, 8)]

    # A booking made at the front desk reaches the record through the practice events bus.
    stack.client("events").put_events(
        Entries=[{
            "EventBusName": stack.outputs["PracticeEventsBusName"],
            "Source": "reactivation.pms.bright-smile",
            "DetailType": "Appointment Changed",
            "Detail": json.dumps({
                "practice_id": "bright-smile",
                "changed_at": "2026-11-24T15:00:00Z",
                "appointment": {"appointment_id": "A-9", "patient_id": "P-1004",
                                "starts_at": "2027-01-12T09:00", "category": "hygiene",
                                "status": "scheduled"},
            }),
        }]
    )  # fmt: skip
    stack.drain()
    record = patients.record("bright-smile", "P-1004")
    assert record is not None
    log = stack.state_dir / "logs" / "AppointmentsFunction.log"
    changed = [
        (a.appointment_id, a.status) for a in record.appointments if a.appointment_id == "A-9"
    ]
    assert changed == [("A-9", AppointmentStatus.SCHEDULED)], log.read_text()[-3000:]


def test_an_export_missing_a_file_is_refused_before_anything_is_uploaded(
    stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "stack.json").write_text(json.dumps(stack.describe()))
    export = demo.write_export(tmp_path / "export", stack.clock.now().date())
    (export / "plans.csv").unlink()
    assert cli.main(["--state-dir", str(state), "import", "bright-smile", str(export)]) == 2
    assert "has no plans.csv" in capsys.readouterr().err
    listed = stack.client("s3").list_objects_v2(Bucket=stack.outputs["ImportsBucketName"])
    assert listed.get("KeyCount", 0) == 0


def test_an_export_missing_many_patients_waits_for_review_and_confirm_applies_it(
    stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's case: an export a spreadsheet mangled would have made most patients
    inactive. It is imported, nobody is marked inactive, the command exits 3 and says why,
    summary.txt says the same status, the owners are emailed; `import confirm` applies it."""
    state = tmp_path / "state"
    state.mkdir()
    (state / "stack.json").write_text(json.dumps(stack.describe()))
    dynamodb, table = stack.client("dynamodb"), stack.outputs["PracticeTableName"]
    PracticeRepository(dynamodb, table).save(demo.PRACTICE)
    export = demo.write_export(tmp_path / "export", stack.clock.now().date())
    argv = ["--state-dir", str(state), "import", "bright-smile", str(export)]
    assert cli.main([*argv, "--export-id", "first"]) == 0
    capsys.readouterr()
    patients_csv = export / "patients.csv"
    lines = patients_csv.read_text().splitlines(keepends=True)
    patients_csv.write_text("".join(lines[:3]))  # two of the seven patients left

    code = cli.main([*argv, "--export-id", "second"])
    out = capsys.readouterr()
    assert code == cli.IMPORT_NEEDS_REVIEW, out.err
    assert out.out.startswith("import second of bright-smile: needs_review\n")
    assert "needs review: it would mark 5 active patients of 7 inactive (71%" in out.out
    assert "reactivation import confirm bright-smile second" in out.err
    summary = (export / "import-second" / "summary.txt").read_text()
    assert summary.startswith("import second of bright-smile: needs_review\n")  # as the command
    activity = dict(PatientRepository(dynamodb, table).ids_and_activity("bright-smile"))
    assert all(activity.values()) and len(activity) == 7
    owners = [e for e in stack.sent_emails() if "needs your review" in e.subject]
    assert [e.to for e in owners] == [demo.PRACTICE.owner_emails]

    confirm = ["--state-dir", str(state), "import", "confirm", "bright-smile", "second"]
    assert cli.main(confirm) == 0
    out = capsys.readouterr()
    assert "import second of bright-smile: completed" in out.out
    assert "patients not in this export (inactive): 5" in out.out
    activity = dict(PatientRepository(dynamodb, table).ids_and_activity("bright-smile"))
    assert sorted(pid for pid, on in activity.items() if on) == ["P-1001", "P-1002"]
    assert cli.main(confirm) == 1  # nothing left to confirm
