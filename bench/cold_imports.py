"""Cold start of each handler: a fresh Python imports the module as Lambda would (median of runs).

Prints, per function, the median wall time of loading the handler (imports, settings, boto3
clients: everything that runs at cold start) and the median of `-X importtime`'s total.
Run: `make bench` (or `python bench/cold_imports.py --runs 9`).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

from reactivation_tools.local.environment import offline_specs

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import sys, time
start = time.perf_counter()
from reactivation_tools.local.runtime import load_handler
load_handler(__import__("pathlib").Path(sys.argv[1]), sys.argv[2], "bench")
print(f"{(time.perf_counter() - start) * 1000:.1f}")
"""


def environments() -> dict[str, tuple[Path, str, dict[str, str]]]:
    return {
        name: (spec.code_dir, spec.handler, dict(spec.environment))
        for name, spec in offline_specs(ROOT / "template.yaml").items()
    }


def measure(code_dir: Path, handler: str, environment: dict[str, str]) -> tuple[float, float]:
    env = {
        **os.environ,
        **environment,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [sys.executable, "-X", "importtime", "-c", PROBE, str(code_dir), handler],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = float(result.stdout.strip().splitlines()[-1])
    # top-level imports (no leading spaces in the name column) add up to the whole import time
    top = re.findall(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", result.stderr, re.MULTILINE)
    imports_us = sum(int(cumulative) for cumulative, name in top if not name.startswith(" "))
    return wall, imports_us / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {args.runs} runs each, median")
    print(f"{'function':<18} {'cold init ms':>13} {'imports ms (-X importtime)':>28}")
    for name, (code_dir, handler, environment) in environments().items():
        runs = [measure(code_dir, handler, environment) for _ in range(args.runs)]
        wall = statistics.median(r[0] for r in runs)
        imports = statistics.median(r[1] for r in runs)
        print(f"{name:<18} {wall:>13.1f} {imports:>28.1f}")


if __name__ == "__main__":
    main()
