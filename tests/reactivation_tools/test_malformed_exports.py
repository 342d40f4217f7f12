"""Malformed exports through `reactivation preview` (the import's own reader): each ends with a
clear message, never a traceback, and no row is lost without a word (rows read = imported +
rejected, each rejected row named by its line)."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pytest

from reactivation_tools.cli import main

HEADER = "patient_id,first_name,mobile\n"
GOOD = "P1,Ana,4155550134\nP2,Ben,4155550135\nP3,Cleo,4155550136\n"


def preview(directory: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["preview", str(directory), "--as-of", "2026-11-24", "--holdout", "0"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def accounted(err: str) -> tuple[int, int, int]:
    """patients.csv's counts, checked to add up."""
    match = re.search(r"patients\.csv: (\d+) rows? read, (\d+) imported .*?, (\d+) rejected", err)
    assert match is not None, err
    read, imported, rejected = map(int, match.groups())
    assert read == imported + rejected
    assert len(re.findall(r"line \d+: rejected: ", err)) == rejected
    return read, imported, rejected


CASES: dict[str, tuple[bytes, int, str, tuple[int, int, int] | None]] = {
    # name: (patients.csv bytes, exit code, a phrase of the message, the counts)
    "utf-8": ((HEADER + GOOD).encode(), 0, "3 rows read", (3, 3, 0)),
    "excel csv utf-8 (BOM, CRLF)": (
        codecs.BOM_UTF8 + (HEADER + GOOD).replace("\n", "\r\n").encode(),
        0,
        "",
        (3, 3, 0),
    ),
    "utf-16 with BOM": ((HEADER + GOOD).encode("utf-16"), 0, "", (3, 3, 0)),
    "windows-1252": (
        (HEADER + "P1,José,4155550134\nP2,Zoë,4155550135\n").encode("cp1252"),
        0,
        "patients.csv is not UTF-8: read as Windows-1252",
        (2, 2, 0),
    ),
    "old mac line ends (CR only)": (
        (HEADER + GOOD).replace("\n", "\r").encode(),
        0,
        "",
        (3, 3, 0),
    ),
    "google sheets trailing empty columns": (
        (HEADER.replace("\n", ",,\n") + GOOD.replace("\n", ",,\n")).encode(),
        0,
        "",
        (3, 3, 0),
    ),
    "a quote left open": (
        (HEADER + 'P1,"Ana,4155550134\nP2,Ben,4155550135\nP3,Cleo,4155550136\n').encode(),
        0,
        "line 2: rejected: a quote opened on line 2 is never closed",
        (3, 2, 1),
    ),
    "a quote closed by the next row's": (
        (HEADER + 'P1,"Ana,4155550134\nP2,"Ben",4155550135\nP3,Cleo,4155550136\n').encode(),
        0,
        "a quote opened on line 2 is never closed",
        (3, 2, 1),
    ),
    "a nul byte in a row": (
        (HEADER + "P1,Ana,4155550134\nP2,B\x00en,4155550135\n").encode(),
        0,
        "line 3: rejected: has a NUL character",
        (2, 1, 1),
    ),
    "excel's sep= first line": (("sep=,\r\n" + HEADER + GOOD).encode(), 0, "", (3, 3, 0)),
    "a line over the limit": (
        (HEADER + "P1,Ana,4155550134\nP2," + "x" * 70_000 + "\nP3,Cleo,\n").encode(),
        0,
        "line 3: rejected: the line is longer than 65536 characters",
        (3, 2, 1),
    ),
    "an xlsx workbook": (b"PK\x03\x04" + bytes(range(256)) * 4, 2, "zip file", None),
    "a binary file": (bytes(range(256)) * 64, 2, "is not a text file", None),
    "utf-16 without BOM": (
        (HEADER + GOOD).encode("utf-16-le"),
        2,
        "without a byte-order mark",
        None,
    ),
    "a column twice": (
        b"patient_id,first_name,mobile,Mobile\nP1,Ana,4155550134,4155550134\n",
        2,
        "mobile is columns 3 and 4",
        None,
    ),
    "a required column missing": (b"id,first_name\nP1,Ana\n", 2, "no patient_id column", None),
    "an empty file": (b"", 2, "patients.csv is empty", None),
    "semicolons": (b"patient_id;first_name\nP1;Ana\n", 2, "separated by semicolons", None),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_malformed_export_ends_with_a_clear_message(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, code, phrase, counts = CASES[name]
    (tmp_path / "patients.csv").write_bytes(data)
    got, out, err = preview(tmp_path, capsys)
    assert got == code, err
    assert phrase in err
    if counts is not None:
        assert accounted(err) == counts
    else:
        assert "patients.csv" in err and out == ""


def test_a_file_given_for_a_folder_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "patients.csv").write_text(HEADER + GOOD)
    code, _, err = preview(tmp_path / "patients.csv", capsys)
    assert code == 2
    assert "is a file: give the folder that holds the export's patients.csv" in err


def test_a_folder_without_patients_names_what_it_has(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Patients Export.csv").write_text(HEADER + GOOD)
    code, _, err = preview(tmp_path, capsys)
    assert code == 2
    assert "has no patients.csv (its CSV files: Patients Export.csv)" in err


def test_a_refused_appointments_file_is_named_and_nothing_is_previewed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "patients.csv").write_text(HEADER + GOOD)
    (tmp_path / "appointments.csv").write_text("appointment_id,patient_id\nA1,P1\n")
    code, out, err = preview(tmp_path, capsys)
    assert (code, out) == (2, "")
    assert "appointments.csv: no starts_at, category, status column" in err


def test_the_console_speaks_in_sentences_and_tables() -> None:
    from reactivation_tools import console

    assert console.plural(1, "holdout patient") == "1 holdout patient"
    assert console.plural(3, "reply", "replies") == "3 replies"
    assert console.counts({"recall_due": 5, "no_channel": 1}) == "5 recall_due, 1 no_channel"
    assert console.counts({}) == "none"
    assert console.table(("to", "text"), [("+1212", "Hi"), ("+1", "Yo")]).splitlines() == [
        "to     text", "+1212  Hi", "+1     Yo",
    ]  # fmt: skip
    lines = console.stack_lines(
        {"moto": "http://127.0.0.1:5055", "api": "http://127.0.0.1:3055", "schedules": ["A"],
         "resources": {"T": {"type": "AWS::DynamoDB::Table"}, "Q": {"type": "AWS::SQS::Queue"},
                       "R": {"type": "AWS::SQS::Queue"}},
         "outputs": {"InboundSmsWebhookUrl": "http://127.0.0.1:3055/sms"}, "logs": "/x/logs"},
        ".local/stack.json",
    )  # fmt: skip
    assert len(lines) <= 8 and "Ctrl-C stops it" in lines[-1]
    assert "1 dynamodb, 2 SQS queues; 1 schedule" in lines[1]
    assert console.fired_lines("X", {"ok": True, "payload": {"units": 2, "by": {"a": 1}}}) == [
        "X fired: the function ran", "  units: 2", "  by: 1 a",
        "  `reactivation local drain` feeds the queued work to the functions",
    ]  # fmt: skip


def test_import_given_a_file_for_the_folder_says_so_before_uploading(tmp_path: Path) -> None:
    from reactivation.domain.imports import ExportRef
    from reactivation_tools.exports import ExportDirectoryError, upload_export

    (tmp_path / "patients.csv").write_text(HEADER + GOOD)
    with pytest.raises(ExportDirectoryError, match="is a file: give the folder"):
        upload_export(None, ExportRef("bright-smile", "x"), tmp_path / "patients.csv")  # type: ignore[arg-type]
