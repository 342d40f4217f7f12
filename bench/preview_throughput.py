"""Preview time and peak memory beside a plain reading of the spec, on one generated practice.

Generates a practice's export (default: 20,000 patients and 200,000 appointments, and about
4,000 plans; a fixed seed, so every run reads the same files) that exercises every campaign,
every exclusion and every kind of bad row, then runs, each in a fresh process:

  project    `reactivation preview DIR --as-of 2026-11-24`, as a practice would;
  reference  `bench/reference_segmentation.py` on the same files: the csv module and plain
             dicts, no pydantic, no tuning (the baseline of issue #23);

Our modules' bytecode is written first (`cold_imports.our_bytecode`), as an installed copy
has it after its first run. Prints their wall time and peak RSS (the child's own ru_maxrss)
side by side, and the number of patients on which their answers disagree (there should be
none).

Run: `.venv/bin/python bench/preview_throughput.py [--patients N] [--appointments N]
[--vertical dental] [--repeat N] [--export rich|import] [--keep DIR]`. `--export import` reads
the export bench/import_throughput.py generates instead (fewer columns; what issue #23 timed).
`--keep DIR` keeps the export in DIR, and a later run with the same DIR reads it again.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from cold_imports import our_bytecode
from import_throughput import generate as generate_import_export

AS_OF = date(2026, 11, 24)
BENCH = Path(__file__).resolve().parent
AREA_CODES = ("212", "312", "415", "512", "602", "713", "808", "917", "206", "305")
FIRST = ("Ana", "Ben", "Cleo", "Dev", "Eva", "Fay", "Gus", "Hana", "Ivan", "June", "Kai", "Lena")
LAST = ("Lopez", "Okafor", "Marsh", "Patel", "Stone", "Nguyen", "Kim", "Silva", "Novak", "Reyes")
CATEGORIES = ("hygiene",) * 5 + ("exam",) * 3 + (
    "restorative", "treatment", "neurotoxin", "neurotoxin", "filler", "laser", "body_contouring",
    "facial", "consultation", "skin_check", "medical_derm", "cosmetic_other", "other",
)  # fmt: skip
STATUSES = ("completed",) * 15 + ("cancelled", "cancelled", "no_show", "no_show", "scheduled")
PLAN_KINDS = ("treatment_plan", "follow_up", "series", "consultation", "chronic_review",
              "surveillance")  # fmt: skip
DUE_KINDS = ("follow_up", "chronic_review", "surveillance")
PLAN_STATUSES = ("open",) * 6 + ("scheduled", "completed", "declined")
BOOLEANS = ("", "", "", "yes", "Yes", "y", "true", "1", "no", "N", "false", "0")


def _day(rng: random.Random, days: int) -> str:
    """A date `days` before the run date, in either of the format's forms."""
    value = AS_OF - timedelta(days=days)
    return value.isoformat() if rng.random() < 0.7 else f"{value.month}/{value.day}/{value.year}"


def _mobile(rng: random.Random) -> str:
    area, exchange, line = rng.choice(AREA_CODES), rng.randint(200, 999), rng.randint(0, 9999)
    form = rng.random()
    if form < 0.04:
        return rng.choice(("555-0134", "12345", f"(015) {exchange}-{line:04d}", "call me"))
    if form < 0.12:
        return ""
    if form < 0.45:
        return f"({area}) {exchange}-{line:04d}"
    if form < 0.7:
        return f"+1 {area} {exchange} {line:04d}"
    if form < 0.9:
        return f"{area}{exchange}{line:04d}"
    return f"{area}.{exchange}.{line:04d}"


