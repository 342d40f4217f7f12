"""The inbound endpoint on the local stack, sustained: replies per second for SECONDS seconds,
with none lost or doubled, and AWS requests per reply (counted inside InboundFunction's own
process).

Patients of a generated practice reply (a mix of intents: yes, not now, a question, STOP,
other); each reply goes to the SNS topic, which signs it and posts it over HTTP to the local
API, where the inbound function verifies the signature and routes it. One reply in ten is sent
twice with the same inbound message id, as SNS redelivers: it must be stored once. At the end
the stored replies are counted against the distinct ids sent.

Run: `python bench/inbound_endpoint.py [--seconds 30]` (also part of `make bench`).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.domain.patients import Patient
from reactivation_tools.local import demo
from reactivation_tools.local.stack import LocalStack

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ["yes", "not now, maybe in March", "what are your hours?", "STOP", "ok thanks 👍",
         "Tuesday works", "no thanks"]  # fmt: skip
PATIENTS = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--senders", type=int, default=4, help="concurrent publishers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        counts = Path(directory) / "requests.jsonl"
        with LocalStack(ROOT / "template.yaml", Path(directory) / "local",
                        request_counts=counts) as stack:  # fmt: skip
            stack.clock.set(datetime(2026, 11, 24, 15, tzinfo=UTC))
            dynamodb, table = stack.client("dynamodb"), stack.outputs["PracticeTableName"]
            PracticeRepository(dynamodb, table).save(demo.PRACTICE)
            patients = PatientRepository(dynamodb, table)
            patients.save_all(demo.PRACTICE.practice_id, [
                Patient(patient_id=f"B{n:05d}", first_name="Ana", mobile=f"+1646{5550000 + n:07d}")
                for n in range(PATIENTS)
            ])  # fmt: skip
            topic = stack.outputs["InboundSmsTopicArn"]
            sns = stack.client("sns")
            sent: Counter[str] = Counter()
            deadline = time.monotonic() + args.seconds

            def publisher(worker: int) -> int:
                published, n = 0, 0
                while time.monotonic() < deadline:
                    number = (worker * 7919 + n * 31) % PATIENTS
                    message_id = f"w{worker}-{n}"
                    reply = {"originationNumber": f"+1646{5550000 + number:07d}",
                             "destinationNumber": demo.PRACTICE.sending_number,
                             "messageBody": TEXTS[n % len(TEXTS)],
                             "inboundMessageId": message_id}  # fmt: skip
                    for _ in range(2 if n % 10 == 0 else 1):  # one in ten delivered twice
                        sns.publish(TopicArn=topic, Message=json.dumps(reply))
                        sent[message_id] += 1
                        published += 1
                    n += 1
                return published

            began = time.monotonic()
            with ThreadPoolExecutor(args.senders) as pool:
                deliveries = sum(pool.map(publisher, range(args.senders)))
            elapsed = time.monotonic() - began
            stored = 0
            paginator = dynamodb.get_paginator("scan")
            for page in paginator.paginate(
                TableName=table, Select="COUNT", FilterExpression="kind = :reply",
                ExpressionAttributeValues={":reply": {"S": "reply"}},
            ):  # fmt: skip
                stored += page["Count"]
        requests: Counter[str] = Counter()
        invocations = 0
        for line in counts.read_text().splitlines():
            record = json.loads(line)
            if record["function"].endswith("InboundFunction"):
                invocations += 1
                requests.update(record["requests"])
    distinct = len(sent)
    print(f"inbound endpoint: {deliveries} deliveries ({distinct} distinct replies, "
          f"{deliveries - distinct} redelivered) in {elapsed:.1f} s = "
          f"{deliveries / elapsed:.1f} deliveries/s, {distinct / elapsed:.1f} replies/s "
          f"({args.senders} publishers; the local stack runs one inbound process)")  # fmt: skip
    print(f"stored replies: {stored} for {distinct} distinct ids: "
          f"{'none lost, none doubled' if stored == distinct else 'MISMATCH'}")  # fmt: skip
    total = sum(requests.values())
    print(
        f"AWS requests per delivery: {total / max(invocations, 1):.2f} "
        f"({invocations} invocations): "
        + ", ".join(f"{op} {n / max(invocations, 1):.2f}" for op, n in requests.most_common())
    )


if __name__ == "__main__":
    main()
