"""The load run: a burst of send jobs and inbound replies together on the local stack, and an
account of every one of them.

A generated practice of JOBS patients, all due for recall, is enrolled by the weekly
enrolment (the segment function queues one send job per patient); while the send function
drains the queue, REPLIES replies from those patients (yes, not now, a question, STOP, other)
arrive through the SNS topic and the HTTPS webhook, from 4 publishers. At the end:

- every job is accounted for: sent, or cancelled with its reason (an opt-out that arrived
  first), or in doubt; none left on the queue or parked in the dead-letter queue;
- the texts SNS took are the jobs marked sent plus the answers to replies, none twice;
- every reply is stored once; every opt-out is kept (the invariant checker walks the table);
- errors: function invocations that failed, from the functions' logs.

Run: `python bench/load_run.py [--jobs 10000] [--replies 2000]` (part of `make bench`). On moto
this is slow (one process per function, moto's indexes scanned): it measures that nothing is
lost under load, not AWS's speed.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reactivation.adapters.items import from_attributes
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.domain.patients import Appointment, Patient
from reactivation_tools.local import demo, invariants
from reactivation_tools.local.stack import LocalStack

ROOT = Path(__file__).resolve().parent.parent
#: Tuesday 2026-11-24 10:00 in Chicago: the practice's enrolment hour, inside sending hours.
RUN = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
TEXTS = ["yes", "not now, maybe in March", "what are your hours?", "STOP", "ok thanks",
         "Tuesday works", "no thanks"]  # fmt: skip
PUBLISHERS = 4


def mobile(n: int) -> str:
    return f"+1312{2000000 + n:07d}"


def seed(stack: LocalStack, patients: int) -> None:
    dynamodb, table = stack.client("dynamodb"), stack.outputs["PracticeTableName"]
    practice = demo.PRACTICE.model_copy(update={
        "practice_id": "load", "timezone": "America/Chicago", "holdout_percent": 0,
        "sending_number": "+13125550199", "sms_per_second": 100.0,
    })  # fmt: skip
    PracticeRepository(dynamodb, table).save(practice)
    records: list[Patient | Appointment] = []
    for n in range(patients):
        records.append(Patient(patient_id=f"L{n:06d}", first_name="Ana", mobile=mobile(n)))
        records.append(Appointment(appointment_id=f"L{n:06d}-1", patient_id=f"L{n:06d}",
                                   starts_at=datetime(2026, 4, 20, 15, tzinfo=UTC),
                                   category="hygiene", status="completed",
                                   revenue=120.0))  # fmt: skip
    PatientRepository(dynamodb, table).save_all("load", records)


def account(stack: LocalStack) -> dict[str, Any]:
    """Every message, reply and opt-out in the table, counted."""
    messages: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    replies: Counter[str] = Counter()
    parked = 0
    dynamodb = stack.client("dynamodb")
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=stack.outputs["PracticeTableName"]
    ):
        for raw in page["Items"]:
            item = from_attributes(raw)
            sk = str(item["sk"])
            if sk.startswith("MESSAGE#"):
                messages[str(item.get("status"))] += 1
                if item.get("status") == "cancelled":
                    reasons[str(item.get("cancel_reason"))] += 1
            elif sk.startswith("REPLY#"):
                replies[str(item["inbound_message_id"])] += 1
            elif sk.startswith("PARKED#") and "gsi3sk" in item:
                parked += 1
    return {"messages": messages, "reasons": reasons, "replies": replies, "parked": parked}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=10_000, help="patients due, one job each")
    parser.add_argument("--replies", type=int, default=2_000)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as directory,
        LocalStack(ROOT / "template.yaml", Path(directory) / "local") as stack,
    ):
        stack.clock.set(RUN)
        began = time.monotonic()
        seed(stack, args.jobs)
        seeded = time.monotonic()
        assert stack.fire("WeeklyEnrolment").ok
        stack.drain(function="SegmentFunction")  # the burst: every job on the send queue
        queued = stack.queue_depth("SendQueue")
        enrolled = time.monotonic()

        sns, topic = stack.client("sns"), stack.outputs["InboundSmsTopicArn"]
        published: Counter[str] = Counter()

        def publisher(worker: int) -> None:
            for n in range(worker, args.replies, PUBLISHERS):
                patient = (n * 7919) % args.jobs
                reply = {"originationNumber": mobile(patient),
                         "destinationNumber": "+13125550199",
                         "messageBody": TEXTS[n % len(TEXTS)],
                         "inboundMessageId": f"load-{n}"}  # fmt: skip
                sns.publish(TopicArn=topic, Message=json.dumps(reply))
                published[reply["inboundMessageId"]] += 1

        replies_done: list[float] = []

        def replying() -> None:
            with ThreadPoolExecutor(PUBLISHERS) as pool:
                list(pool.map(publisher, range(PUBLISHERS)))
            replies_done.append(time.monotonic())

        burst = time.monotonic()
        thread = threading.Thread(target=replying)
        thread.start()
        batches = stack.drain(max_batches=10**6)  # the send jobs, while the replies arrive
        sent_done = time.monotonic()
        thread.join()
        batches += stack.drain(max_batches=10**6)  # what the replies left (none expected)
        finished = time.monotonic()

        counted = account(stack)
        sms = Counter((s.to, s.body) for s in stack.sent_sms())
        outreach = sum(n for (to, body), n in sms.items() if "Reply STOP" in body)
        violations = invariants.check(stack.client("dynamodb"),
                                      stack.outputs["PracticeTableName"])  # fmt: skip
        dead = {name: stack.queue_depth(name) for name in stack.resources
                if name.endswith("DeadLetterQueue")}  # fmt: skip
        left = stack.queue_depth("SendQueue")
        logs = "\n".join(p.read_text(encoding="utf-8", errors="replace")
                         for p in (stack.state_dir / "logs").glob("*.log"))  # fmt: skip
    messages, reasons, replies = counted["messages"], counted["reasons"], counted["replies"]
    errors = logs.count('"level":"ERROR"')
    accounted = messages["sent"] + messages["cancelled"] + messages["sending"]
    all_jobs = accounted == queued and left == 0 and not sum(dead.values())
    print(
        f"load run: {args.jobs:,} patients due -> {queued:,} send jobs queued by the weekly "
        f"enrolment; {args.replies:,} replies from {PUBLISHERS} publishers meanwhile"
    )
    print(f"  seeding {seeded - began:.0f} s; enrolment (segment) {enrolled - seeded:.0f} s = "
          f"{args.jobs / (enrolled - seeded):.0f} patients/s")  # fmt: skip
    print(f"  send queue drained in {sent_done - burst:.0f} s = "
          f"{messages['sent'] / (sent_done - burst):.1f} messages sent/s; replies in "
          f"{replies_done[0] - burst:.0f} s = {args.replies / (replies_done[0] - burst):.1f} "
          f"replies/s; all done in {finished - burst:.0f} s ({batches} send batches)")  # fmt: skip
    print(f"  jobs: {messages['sent']:,} sent, {messages['cancelled']:,} cancelled "
          f"{dict(reasons)}, {messages['sending']} in doubt, {counted['parked']} parked, "
          f"{left} left on the queue, dead-letter queues {sum(dead.values())}: "
          f"{'every job accounted for' if all_jobs else 'MISMATCH'}")  # fmt: skip
    twice = sum(1 for n in sms.values() if n > 1)
    print(f"  texts SNS took: {sum(sms.values()):,} ({outreach:,} outreach for "
          f"{messages['sent']:,} marked sent; {twice} sent twice)")  # fmt: skip
    doubled = sum(1 for n in replies.values() if n > 1)
    all_replies = len(replies) == len(published) and not doubled
    print(
        f"  replies: {len(published):,} published, {len(replies):,} stored, {doubled} twice: "
        f"{'every reply accounted for' if all_replies else 'MISMATCH'}"
    )
    print(f"  errors: {errors} failed invocations logged; invariant violations: {len(violations)}")


if __name__ == "__main__":
    main()
