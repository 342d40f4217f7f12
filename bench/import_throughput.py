"""Import throughput and peak memory on a generated export (default: 100,000 patients and
1,000,000 appointments, the size issue #3 asks to fit in Lambda's limits).

Two measurements:
  parse  the pure step alone: the file streamed in 1 MiB chunks as from S3, each row validated
         and normalised (phones with phonenumbers), in a fresh process whose peak RSS is read;
  stack  the whole path on the local stack: upload to the imports bucket, S3 -> EventBridge ->
         import queue -> IngestFunction (its own process, its real 900 s timeout, handing on
         to a fresh invocation when time runs short), batch writes into moto's DynamoDB.

Run: `.venv/bin/python bench/import_throughput.py [--patients N] [--appointments N]
[--mode parse|stack|both]`. Prints rows per second, peak memory and the import's counts.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AREA_CODES = ("212", "312", "415", "512", "602", "713", "808", "917", "206", "305")
FIRST = ("Ana", "Ben", "Cleo", "Dev", "Eva", "Fay", "Gus", "Hana", "Ivan", "June", "Kai", "Lena")
LAST = ("Lopez", "Okafor", "Marsh", "Patel", "Stone", "Nguyen", "Kim", "Silva", "Novak", "Reyes")
CATEGORIES = ("hygiene", "exam", "restorative", "treatment", "consultation")
STATUSES = ("completed",) * 7 + ("cancelled", "no_show", "scheduled")


def generate(directory: Path, patients: int, appointments: int, seed: int = 7) -> None:
    """Writes the export row by row (never whole in memory)."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    with (directory / "patients.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["patient_id", "first_name", "last_name", "mobile", "email", "sms_opt_in",
                         "marketing_opt_in", "language", "membership_status"])  # fmt: skip
        for n in range(patients):
            phone = f"({rng.choice(AREA_CODES)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
            writer.writerow([f"P{n:07d}", rng.choice(FIRST), rng.choice(LAST), phone,
                             f"patient{n}@example.com", rng.choice(("", "yes", "no")),
                             rng.choice(("", "yes")), rng.choice(("en", "en", "es")),
                             rng.choice(("none", "active", "cancelled"))])  # fmt: skip
    start = datetime(2023, 11, 1, 8, 0, tzinfo=UTC)
    with (directory / "appointments.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["appointment_id", "patient_id", "starts_at", "category", "status",
                         "provider", "revenue"])  # fmt: skip
        for n in range(appointments):
            status = rng.choice(STATUSES)
            moment = start + timedelta(minutes=30 * rng.randint(0, 52_000))
            revenue = f"{rng.randint(90, 1400)}.00" if status == "completed" else ""
            writer.writerow([f"A{n:08d}", f"P{rng.randrange(patients):07d}",
                             moment.strftime("%Y-%m-%dT%H:%M"), rng.choice(CATEGORIES), status,
                             rng.choice(("Dr. Kim", "Dr. Silva", "")), revenue])  # fmt: skip
    (directory / "plans.csv").write_text(
        "plan_id,patient_id,kind,category,created_on,due_on,sessions_planned,sessions_completed,"
        "status\n"
        + "".join(
            f"PL{n:07d},P{n:07d},treatment_plan,restorative,3/4/2026,,,,open\n"
            for n in range(0, patients, 10)
        ),
        encoding="utf-8",
    )


PARSE = """
import resource, sys, time
from pathlib import Path
from reactivation.adapters.imports import decoded_lines
from reactivation.domain.importing import ExportFile, ImportSettings, stream_file

def chunks(path):
    with open(path, "rb") as f:
        while block := f.read(1024 * 1024):
            yield block

directory, settings = Path(sys.argv[1]), ImportSettings(timezone="America/New_York")
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
accepted, rows, rejected = set(), 0, 0
for file in ExportFile:
    known = None if file is ExportFile.PATIENTS else accepted
    lines = decoded_lines(chunks(directory / file.value))
    for outcome in stream_file(file, lines, settings, known).outcomes:
        rows += 1
        if outcome.model is None:
            rejected += 1
        elif file is ExportFile.PATIENTS:
            accepted.add(outcome.model.patient_id)
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(rows, rejected, elapsed, baseline // 1024, peak // 1024)
"""


