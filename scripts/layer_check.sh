#!/usr/bin/env bash
# Builds every layer of template.yaml with the same Makefile `sam build` uses (for this
# machine's platform instead of arm64), then imports every handler with only its layers (those
# template.yaml gives it) and a bare boto3 on the path, as the Lambda runtime would. Prints
# each layer's installed size.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python="$root/.venv/bin/python"
boto3_pin="$(grep -E '^boto3==' "$root/requirements-dev.txt")"

# Every layer of template.yaml (each is built by its target in layers/shared/Makefile).
layers="$("$python" - "$root/template.yaml" <<'LAYERS'
import sys
from pathlib import Path
from reactivation_tools.local.template import Template
print(" ".join(Template.load(Path(sys.argv[1])).of_type("AWS::Serverless::LayerVersion")))
LAYERS
)"
for layer in $layers; do
  # a make of its own (run from `make test -j 2`, the parent's job slots are not its to share)
  MAKEFLAGS= make --no-print-directory -C "$root/layers/shared" "build-$layer" \
    ARTIFACTS_DIR="$work/$layer" ARCH="$(uname -m)" PYTHON="$python"
done
# Only what runs in Lambda ships: the tools package (CLI, local stack, demo, preview) stays out.
if [ -e "$work/SharedLayer/python/reactivation_tools" ] \
  || [ -e "$work/SharedLayer/python/reactivation/cli.py" ] \
  || [ -e "$work/SharedLayer/python/reactivation/local" ]; then
  echo "layer check: the layer holds tools" >&2
  exit 1
fi
echo "layer check: the layer holds the production package alone (no reactivation_tools)"
# cryptography is in the SignatureLayer alone.
if [ -e "$work/SharedLayer/python/cryptography" ] || [ ! -e "$work/SignatureLayer/python/cryptography" ]; then
  echo "layer check: cryptography is not in the SignatureLayer alone" >&2
  exit 1
fi
# Each layer ships bytecode for every module, unchecked-hash (read-only /opt, zip timestamps).
"$python" - $(for layer in $layers; do echo "$work/$layer/python"; done) <<'BYTECODE'
import importlib.util, sys
from pathlib import Path
for root in map(Path, sys.argv[1:]):
    sources = list(root.rglob("*.py"))
    for source in sources:
        cached = Path(importlib.util.cache_from_source(str(source)))
        assert cached.exists(), f"{source}: no bytecode"
        flags = int.from_bytes(cached.read_bytes()[4:8], "little")
        assert flags == 0b01, f"{source}: bytecode not unchecked-hash (flags {flags})"
    print(f"layer check: {root.parent.name} ships the bytecode of its {len(sources)} modules (unchecked-hash)")
BYTECODE
# The runtime: the same Python with boto3 alone (compiled, as the Lambda runtime's is), by uv.
uv="$root/.venv/bin/uv"
"$uv" venv --quiet --python "$python" "$work/runtime"
"$uv" pip install --quiet --python "$work/runtime/bin/python" --compile-bytecode "$boto3_pin"

cat > "$work/probe.py" <<'PROBE'
import importlib.util, sys
layers, app, signatures = sys.argv[1], sys.argv[2], sys.argv[3] == "yes"
sys.path[:0] = layers.split(":")
spec = importlib.util.spec_from_file_location("app", app)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
assert callable(module.lambda_handler)
assert not {"moto", "yaml", "pytest", "reactivation_tools"} & set(sys.modules), "a dev dependency leaked into the layer"
from datetime import date
from reactivation.domain.sending import is_us_federal_holiday, number_timezones
assert is_us_federal_holiday(date(2026, 11, 26)), "holiday data missing from the layer"
assert number_timezones("+18085550134") == ("Pacific/Honolulu",), "area-code zones missing"
# cryptography is there exactly for the functions given the SignatureLayer.
assert (importlib.util.find_spec("cryptography") is not None) == signatures, "SignatureLayer"
if signatures:
    from reactivation import verification
PROBE

# Each function's layers, as template.yaml gives them (the Globals' and its own, in order).
"$python" - "$root/template.yaml" > "$work/function-layers" <<'LAYERS'
import sys
from pathlib import Path
from reactivation_tools.local.template import Template
template = Template.load(Path(sys.argv[1]))
for logical_id in template.of_type("AWS::Serverless::Function"):
    properties = template.function_properties(logical_id)
    code = Path(properties["CodeUri"]).name
    print(code, *(layer["Ref"] for layer in properties.get("Layers", [])))
LAYERS

# Every function's environment as template.yaml gives it (stand-in resource names), written in
# one Python: $work/environment/<folder>, export lines.
mkdir "$work/environment"
"$python" -m reactivation_tools.local.environment "$root" "$work/environment"

for function in $(ls "$root/functions"); do
  read -r -a given <<< "$(grep -E "^$function( |$)" "$work/function-layers" | cut -d' ' -f2-)"
  path="" signatures=no
  for layer in "${given[@]}"; do
    path="${path:+$path:}$work/$layer/python"
    [ "$layer" = SignatureLayer ] && signatures=yes
  done
  environment="$(cat "$work/environment/$function")"
  (
    eval "$environment"
    AWS_DEFAULT_REGION=us-east-1 "$work/runtime/bin/python" -I "$work/probe.py" "$path" \
      "$root/functions/$function/app.py" "$signatures"
  )
  echo "layer check: $function handler imports from its layers alone (${given[*]})"
done
for layer in $layers; do
  echo "layer check: $layer installed size $(du -sh "$work/$layer" | cut -f1) ($(uname -m) build of the arm64 layer's pins)"
done
