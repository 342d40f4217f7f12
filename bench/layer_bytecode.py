"""Cold init of each handler from its built layers, with the bytecode the layers ship and
without it, measured in the same run.

Lambda's /opt is read-only: a layer module without its bytecode is compiled again at every
cold start. The layers are built as `sam build` builds them (layers/shared/Makefile, for this
machine's platform), and a copy of each is made without its `__pycache__` folders. Each
handler is then loaded in a fresh Python as Lambda loads it: its layers (template.yaml's, in
order) first on the path, boto3 from the runtime (here this virtualenv's, compiled, as the
Lambda runtime's is), in Lambda's environment, writing no bytecode (PYTHONDONTWRITEBYTECODE:
/opt is read-only). The runs are interleaved (with, then without, for each handler in each
round). Prints the medians (wall and CPU milliseconds) and the layers' sizes with and without.

Run: `python bench/layer_bytecode.py --runs 5`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from cold_imports import _environment, environments

from reactivation_tools.local.template import Template

ROOT = Path(__file__).resolve().parent.parent
# The layers first on the path, as /opt/python is in Lambda; the handler from its file.
PROBE = """
import time
start, cpu = time.perf_counter(), time.process_time()
import importlib.util, sys
sys.path[:0] = sys.argv[1].split(":")
spec = importlib.util.spec_from_file_location("app", sys.argv[2])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
getattr(module, sys.argv[3])
layers = tuple(sys.argv[1].split(":"))
for name in ("pydantic", "aws_lambda_powertools", "reactivation"):  # the layer's, not ours
    assert sys.modules[name].__file__.startswith(layers), name
print(f"{(time.perf_counter() - start) * 1000:.1f} {(time.process_time() - cpu) * 1000:.1f}")
"""


def build_layers(work: Path) -> dict[str, Path]:
    """Every layer of template.yaml built into `work` as `sam build` does; its python folder."""
    built = {}
    for layer in Template.load(ROOT / "template.yaml").of_type("AWS::Serverless::LayerVersion"):
        subprocess.run(  # noqa: S603 - make, with our own Makefile
            ["make", "--no-print-directory", "-C", str(ROOT / "layers" / "shared"),  # noqa: S607
             f"build-{layer}", f"ARTIFACTS_DIR={work / layer}", f"ARCH={os.uname().machine}",
             f"PYTHON={sys.executable}"],
            check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        built[layer] = work / layer / "python"
    return built


def function_layers() -> dict[str, list[str]]:
    """Each function's layers (logical ids), in template.yaml's order, Globals' first."""
    template = Template.load(ROOT / "template.yaml")
    return {
        logical_id: [layer["Ref"] for layer in
                     template.function_properties(logical_id).get("Layers", [])]
        for logical_id in template.of_type("AWS::Serverless::Function")
    }  # fmt: skip


def size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        compiled = build_layers(work / "compiled")
        stripped = {}
        for layer, folder in compiled.items():
            stripped[layer] = work / "stripped" / layer / "python"
            shutil.copytree(folder, stripped[layer],
                            ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
        layers_of = function_layers()
        handlers = environments()
        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for _ in range(args.runs):
            for function, (location, handler, environment) in handlers.items():
                for kind, built in (("with", compiled), ("without", stripped)):
                    path = ":".join(str(built[layer]) for layer in layers_of[function])
                    result = subprocess.run(  # noqa: S603 - our own interpreter and probe
                        [sys.executable, "-c", PROBE, path, str(location), handler],
                        env={**_environment(environment), "PYTHONDONTWRITEBYTECODE": "1"},
                        capture_output=True,
                        text=True,
                        check=True,
                    )
                    wall_ms, cpu_ms = result.stdout.split()
                    times.setdefault((function, kind), []).append((float(wall_ms), float(cpu_ms)))
        print(f"cold init from the built layers, median of {args.runs} fresh processes (ms)")
        print(f"{'function':<24} {'with bytecode':>20} {'without':>20} {'CPU saved':>10}")
        for function in handlers:
            medians = {}
            for kind in ("with", "without"):
                runs = times[(function, kind)]
                medians[kind] = (statistics.median(w for w, _ in runs),
                                 statistics.median(c for _, c in runs))  # fmt: skip
            (wall, cpu), (wall_0, cpu_0) = medians["with"], medians["without"]
            print(f"{function:<24} {wall:>8.0f} wall {cpu:>5.0f} CPU {wall_0:>8.0f} wall "
                  f"{cpu_0:>5.0f} CPU {1 - cpu / cpu_0:>9.0%}")  # fmt: skip
        for layer in compiled:
            print(f"{layer}: {size(compiled[layer]) / 1e6:.1f} MB installed with its bytecode, "
                  f"{size(stripped[layer]) / 1e6:.1f} MB without")  # fmt: skip


if __name__ == "__main__":
    main()
