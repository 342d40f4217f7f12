"""What one outreach text costs in AWS requests and in money, measured on the send function.

A practice of PATIENTS patients (each their own mobile) is enrolled; their first steps are sent
by the real send handler, in SQS batches of 10 as the event source gives them, against moto in
this process. For every AWS request the handler makes, a botocore hook records the operation,
the bytes sent and received (DynamoDB units are priced from them: a read unit per 4 KB read
consistently, a write unit per 1 KB written, twice for a transaction), and the handler's wall
time per batch gives the Lambda GB-seconds (moto answers slower than AWS: an upper bound). Log
bytes are what the handler printed.

Prices: us-east-1 public on-demand prices, November 2026 (a constant below each); the SMS fee
is AWS End User Messaging's US outbound price per segment plus a typical 10DLC carrier fee.

Run: `python bench/send_cost.py [--patients 200]` (also part of `make bench`).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import statistics
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Reactivation",
    }
)

import boto3
from in_process import in_process_stack

from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.queue import SendQueue
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain import sequences
from reactivation.domain.outreach import Decision
from reactivation.domain.patients import Appointment, AppointmentStatus, Patient
from reactivation.domain.types import Campaign, Channel, ServiceCategory
from reactivation_tools.local import demo
from reactivation_tools.local.runtime import LambdaContext, load_handler
from reactivation_tools.local.stack import REGION

ROOT = Path(__file__).resolve().parent.parent

# Prices (USD, us-east-1, on demand).
LAMBDA_ARM_GB_SECOND = 0.0000133334
LAMBDA_REQUEST = 0.20 / 1_000_000
DYNAMODB_WRITE_UNIT = 0.625 / 1_000_000
DYNAMODB_READ_UNIT = 0.125 / 1_000_000
SQS_REQUEST = 0.40 / 1_000_000
LOGS_INGESTED_GB = 0.50
XRAY_TRACE = 5.00 / 1_000_000
SMS_SEGMENT_AWS = 0.00581  # End User Messaging SMS, US, per outbound segment
SMS_SEGMENT_CARRIER = 0.00302  # a typical 10DLC carrier fee per segment (varies by carrier)
#: The event source's own SQS requests per message at batches of 10: a receive and a delete
#: per batch, the segment's SendMessageBatch per 10, and a few empty long polls a minute
#: (counted as one more per batch).
SQS_REQUESTS_PER_MESSAGE = (1 + 1 + 1 + 1) / 10

calls: Counter[str] = Counter()
read_units = 0.0
write_units = 0.0


def _units(size: int, per: int) -> int:
    return max(1, math.ceil(size / per))


def before(event_name: str, params: dict[str, Any], **_: Any) -> None:
    """Counts the request, and the write units of what it writes."""
    global write_units
    operation = event_name.split(".", 1)[1]
    calls[operation] += 1
    if not operation.startswith("dynamodb."):
        return
    request = json.loads(params.get("body") or b"{}")  # the serialised request
    if operation == "dynamodb.TransactWriteItems":
        for action in request["TransactItems"]:
            body = next(iter(action.values()))
            write_units += 2 * _units(len(json.dumps(body.get("Item") or body)), 1024)
    elif operation in {"dynamodb.PutItem", "dynamodb.UpdateItem", "dynamodb.DeleteItem"}:
        write_units += _units(len(json.dumps(request.get("Item") or request)), 1024)


def after(event_name: str, http_response: Any = None, **_: Any) -> None:
    """The read units of what a read returned (consistent reads: 4 KB a unit)."""
    global read_units
    operation = event_name.split(".", 1)[1]
    if operation in {"dynamodb.GetItem", "dynamodb.Query", "dynamodb.BatchGetItem"}:
        size = len(http_response.content) if http_response is not None else 0
        read_units += _units(size, 4096)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=200)
    args = parser.parse_args()
    with in_process_stack(before_call=before, after_call=after) as stack:
        provisioner, spec, table, start = (
            stack.provisioner,
            stack.specs["SendFunction"],
            stack.table,
            stack.start,
        )
        factory: Any = boto3.client
        dynamodb = factory("dynamodb", region_name=REGION)
        PracticeRepository(dynamodb, table).save(demo.PRACTICE)
        patients = PatientRepository(dynamodb, table)
        enrolments = SequenceRepository(dynamodb, table)
        jobs = []
        for n in range(args.patients):
            patient = Patient(patient_id=f"P-{n:05d}", first_name="Maximilianus",
                              mobile=f"+1212{5550000 + n:07d}")  # fmt: skip
            patients.save(demo.PRACTICE.practice_id, patient)
            patients.save_appointment(demo.PRACTICE.practice_id, Appointment(
                appointment_id=f"A-{n}", patient_id=patient.patient_id,
                starts_at=datetime(2026, 4, 20, 14, tzinfo=UTC), category=ServiceCategory.HYGIENE,
                status=AppointmentStatus.COMPLETED))  # fmt: skip
            decision = Decision(patient_id=patient.patient_id, campaign=Campaign.RECALL_DUE,
                                channel=Channel.SMS)  # fmt: skip
            sequence = sequences.start(demo.PRACTICE.practice_id, decision, start)
            enrolments.enrol(sequence)
            jobs.append(sequences.job_for_due_step(sequence, start))
        SendQueue(factory("sqs", region_name=REGION), provisioner.created["SendQueue"].ref)

        os.environ.update(spec.environment)
        os.environ["POWERTOOLS_SERVICE_NAME"] = "send"
        handler = load_handler(spec.code_dir, spec.handler, "bench_send")
        context = {"name": spec.name, "memory": spec.memory, "timeout": spec.timeout}
        log = io.StringIO()
        warm = jobs[0].model_copy(update={"patient_id": "P-nobody", "job_id": "warm-up"})
        with contextlib.redirect_stdout(log):  # a cold start first, outside the figures
            handler({"Records": [{"messageId": "w", "receiptHandle": "r", "body":
                                  warm.model_dump_json(), "attributes": {},
                                  "messageAttributes": {}, "md5OfBody": "",
                                  "eventSource": "aws:sqs", "eventSourceARN": "x",
                                  "awsRegion": REGION}]}, LambdaContext(context))  # fmt: skip
        calls.clear()
        global read_units, write_units
        read_units = write_units = 0.0
        log = io.StringIO()
        from reactivation.observability import logger

        logger.registered_handler.setStream(log)  # type: ignore[attr-defined]  # the log lines
        durations: list[float] = []
        for first in range(0, len(jobs), 10):
            batch = jobs[first : first + 10]
            records = [{"messageId": j.job_id, "receiptHandle": "r", "body": j.model_dump_json(),
                        "attributes": {}, "messageAttributes": {}, "md5OfBody": "",
                        "eventSource": "aws:sqs", "eventSourceARN": "x", "awsRegion": REGION}
                       for j in batch]  # fmt: skip
            event = {"Records": records}
            with contextlib.redirect_stdout(log):
                began = time.perf_counter()
                result = handler(event, LambdaContext(context))
                durations.append(time.perf_counter() - began)
            assert result == {"batchItemFailures": []}, result

    sent = calls["sns.Publish"]
    assert sent == len(jobs), f"{sent} of {len(jobs)} texts went out"
    per_message = {op: count / sent for op, count in sorted(calls.items())}
    besides_publish = sum(c for op, c in calls.items() if op != "sns.Publish") / sent
    memory_gb = spec.memory / 1024
    seconds = sum(durations)
    per_1000 = 1000 / sent
    lambda_cost = seconds * memory_gb * LAMBDA_ARM_GB_SECOND + len(durations) * LAMBDA_REQUEST
    costs = {
        "Lambda (GB-s + requests)": lambda_cost * per_1000,
        "DynamoDB (read + write units)": (read_units * DYNAMODB_READ_UNIT
                                          + write_units * DYNAMODB_WRITE_UNIT) * per_1000,
        "SQS (event source + queueing)": SQS_REQUESTS_PER_MESSAGE * SQS_REQUEST * 1000,
        "CloudWatch Logs": len(log.getvalue().encode()) / 1e9 * LOGS_INGESTED_GB * per_1000,
        "X-Ray traces": len(durations) * XRAY_TRACE * per_1000,
    }  # fmt: skip
    infrastructure = sum(costs.values())
    sms_fee = (SMS_SEGMENT_AWS + SMS_SEGMENT_CARRIER) * 1000
    print(f"send: {sent} texts in {len(durations)} batches of 10, "
          f"{seconds / sent * 1000:.1f} ms a text on moto in-process "
          f"(batch median {statistics.median(durations) * 1000:.0f} ms)")  # fmt: skip
    print(f"AWS requests per text: {sum(calls.values()) / sent:.2f} "
          f"({besides_publish:.2f} besides the publish; goal at most 4): "
          + ", ".join(f"{op} {n:.2f}" for op, n in per_message.items()))  # fmt: skip
    print(f"DynamoDB units per text: {read_units / sent:.2f} read, {write_units / sent:.2f} write")
    print("AWS cost per 1,000 texts, excluding the SMS fee:")
    for name, cost in costs.items():
        print(f"  {name:<32} ${cost:.4f}")
    print(f"  {'total':<32} ${infrastructure:.4f}")
    print(f"SMS fee per 1,000 one-segment texts: ${sms_fee:.2f} "
          f"(AWS ${SMS_SEGMENT_AWS * 1000:.2f} + carrier ${SMS_SEGMENT_CARRIER * 1000:.2f}); "
          f"infrastructure is {infrastructure / sms_fee:.2%} of it (goal under 1%)")  # fmt: skip


if __name__ == "__main__":
    main()
