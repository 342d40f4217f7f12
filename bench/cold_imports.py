"""Cold init of each handler beside the bare import set, measured in the same run.

A fresh Python loads the handler module as Lambda would (imports and module-level work:
settings, boto3 clients, whatever else the module does at import), timed from inside the
process, in Lambda's environment (see `_environment`); the same number of fresh processes
import the bare set every handler starts from (boto3, pydantic, jinja2 and Powertools) and
build one boto3 client. The runs are interleaved (each round measures the bare set, then
every handler), so that a machine that slows down or speeds up during the run moves both
sides alike. Prints the median of each (wall time, and CPU time: a shared machine's load
moves it least), and each handler's ratios to the bare set (at or under 1.00: the goal of
issue #23) and to the least a handler of this project's shape loads (FLOOR_PROBE).

`--imports FUNCTION` lists that handler's costliest imports (`-X importtime`, one run).

Run: `make bench` (or `python bench/cold_imports.py --runs 9`).
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

from reactivation_tools.local.environment import offline_specs

ROOT = Path(__file__).resolve().parent.parent
# Loads the handler as the Lambda runtime does (and as scripts/layer_check.sh does): from
# its file, without importing anything of the tools package first.
HANDLER_PROBE = """
import time
start, cpu = time.perf_counter(), time.process_time()
import importlib.util, sys
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
getattr(module, sys.argv[2])
print(f"{(time.perf_counter() - start) * 1000:.1f} {(time.process_time() - cpu) * 1000:.1f}")
"""
# The bare import set of issue #23: boto3, pydantic, jinja2, Powertools and one client.
BARE_PROBE = """
import time
start, cpu = time.perf_counter(), time.process_time()
import boto3, pydantic, jinja2
from aws_lambda_powertools import Logger, Metrics, Tracer
boto3.client("dynamodb")
print(f"{(time.perf_counter() - start) * 1000:.1f} {(time.process_time() - cpu) * 1000:.1f}")
"""
BARE = "(bare import set)"
# The least a handler of this project's shape can load, measured beside it: the bare set
# without Jinja2 (only the report and the inbox render at cold start), with what every
# handler does at init: one pydantic model built and used (its event or its settings; a
# bare `import pydantic` is lazy and loads almost none of it), Powertools' logger, metrics
# and tracer made (the tracer loads the X-Ray SDK and patches botocore, as `Tracing: Active`
# has it), and one client.
FLOOR_PROBE = """
import time
start, cpu = time.perf_counter(), time.process_time()
import boto3, pydantic
from aws_lambda_powertools import Logger, Metrics, Tracer
class Settings(pydantic.BaseModel):
    table: str
Settings(table="t")
Logger(service="s"), Metrics(namespace="n", service="s")
Tracer(service="s", patch_modules=("botocore",))
boto3.client("dynamodb")
print(f"{(time.perf_counter() - start) * 1000:.1f} {(time.process_time() - cpu) * 1000:.1f}")
"""
FLOOR = "(least of our shape)"


def our_bytecode() -> None:
    """Our modules' bytecode written beside them as an interpreter writes it at a first
    import, before anything is timed. A machine that sets PYTHONDONTWRITEBYTECODE (this one
    does) never writes it, and then every fresh process compiles again each module edited
    since it was last written: the bench would time that compile as the code's own cost,
    which no installed copy pays after its first run (nor a layer, which ships it)."""
    for folder in ("layers/shared/reactivation", "tools/reactivation_tools", "functions"):
        compileall.compile_dir(ROOT / folder, quiet=1)


def environments() -> dict[str, tuple[Path, str, dict[str, str]]]:
    """Each function's handler file, handler name and template environment."""
    found = {}
    for name, spec in offline_specs(ROOT / "template.yaml").items():
        module_name, _, function_name = spec.handler.rpartition(".")
        location = spec.code_dir / f"{module_name.replace('.', '/')}.py"
        found[name] = (location, function_name, dict(spec.environment))
    return found


def _environment(extra: dict[str, str]) -> dict[str, str]:
    """The function's variables, and Lambda's own: with LAMBDA_TASK_ROOT the X-Ray SDK and
    Powertools take their Lambda paths (tracing on, as `Tracing: Active` has it; outside
    Lambda the SDK would build a sampler with its own botocore client, which Lambda never
    does). Nothing is sent at init."""
    environment = {key: value for key, value in os.environ.items() if "POWERTOOLS" not in key}
    return {
        **environment,
        **extra,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "LAMBDA_TASK_ROOT": str(ROOT),
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
    }


def run_probe(args: list[str], environment: dict[str, str], *, importtime: bool = False) -> str:
    flags = ["-X", "importtime"] if importtime else []
    result = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [sys.executable, *flags, "-c", *args],
        env=_environment(environment),
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stderr if importtime else result.stdout


def measure(name: str, probes: dict[str, tuple[list[str], dict[str, str]]]) -> tuple[float, float]:
    """(wall, CPU) milliseconds of one cold init in a fresh process."""
    args, environment = probes[name]
    wall, cpu = run_probe(args, environment).strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def costliest_imports(args: list[str], environment: dict[str, str], most: int) -> list[str]:
    """The top-level packages a handler imports, by their cumulative `-X importtime`."""
    stderr = run_probe(args, environment, importtime=True)
    rows = re.findall(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", stderr, re.MULTILINE)
    top = sorted(((int(us), name) for us, name in rows if not name.startswith(" ")), reverse=True)
    return [f"{us / 1000:>8.1f} ms  {name}" for us, name in top[:most]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--imports", metavar="FUNCTION", help="list this handler's imports")
    args = parser.parse_args()
    probes: dict[str, tuple[list[str], dict[str, str]]] = {
        BARE: ([BARE_PROBE], {}),
        FLOOR: ([FLOOR_PROBE], {}),
    }
    for name, (location, function, environment) in environments().items():
        probes[name] = ([HANDLER_PROBE, str(location), function], environment)
    if args.imports:
        print("\n".join(costliest_imports(*probes[args.imports], most=25)))
        return
    our_bytecode()
    for name in probes:  # once untimed: the files in the page cache
        measure(name, probes)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in probes}
    for _ in range(args.runs):
        for name in probes:
            times[name].append(measure(name, probes))
    wall = {name: statistics.median(w for w, _ in runs) for name, runs in times.items()}
    cpu = {name: statistics.median(c for _, c in runs) for name, runs in times.items()}
    print(f"python {sys.version.split()[0]}, {args.runs} fresh processes each, interleaved; median")
    print(f"{'':<26} {'wall ms':>9} {'ratio':>6}  {'CPU ms':>9} {'ratio':>6} {'to least':>9}")
    for name in times:
        print(f"{name:<26} {wall[name]:>9.1f} {wall[name] / wall[BARE]:>6.2f}  "
              f"{cpu[name]:>9.1f} {cpu[name] / cpu[BARE]:>6.2f} "
              f"{cpu[name] / cpu[FLOOR]:>9.2f}")  # fmt: skip
    print("ratio: to the bare import set's; to least: CPU beside the least a handler of this")
    print("project's shape loads (pydantic used, Powertools' tracer made, no Jinja2). CPU time")
    print("(user and system) is what a busy machine moves least: on a shared one, compare it.")


if __name__ == "__main__":
    main()
