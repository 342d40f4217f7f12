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
"$python" -m venv "$work/runtime"
"$work/runtime/bin/python" -m pip install --quiet --disable-pip-version-check "$boto3_pin"

for function in $(ls "$root/functions"); do
  PYTHONPATH="$work/layer/python" \
  PRACTICE_TABLE_NAME=check-PracticeTable \
  SEND_QUEUE_URL=https://sqs.us-east-1.amazonaws.com/123456789012/check-SendQueue \
  INBOUND_TOPIC_ARN=arn:aws:sns:us-east-1:123456789012:check-InboundSmsTopic \
  REPORT_SENDER_ADDRESS=reports@check.test \
  IMPORTS_BUCKET_NAME=check-importsbucket \
  IMPORT_QUEUE_URL=https://sqs.us-east-1.amazonaws.com/123456789012/check-ImportQueue \
  SEGMENT_QUEUE_URL=https://sqs.us-east-1.amazonaws.com/123456789012/check-SegmentQueue \
  POWERTOOLS_SERVICE_NAME="$function" POWERTOOLS_METRICS_NAMESPACE=Reactivation \
  AWS_DEFAULT_REGION=us-east-1 \
  "$work/runtime/bin/python" -I -c "
import importlib.util, sys
sys.path.insert(0, '$work/layer/python')
spec = importlib.util.spec_from_file_location('app', '$root/functions/$function/app.py')
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
assert callable(module.lambda_handler)
assert not {'moto', 'yaml', 'pytest'} & set(sys.modules), 'a dev dependency leaked into the layer'
from datetime import date
from reactivation.domain.sending import is_us_federal_holiday, number_timezones
assert is_us_federal_holiday(date(2026, 11, 26)), 'holiday data missing from the layer'
assert number_timezones('+18085550134') == ('Pacific/Honolulu',), 'area-code zones missing'
"
  echo "layer check: $function handler imports from the layer alone"
done
echo "layer check: installed size $(du -sh "$work/layer" | cut -f1) ($(uname -m) build of the arm64 layer's pins)"
