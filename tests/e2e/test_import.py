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