def measure_parse(directory: Path) -> None:
    result = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [sys.executable, "-c", PARSE, str(directory)], capture_output=True, text=True, check=True
    )
    rows, rejected, elapsed, baseline, peak = result.stdout.split()
    print(f"parse only: {int(rows):,} rows ({int(rejected):,} rejected) in {float(elapsed):.1f} s "
          f"= {int(rows) / float(elapsed):,.0f} rows/s; peak RSS {peak} MB "
          f"(interpreter and imports: {baseline} MB)")  # fmt: skip


def measure_stack(directory: Path, rows: int) -> None:
    from reactivation.adapters.imports import ExportStore, ImportRepository
    from reactivation.adapters.practices import PracticeRepository
    from reactivation.domain.imports import ExportRef, ImportStatus
    from reactivation_tools.exports import upload_export
    from reactivation_tools.local.demo import PRACTICE
    from reactivation_tools.local.stack import LocalStack

    with (
        tempfile.TemporaryDirectory() as state,
        LocalStack(ROOT / "template.yaml", Path(state)) as stack,
    ):
        dynamodb, table = stack.client("dynamodb"), stack.outputs["PracticeTableName"]
        PracticeRepository(dynamodb, table).save(PRACTICE)
        ref = ExportRef(PRACTICE.practice_id, "bench")
        started = time.perf_counter()
        upload_export(ExportStore(stack.client("s3"), stack.outputs["ImportsBucketName"]), ref,
                      directory)  # fmt: skip
        uploaded = time.perf_counter()
        worker = stack.workers["IngestFunction"]
        imports = ImportRepository(dynamodb, table)
        peak_kb, timed_out = 0, 0

        def drain() -> int:
            stack.drain()
            if worker._process is None:  # the ingest process's own peak, as Lambda counts it
                return 0
            status = Path(f"/proc/{worker._process.pid}/status").read_text()
            return int(next(x for x in status.splitlines() if x.startswith("VmHWM")).split()[1])

        peak_kb = drain()
        while (record := imports.get(ref)) is None or record.status is not ImportStatus.COMPLETED:
            # An invocation ran out of time (or crashed) before handing on: as on AWS, its
            # message comes round again once the queue's visibility timeout has passed, and
            # the import resumes from its last checkpoint.
            timed_out += 1
            if timed_out > 10:
                break
            stack.advance(timedelta(seconds=961))
            peak_kb = max(peak_kb, drain())
        elapsed = time.perf_counter() - uploaded
        log = (Path(state) / "logs" / "IngestFunction.log").read_text()
        handed_on = log.count('"status":"continued"')
        assert record is not None and record.status is ImportStatus.COMPLETED, record
        print(f"local stack: upload {uploaded - started:.1f} s; import {elapsed:.1f} s = "
              f"{rows / elapsed:,.0f} rows/s; ingest function peak RSS {peak_kb // 1024} MB; "
              f"handed on to a fresh invocation {handed_on} times, resumed after a timeout "
              f"{timed_out} times")  # fmt: skip
        print("  " + record.summary().replace("\n", "\n  "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--appointments", type=int, default=1_000_000)
    parser.add_argument("--mode", choices=("parse", "stack", "both"), default="both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        directory = Path(work)
        started = time.perf_counter()
        generate(directory, args.patients, args.appointments)
        size = sum(f.stat().st_size for f in directory.iterdir()) / 1e6
        rows = args.patients + args.appointments + len(range(0, args.patients, 10))
        print(
            f"export: {args.patients:,} patients, {args.appointments:,} appointments, "
            f"{rows:,} rows, {size:.0f} MB (generated in {time.perf_counter() - started:.0f} s)"
        )
        if args.mode in ("parse", "both"):
            measure_parse(directory)
        if args.mode in ("stack", "both"):
            measure_stack(directory, rows)
    print(f"bench process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")


if __name__ == "__main__":
    main()
