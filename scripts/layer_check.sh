#!/usr/bin/env bash
# Builds the shared layer with the same Makefile `sam build` uses (for this machine's platform
# instead of arm64), then imports every handler with only the layer and a bare boto3 on the
# path, as the Lambda runtime would. Prints the layer's installed size.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python="$root/.venv/bin/python"
boto3_pin="$(grep -E '^boto3==' "$root/requirements-dev.txt")"

make --no-print-directory -C "$root/layers/shared" build-SharedLayer \
  ARTIFACTS_DIR="$work/layer" ARCH="$(uname -m)" PYTHON="$python"
# Only what runs in Lambda ships: the tools package (CLI, local stack, demo, preview) stays out.
if [ -e "$work/layer/python/reactivation_tools" ] || [ -e "$work/layer/python/reactivation/cli.py" ] \
  || [ -e "$work/layer/python/reactivation/local" ]; then
  echo "layer check: the layer holds tools" >&2
  exit 1
fi
echo "layer check: the layer holds the production package alone (no reactivation_tools)"
"$python" -m venv "$work/runtime"
"$work/runtime/bin/python" -m pip install --quiet --disable-pip-version-check "$boto3_pin"

cat > "$work/probe.py" <<'PROBE'
import importlib.util, sys
layer, app = sys.argv[1], sys.argv[2]
sys.path.insert(0, layer)
spec = importlib.util.spec_from_file_location("app", app)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
assert callable(module.lambda_handler)
assert not {"moto", "yaml", "pytest", "reactivation_tools"} & set(sys.modules), "a dev dependency leaked into the layer"
from datetime import date
from reactivation.domain.sending import is_us_federal_holiday, number_timezones
assert is_us_federal_holiday(date(2026, 11, 26)), "holiday data missing from the layer"
assert number_timezones("+18085550134") == ("Pacific/Honolulu",), "area-code zones missing"
PROBE

for function in $(ls "$root/functions"); do
  # The function's environment as template.yaml gives it (stand-in resource names).
  environment="$("$python" -m reactivation_tools.local.environment "$function" "$root")"
  (
    eval "$environment"
    PYTHONPATH="$work/layer/python" AWS_DEFAULT_REGION=us-east-1 \
      "$work/runtime/bin/python" -I "$work/probe.py" "$work/layer/python" \
      "$root/functions/$function/app.py"
  )
  echo "layer check: $function handler imports from the layer alone"
done
echo "layer check: installed size $(du -sh "$work/layer" | cut -f1) ($(uname -m) build of the arm64 layer's pins)"