def _patient(rng: random.Random, n: int) -> list[str]:
    email = rng.random()
    membership = rng.choice(("", "none", "active", "cancelled", "Active", "CANCELLED"))
    row = [
        f"P{n:07d}", rng.choice(FIRST), rng.choice(LAST), _mobile(rng),
        f"patient{n}@example.com" if email < 0.7 else ("patient@" if email < 0.73 else ""),
        rng.choice(BOOLEANS), rng.choice(BOOLEANS),
        rng.choice(("", "yes", "yes", "no")),
        "yes" if rng.random() < 0.02 else rng.choice(("", "no")),
        "yes" if rng.random() < 0.01 else "",
        rng.choice(("",) * 8 + ("America/Chicago", "Europe/Nowhere")),
        rng.choice(("en", "en", "", "es", "ES", "fr")),
        membership,
        _day(rng, rng.randint(0, 400)) if membership.lower() == "cancelled" else "",
        _day(rng, rng.randint(-60, 20)) if membership.lower() == "active" else "",
        _day(rng, rng.randint(-2, 60)) if rng.random() < 0.04 else "",
        rng.choice(("", "web", "phone", "referral")),
    ]  # fmt: skip
    bad = rng.random()
    if bad < 0.002:
        row[1] = ""  # missing first_name
    elif bad < 0.004:
        row[5] = "maybe"  # not yes/no
    elif bad < 0.006:
        row[15] = "2026-02-30"  # not a real date
    elif bad < 0.007:
        row[12] = "gold"  # not a membership status
    return row


