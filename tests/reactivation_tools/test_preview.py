"""`reactivation preview` as the spec defines it: JSON per patient, the summary on stderr."""

import json
from pathlib import Path

import pytest

from reactivation_tools.cli import main


def write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text, encoding="utf-8")


@pytest.fixture
def export(tmp_path: Path) -> Path:
    write(tmp_path, "patients.csv",
          "patient_id,first_name,mobile,email,marketing_opt_in\n"
          "P1,Ana,4155550134,,\nP2,Ben,,,\nP3,,4155550135,,\nP4,Cleo,4155550136,cleo@example.com,\n"
          "P5,Dee,4155550137,,yes\n")  # fmt: skip
    write(tmp_path, "appointments.csv",
          "appointment_id,patient_id,starts_at,category,status\n"
          "A1,P1,2026-04-20T10:00,hygiene,completed\n"
          "A2,P4,2025-01-10T10:00,exam,completed\n"
          "A3,P5,2026-08-20T10:00,neurotoxin,completed\n"
          "A4,P3,2026-04-20T10:00,hygiene,completed\n")  # fmt: skip
    return tmp_path


def test_one_json_object_per_accepted_patient(
    export: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["preview", str(export), "--as-of", "2026-11-24", "--holdout", "0"]) == 0
    out, err = capsys.readouterr()
    decisions = [json.loads(line) for line in out.splitlines()]
    assert decisions == [
        {"patient_id": "P1", "campaign": "recall_due", "skip": None, "channel": "sms",
         "holdout": False},
        {"patient_id": "P2", "campaign": None, "skip": "no_channel", "channel": None,
         "holdout": False},
        {"patient_id": "P4", "campaign": "lapsed_patient", "skip": None, "channel": "email",
         "holdout": False},
        {"patient_id": "P5", "campaign": "maintenance_due", "skip": None, "channel": "sms",
         "holdout": False},
    ]  # fmt: skip
    assert "patients.csv: 5 rows read, 4 imported (0 with warnings), 1 rejected" in err
    assert "line 4: rejected: missing first_name" in err
    assert "appointments.csv: 4 rows read, 3 imported" in err
    assert "line 5: rejected: patient_id is not in patients.csv" in err


def test_exactly_one_of_campaign_and_skip(export: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["preview", str(export), "--as-of", "2026-11-24"])
    for line in capsys.readouterr().out.splitlines():
        decision = json.loads(line)
        assert (decision["campaign"] is None) != (decision["skip"] is None)
        assert (decision["channel"] is None) == (decision["skip"] is not None)


def test_the_vertical_limits_the_campaigns_and_the_summary_is_a_table(
    export: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["preview", str(export), "--as-of", "2026-11-24", "--vertical", "dental", "--summary",
          "--holdout", "0"])  # fmt: skip
    out, _ = capsys.readouterr()
    assert "recall_due by sms" in out and "lapsed_patient by email" in out
    assert "maintenance_due" not in out  # not a dental campaign
    assert "not_eligible" in out


def test_bad_options_and_a_missing_export_are_clear_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["preview", str(tmp_path), "--as-of", "2026-11-24"]) == 2
    assert "patients.csv is required" in capsys.readouterr().err
    assert main(["preview", str(tmp_path), "--as-of", "2026-11-24", "--timezone", "Mars"]) == 2
    assert main(["preview", str(tmp_path), "--as-of", "2026-11-24", "--holdout", "80"]) == 2


def test_a_windows_1252_file_is_read_as_such_with_a_warning_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "patients.csv").write_bytes(
        b"patient_id,first_name,mobile\nP1,Ana,4155550134\nP2,Jos\xe9,4155550135\n"
    )
    assert main(["preview", str(tmp_path), "--as-of", "2026-11-24"]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line)["patient_id"] for line in out.splitlines()] == ["P1", "P2"]
    assert "warning: patients.csv is not UTF-8: read as Windows-1252" in err


def test_a_row_that_is_not_utf8_after_utf8_text_is_rejected_as_the_import_rejects_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "patients.csv").write_bytes(
        "patient_id,first_name,mobile\nP1,Zoë,4155550134\n".encode() + b"P2,Jos\xe9,4155550135\n"
    )
    assert main(["preview", str(tmp_path), "--as-of", "2026-11-24"]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line)["patient_id"] for line in out.splitlines()] == ["P1"]
    assert "line 3: rejected: has characters that are not UTF-8 text: save the export" in err


EXAMPLE = Path(__file__).parents[2] / "examples" / "bright-smile.yaml"


def test_a_practice_file_gives_its_column_map_and_campaigns_and_summary_explains_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "patients.csv",
          "Chart #,first_name,Cell Phone,marketing_opt_in\n"
          "P1,Ana,(415) 555-0134,\nP2,Ben,,\nP3,Cleo,4155550136,\n"
          "P4,Dee,4155550137,\n")  # fmt: skip
    write(tmp_path, "appointments.csv",
          "appointment_id,patient_id,starts_at,category,status\n"
          "A1,P1,2026-04-08T10:00,hygiene,completed\n"
          "A2,P3,2026-11-20T10:00,hygiene,no_show\n"
          "A3,P4,2026-12-02T10:00,hygiene,scheduled\n")  # fmt: skip
    assert main(["preview", str(tmp_path), "--as-of", "2026-11-24", "--practice", str(EXAMPLE),
                 "--summary"]) == 0  # fmt: skip
    out, err = capsys.readouterr()
    assert "patients.csv: 4 rows read, 4 imported" in err
    assert "with bright-smile's settings: America/New_York, holdout 0%" in err
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("P")}
    assert (
        "recall_due by sms" in rows["P1"] and "last hygiene 2026-04-08, 7 months ago" in rows["P1"]
    )
    assert "skip: no_channel" in rows["P2"] and "no valid mobile or email" in rows["P2"]
    assert "missed_appointment by sms" in rows["P3"] and "no-show 2026-11-20" in rows["P3"]
    assert "skip: has_future_appointment" in rows["P4"] and "an appointment is booked" in rows["P4"]


def test_a_practice_file_with_problems_is_refused_in_plain_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "patients.csv", "patient_id,first_name\nP1,Ana\n")
    practice = tmp_path / "practice.yaml"
    practice.write_text(EXAMPLE.read_text().replace("America/New_York", "Mars/Olympus"))
    assert main(["preview", str(tmp_path), "--as-of", "2026-11-24", "--practice",
                 str(practice)]) == 2  # fmt: skip
    assert "timezone" in capsys.readouterr().err


def test_import_confirm_is_its_own_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`import confirm PRACTICE EXPORT_ID` is not `import PRACTICE DIR`: without a stack it
    says there is none (exit 2), as every command on the stack does."""
    with pytest.raises(SystemExit) as stopped:
        main(["--state-dir", str(tmp_path), "import", "confirm", "bright-smile", "2026-11-23"])
    assert stopped.value.code == 2
    assert "no local stack is running" in capsys.readouterr().err
