"""The weekly enrolment of a generated practice on the local stack: AWS requests per 1,000
patients (by service and operation, counted inside SegmentFunction's own processes with
botocore's before-call hook; planning included) and patients per second. Goal: at most 150
requests per 1,000 patients.

Run: `.venv/bin/python bench/segment_requests.py [--patients 1000] [--visits 10]`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta

from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.domain.patients import Appointment, Patient
from reactivation_tools.local import demo
from reactivation_tools.local.stack import LocalStack

ROOT = Path(__file__).resolve().parent.parent
#: Tuesday 2026-11-24 10:00 in Chicago, the generated practice's enrolment hour.
RUN = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


def generate(patients: int, visits: int) -> list[Any]:
    """Patients whose last visit was 3 to 14 months ago (about half are due for recall)."""
    records: list[Any] = []
    for n in range(patients):
        patient_id = f"T{n:06d}"
        records.append(Patient(patient_id=patient_id, first_name="Ana",
                               mobile=f"+1312{n % 800 + 200:03d}{n % 10000:04d}"))  # fmt: skip
        for visit in range(visits):
            records.append(Appointment(
                appointment_id=f"{patient_id}-{visit}", patient_id=patient_id,
                starts_at=RUN - relativedelta(months=(n % 12) + 3 + visit * 6),
                category="hygiene", status="completed", revenue=120.0,
            ))  # fmt: skip
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--visits", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        counts = Path(state) / "requests.jsonl"
        with LocalStack(ROOT / "template.yaml", Path(state), request_counts=counts) as stack:
            dynamodb, table = stack.client("dynamodb"), stack.outputs["PracticeTableName"]
            practice = demo.PRACTICE.model_copy(
                update={"practice_id": "generated", "timezone": "America/Chicago",
                        "holdout_percent": 10}
            )  # fmt: skip
            PracticeRepository(dynamodb, table).save(practice)
            records = generate(args.patients, args.visits)
            PatientRepository(dynamodb, table).save_all("generated", records)
            started = time.perf_counter()
            stack.fire("WeeklyEnrolment", at=RUN)
            stack.drain()  # the units, and then the send jobs they queued
            elapsed = time.perf_counter() - started
        segment: Counter[str] = Counter()
        invocations = 0
        for line in counts.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            if entry["function"].endswith("SegmentFunction"):
                segment.update(entry["requests"])
                invocations += 1
    total = sum(segment.values())
    print(f"weekly enrolment of {args.patients:,} patients ({args.visits} visits each) on the "
          f"local stack: {invocations} SegmentFunction invocations (the plan and its units), "
          f"{total} AWS requests = {total * 1000 / args.patients:.0f} per 1,000 patients: "
          f"{dict(sorted(segment.items()))}")  # fmt: skip
    print(f"  schedule fired to every send job delivered: {elapsed:.1f} s on moto")


if __name__ == "__main__":
    main()
