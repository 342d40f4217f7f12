"""AWS requests each unit of work makes: per inbound reply (by intent), per send job, per
patient at the demo practice's enrolment. Counted with a botocore hook around the real
handlers, against moto. (A large practice's enrolment: bench/segment_requests.py.)

Run: `python bench/aws_requests.py` (also part of `make bench`).
"""

from __future__ import annotations

import inspect
import json
import os
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

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
from in_process import in_process_stack

from reactivation.adapters.openings import OpeningRepository
from reactivation.domain.conversation import Opening
from reactivation.services.inbound.gate import SnsGate
from reactivation_tools.local import demo
from reactivation_tools.local.api import http_api_event
from reactivation_tools.local.runtime import LambdaContext, load_handler
from reactivation_tools.local.stack import REGION

ROOT = Path(__file__).resolve().parent.parent
calls: Counter[str] = Counter()


def count(event_name: str, **_: Any) -> None:
    calls[event_name.split(".", 1)[1]] += 1  # before-call.<service>.<Operation>


def main() -> None:
    with in_process_stack(before_call=count) as stack:
        provisioner, specs, table, start = stack.provisioner, stack.specs, stack.table, stack.start
        factory: Any = boto3.client
        demo.seed(factory("dynamodb", region_name=REGION), table, start.date())

        handlers: dict[str, Any] = {}

        def handler(logical_id: str) -> Any:
            spec = specs[logical_id]
            os.environ.update(spec.environment)
            function = load_handler(spec.code_dir, spec.handler, f"bench_{logical_id}")
            handlers[logical_id] = function
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

        # The signature check makes no AWS request (the certificate is cached per instance);
        # the bench skips it rather than sign with a test key.
        SnsGate._verify = lambda self, envelope: None  # type: ignore[method-assign]
        topic = provisioner.created["InboundSmsTopic"].ref
        # The first reply of an instance also reads the practice (cached for a minute): a
        # HELP warms it, and is printed as such.
        for number, (mobile, text) in enumerate(
            [("+12125550105", "HELP"), ("+12125550101", "STOP"),
             ("+12125550106", "Tuesday works"), ("+12125550103", "yes"),
             ("+12125550102", "what are your hours?"),
             ("+12125550107", "not now"), ("+12125550104", "is swelling normal after a filling?"),
             ("+12125550199", "who is this"), ("", "(openings published)"),
             ("+12125550107", "yes, mornings please"), ("+12125550107", "2")],
            start=1,
        ):  # fmt: skip
            if not mobile:  # from here on the practice has open times to offer, and a minute
                # has passed: the instance no longer remembers that it had none
                handler_globals = inspect.unwrap(handlers["InboundFunction"]).__globals__
                handler_globals["service"]._router._booking._openings._none_at.clear()
                local = start.astimezone(ZoneInfo(demo.PRACTICE.timezone))
                OpeningRepository(factory("dynamodb", region_name=REGION), table).publish(
                    demo.PRACTICE.practice_id,
                    [Opening(starts_at=local.replace(hour=h) + timedelta(days=d),
                             provider="Dr. Lee") for d in (1, 2, 3) for h in (9, 15)],
                )  # fmt: skip
                continue
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
            first = {1: " (the instance's first reply: + the practice)",
                     3: " (no openings: the instance's first look this minute, + 1 query)",
                     4: " (no openings, remembered for a minute)"}.get(number, "")  # fmt: skip
            print(f"reply {text!r}: {sum(calls.values())} requests{first}: {dict(calls)}")


if __name__ == "__main__":
    main()
