"""AWS requests each unit of work makes: per inbound reply (by intent), per send job, per
patient at enrolment. Counted with a botocore hook around the real handlers, against moto.

Run: `python bench/aws_requests.py` (also part of `make bench`).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
    }
)

import boto3
from moto import mock_aws

from reactivation import clock
from reactivation.local import demo
from reactivation.local.api import http_api_event
from reactivation.local.functions import function_specs
from reactivation.local.moto_patches import copy_tables_once_per_transaction
from reactivation.local.provision import Provisioner
from reactivation.local.runtime import LambdaContext, load_handler
from reactivation.local.stack import ACCOUNT, LOCAL_PARAMETERS, REGION
from reactivation.local.template import Template
from reactivation.services.inbound import InboundService

ROOT = Path(__file__).resolve().parent.parent
#: The generated practice whose weekly enrolment is counted.
PRACTICE_SIZE = 1000
calls: Counter[str] = Counter()


def count(event_name: str, **_: Any) -> None:
    calls[event_name.split(".", 1)[1]] += 1  # before-call.<service>.<Operation>


def main() -> None:
    copy_tables_once_per_transaction()
    with mock_aws():  # moto resets boto3's default session: the hook goes on the new one
        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register("before-call", count)
        factory: Any = boto3.client
        provisioner = Provisioner(
            Template.load(ROOT / "template.yaml"), lambda s: factory(s, region_name=REGION),
            stack_name="bench", region=REGION, account=ACCOUNT, parameters=LOCAL_PARAMETERS,
        )  # fmt: skip
        provisioner.provision()
        specs = function_specs(provisioner.template, provisioner.resolver)
        table = provisioner.created["PracticeTable"].ref
        start = demo.next_tuesday_morning(datetime(2026, 11, 22, tzinfo=UTC))
        clock.freeze(start)
        clock.freeze_wall(start)
        demo.seed(factory("dynamodb", region_name=REGION), table, start.date())

        def handler(logical_id: str) -> Any:
            spec = specs[logical_id]
            os.environ.update(spec.environment)
            function = load_handler(spec.code_dir, spec.handler, f"bench_{logical_id}")
            config = {"name": spec.name, "memory": 256, "timeout": spec.timeout}
            # a context per invocation, as Lambda gives: its deadline is this invocation's
            return lambda event: function(event, LambdaContext(config))

        segment, send, inbound = (
            handler("SegmentFunction"),
            handler("SendFunction"),
            handler("InboundFunction"),
        )
        sqs = factory("sqs", region_name=REGION)

        def received(logical_id: str) -> dict[str, Any]:
            queue = provisioner.created[logical_id].ref
            response = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
            messages = response.get("Messages", [])
            return {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"],
                                 "body": m["Body"], "attributes": {}, "messageAttributes": {},
                                 "md5OfBody": "", "eventSource": "aws:sqs",
                                 "eventSourceARN": "x", "awsRegion": REGION}
                                for m in messages]}  # fmt: skip

        calls.clear()
        segment({"run": "enrolment", "scheduled_time": start.isoformat()})  # the fan-out
        planned = sum(calls.values())
        segment(received("SegmentQueue"))  # the practice's unit
        patients = len(demo.demo_patients(start.date()))
        print(f"enrolment: {sum(calls.values())} requests for {patients} patients "
              f"({sum(calls.values()) / patients:.1f} per patient; {planned} of them to plan the "
              f"run): {dict(calls)}")  # fmt: skip
        jobs = received("SendQueue")
        calls.clear()
        send(jobs)
        messages = jobs["Records"]
        print(f"send: {sum(calls.values())} requests for {len(messages)} jobs "
              f"({sum(calls.values()) / len(messages):.1f} per job): {dict(calls)}")  # fmt: skip

        units_queue = provisioner.created["SegmentQueue"].ref
        segment_a_thousand(factory, table, segment, received, units_queue, start)

        # The signature check makes no AWS request (the certificate is cached per instance);
        # the bench skips it rather than sign with a test key.
        InboundService._verify = lambda self, envelope: None  # type: ignore[method-assign]
        topic = provisioner.created["InboundSmsTopic"].ref
        for number, (mobile, text) in enumerate(
            [("+12125550101", "STOP"), ("+12125550106", "Tuesday works"),
             ("+12125550102", "what are your hours?"), ("+12125550107", "not now")],
            start=1,
        ):  # fmt: skip
            body = ({
                "Type": "Notification", "MessageId": f"m{number}", "TopicArn": topic,
                "Timestamp": start.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "Message": json.dumps({"originationNumber": mobile,
                                       "destinationNumber": demo.PRACTICE.sending_number,
                                       "messageBody": text, "inboundMessageId": f"in{number}"}),
            })  # fmt: skip
            calls.clear()
            inbound(http_api_event("POST", "/sms/inbound", {"content-type": "text/plain"},
                                   json.dumps(body).encode(), "127.0.0.1"))  # fmt: skip
            print(f"reply {text!r}: {sum(calls.values())} requests: {dict(calls)}")


def segment_a_thousand(
    factory: Any, table: str, segment: Any, received: Any, queue: str, start: datetime
) -> None:
    """A practice of PRACTICE_SIZE patients with ten visits each (about half of them due): the
    weekly enrolment's requests, planning included, per 1,000 patients."""
    from dateutil.relativedelta import relativedelta

    from reactivation.adapters.patients import PatientRepository
    from reactivation.adapters.practices import PracticeRepository
    from reactivation.domain.models import Appointment, Patient

    dynamodb = factory("dynamodb", region_name=REGION)
    # Chicago: at its Tuesday 10:00 it is 11:00 for the demo practice, which is not due.
    practice = demo.PRACTICE.model_copy(
        update={"practice_id": "thousand", "sending_number": "+13125550199",
                "holdout_percent": 10, "timezone": "America/Chicago"}
    )  # fmt: skip
    PracticeRepository(dynamodb, table).save(practice)
    patients = PatientRepository(dynamodb, table)
    records: list[Any] = []
    for n in range(PRACTICE_SIZE):
        patient_id = f"T{n:05d}"
        records.append(Patient(patient_id=patient_id, first_name="Ana",
                               mobile=f"+1312{n % 800 + 200:03d}{n:04d}"))  # fmt: skip
        for visit in range(10):  # the last visit 3 to 14 months ago: about half are due
            months = (n % 12) + 3 + visit * 6
            records.append(Appointment(
                appointment_id=f"{patient_id}-{visit}", patient_id=patient_id,
                starts_at=start - relativedelta(months=months), category="hygiene",
                status="completed", revenue=120.0,
            ))  # fmt: skip
    patients.save_all("thousand", records)
    when = start + timedelta(hours=1)  # Tuesday 10:00 in Chicago
    clock.freeze(when)
    sqs = factory("sqs", region_name=REGION)
    counted: Counter[str] = Counter()  # the function's requests only, not the bench's
    calls.clear()
    segment({"run": "enrolment", "scheduled_time": when.isoformat()})
    counted += calls
    units = 0
    while batch := received("SegmentQueue")["Records"]:
        for record in batch:
            calls.clear()
            segment({"Records": [record]})
            counted += calls
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=record["receiptHandle"])
            units += 1
    total = sum(counted.values())
    print(f"enrolment of a {PRACTICE_SIZE}-patient practice ({units} units): {total} requests, "
          f"{total * 1000 / PRACTICE_SIZE:.0f} per 1,000 patients, planning included: "
          f"{dict(sorted(counted.items()))}")  # fmt: skip


if __name__ == "__main__":
    main()
