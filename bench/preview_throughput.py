"""Preview throughput and peak memory on a generated practice (default: 100,000 patients and
1,000,000 appointments; the goal is under 20 s on this machine).

Runs `reactivation preview DIR --as-of 2026-11-24 --vertical dental --summary` in a fresh
process, as a practice would, and prints its wall time, patients per second and peak RSS.
Run: `.venv/bin/python bench/preview_throughput.py [--patients N] [--appointments N]`.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from import_throughput import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--appointments", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        directory = Path(work)
        generate(directory, args.patients, args.appointments)
        command = [sys.executable, "-m", "reactivation_tools.cli", "preview", str(directory),
                   "--as-of", "2026-11-24", "--vertical", "dental", "--summary"]  # fmt: skip
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
        elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    rows = args.patients + args.appointments
    print(f"preview of {args.patients:,} patients and {args.appointments:,} appointments: "
          f"{elapsed:.1f} s = {args.patients / elapsed:,.0f} patients/s "
          f"({rows / elapsed:,.0f} rows/s); peak RSS {peak} MB")  # fmt: skip
    print(result.stdout)


if __name__ == "__main__":
    main()