def generate_rich(directory: Path, patients: int, appointments: int, seed: int = 23) -> None:
    """Writes the three files row by row (never whole in memory)."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    leads = set()  # prospects: never an appointment
    with (directory / "patients.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Patient_ID", "first_name", "last_name", "mobile", "email", "sms_opt_in",
                         "email_opt_in", "marketing_opt_in", "do_not_contact", "deceased",
                         "timezone", "language", "membership_status", "membership_ended_on",
                         "benefits_expire_on", "lead_created_on", "lead_source"])  # fmt: skip
        for n in range(patients):
            row = _patient(rng, n)
            if row[15] and rng.random() < 0.8:
                leads.add(n)
            if rng.random() < 0.001 and n:
                row[0] = f"P{n - 1:07d}"  # a duplicate id
            writer.writerow(row)
    visited = [n for n in range(patients) if n not in leads]
    # Each patient's care ends somewhere in the last five years (or runs on: a visit ahead).
    last_seen = {n: rng.randint(-45, 1800) for n in visited}
    run_start = datetime.combine(AS_OF, datetime.min.time())
    with (directory / "appointments.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["appointment_id", "patient_id", "starts_at", "category", "status",
                         "provider", "revenue"])  # fmt: skip
        for n in range(appointments):
            patient = rng.choice(visited)
            days = last_seen[patient] + int(rng.expovariate(1 / 200))
            moment = run_start - timedelta(days=days) + timedelta(minutes=30 * rng.randint(14, 40))
            status = "scheduled" if days < 0 else rng.choice(STATUSES)
            stamp = moment.strftime("%Y-%m-%dT%H:%M")
            form = rng.random()
            if form < 0.05:  # an instant with its offset (UTC): its date is the practice's
                stamp = (moment + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
            elif form < 0.1:
                stamp = moment.strftime("%Y-%m-%d %H:%M:%S")
            row = [f"A{n:08d}", f"P{patient:07d}", stamp, rng.choice(CATEGORIES), status,
                   rng.choice(("Dr. Kim", "Dr. Silva", "")),
                   f"{rng.randint(90, 1400)}.00" if status == "completed" else ""]  # fmt: skip
            bad = rng.random()
            if bad < 0.001:
                row[2] = f"{moment.month}/{moment.day}/{moment.year}"  # not ISO
            elif bad < 0.002:
                row[3] = "cleaning"  # not a category
            elif bad < 0.003:
                row[1] = f"P{patients + 5:07d}"  # not in patients.csv
            elif bad < 0.0035:
                row[4] = ""  # missing status
            writer.writerow(row)
    with (directory / "plans.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["plan_id", "patient_id", "kind", "category", "created_on", "due_on",
                         "sessions_planned", "sessions_completed", "status"])  # fmt: skip
        for n in range(patients // 5):
            kind = rng.choice(PLAN_KINDS)
            due = _day(rng, rng.randint(-60, 420)) if kind in DUE_KINDS else ""
            planned = rng.randint(1, 6) if kind == "series" else None
            row = [f"PL{n:07d}", f"P{rng.randrange(patients):07d}", kind,
                   rng.choice(("", *CATEGORIES)), _day(rng, rng.randint(0, 400)), due,
                   "" if planned is None else str(planned),
                   "" if planned is None else str(rng.randint(0, planned)),
                   rng.choice(PLAN_STATUSES)]  # fmt: skip
            if rng.random() < 0.005:
                row[5 if kind == "follow_up" else 4] = ""  # missing due_on / created_on
            writer.writerow(row)


def measure(command: list[str], output: Path) -> tuple[float, float, int]:
    """Wall time (s), CPU time (s: user + system, steadier than wall time on a shared
    machine) and peak RSS (MB) of the command in a fresh process, its stdout to a file."""
    with output.open("w") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL)  # noqa: S603
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command[2]} failed with exit code {process.returncode}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024


def answers(path: Path) -> dict[str, tuple[object, ...]]:
    with path.open() as lines:
        return {
            d["patient_id"]: (d["campaign"], d["skip"], d["channel"], d["holdout"])
            for d in map(json.loads, lines)
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--appointments", type=int, default=200_000)
    parser.add_argument("--vertical", choices=("dental", "medspa", "dermatology"))
    parser.add_argument("--repeat", type=int, default=1, help="runs of each (median printed)")
    parser.add_argument("--export", choices=("rich", "import"), default="rich")
    parser.add_argument(
        "--keep", type=Path, help="write the export here and keep it (a later run reads it again)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        directory = args.keep or Path(work)
        directory.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        if args.keep and (args.keep / "patients.csv").is_file():  # kept from a run before
            made = f"read again from {directory}"
        else:
            if args.export == "rich":
                generate_rich(directory, args.patients, args.appointments)
            else:
                generate_import_export(directory, args.patients, args.appointments)
            made = f"generated in {time.perf_counter() - started:.1f} s"
        rows = {
            f.name: sum(1 for _ in f.open(encoding="utf-8")) - 1 for f in directory.glob("*.csv")
        }
        print(f"export ({args.export}; {made}): {rows.get('patients.csv', 0):,} patients, "
              f"{rows.get('appointments.csv', 0):,} appointments, {rows.get('plans.csv', 0):,} "
              f"plans; as of {AS_OF}, {args.vertical or 'every campaign'}")  # fmt: skip
        options = ["--as-of", AS_OF.isoformat()] + (
            ["--vertical", args.vertical] if args.vertical else []
        )
        our_bytecode()  # as an installed copy has it after its first run
        commands = {
            "project preview": [sys.executable, "-m", "reactivation_tools.cli", "preview",
                                str(directory), *options],
            "plain reference": [sys.executable, str(BENCH / "reference_segmentation.py"),
                                str(directory), *options],
        }  # fmt: skip
        figures: dict[str, list[tuple[float, float, int]]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, command in commands.items():
                figures[name].append(measure(command, Path(work) / f"{name}.jsonl"))
        print(f"{'':<18}{'wall s':>8}{'CPU s':>8}{'peak RSS MB':>13}")
        for name, runs in figures.items():
            wall = statistics.median(w for w, _, _ in runs)
            cpu = statistics.median(c for _, c, _ in runs)
            rss = statistics.median(r for _, _, r in runs)
            print(f"{name:<18}{wall:>8.2f}{cpu:>8.2f}{rss:>13.0f}")
        # Each round ran both back to back: their ratio in a round moves less with a machine
        # that speeds up and slows down between rounds than either median does.
        ratios = sorted(
            ours[1] / theirs[1]
            for ours, theirs in zip(*figures.values(), strict=True)  # project, then reference
        )
        quartiles = (
            statistics.quantiles(ratios, n=4, method="inclusive") if len(ratios) > 1 else ratios * 3
        )
        print(f"CPU, project / reference, each round: median {statistics.median(ratios):.2f}, "
              f"middle half {quartiles[0]:.2f}-{quartiles[2]:.2f}, all {ratios[0]:.2f}-"
              f"{ratios[-1]:.2f} ({len(ratios)} rounds)")  # fmt: skip
        ours = answers(Path(work) / "project preview.jsonl")
        theirs = answers(Path(work) / "plain reference.jsonl")
        differ = sorted(p for p in ours.keys() | theirs.keys() if ours.get(p) != theirs.get(p))
        print(f"disagreements: {len(differ)} of {len(ours | theirs):,} patients")
        for patient_id in differ[:10]:
            print(f"  {patient_id}: project {ours.get(patient_id)}, "
                  f"reference {theirs.get(patient_id)}")  # fmt: skip
        tally: dict[str, int] = {}
        for campaign, skip, _, _ in ours.values():
            tally[str(campaign or skip)] = tally.get(str(campaign or skip), 0) + 1
        print("answers: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.items())))


if __name__ == "__main__":
    main()
