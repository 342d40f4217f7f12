"""The local stack: moto's server, the template's resources, functions, API, queues, schedules."""

from __future__ import annotations

import email
import email.message
import email.policy
import json
import logging
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from reactivation_tools.local.api import LocalApi, routes_from
from reactivation_tools.local.faults import FAULTS_VARIABLE, Fault, encode
from reactivation_tools.local.functions import (
    FunctionSpec,
    FunctionWorker,
    Invocation,
    function_specs,
)
from reactivation_tools.local.moto_patches import (
    server_lists_its_services_once,
    sns_retries_failed_http_deliveries,
    sns_stamps_with,
    storage_at_its_own_pace,
)
from reactivation_tools.local.provision import Physical, Provisioner
from reactivation_tools.local.sources import SqsEventSource
from reactivation_tools.local.template import Template

REGION = "us-east-1"
#: Set in the functions' environment when the stack runs one clock (LocalStack(one_clock=)):
#: the runtime then judges an SNS message's freshness by the stack's clock too.
ONE_CLOCK_VARIABLE = "REACTIVATION_LOCAL_ONE_CLOCK"
ACCOUNT = "123456789012"  # moto's default account
#: What the local deployment is given for the parameters that have no default.
LOCAL_PARAMETERS = {
    "EmailSenderIdentity": "reactivation.test",
    "ReportSenderAddress": "reports@reactivation.test",
    # the demo practices' from_email (reactivation.test, EmailSenderIdentity, covers it too)
    "SenderIdentities": "frontdesk@reactivation.test",
}
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    # B105: moto's, no secret
    "AWS_SECRET_ACCESS_KEY": "local",  # nosec B105
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


@dataclass(frozen=True)
class RawBody:
    """A control answer sent as is, not as JSON."""

    data: bytes
    content_type: str


@dataclass(frozen=True)
class Schedule:
    name: str
    function: str
    expression: str
    input: str | None


@dataclass(frozen=True)
class SentSms:
    message_id: str
    to: str
    body: str


@dataclass(frozen=True)
class SentEmail:
    message_id: str
    sender: str
    to: tuple[str, ...]
    subject: str
    body: str
    #: A MIME message's plain-text part and attachments (filename -> bytes).
    text: str = ""
    attachments: dict[str, bytes] = field(default_factory=dict)


def parse_mime(message_id: str, sender: str, raw: str) -> SentEmail:
    """A raw email as its reader sees it: the HTML body, the text part, the attachments."""
    message = email.message_from_string(raw, policy=email.policy.default)
    if not isinstance(message, email.message.EmailMessage):
        raise TypeError("not a MIME message")
    html = message.get_body(preferencelist=("html",))
    text = message.get_body(preferencelist=("plain",))
    attachments = {
        part.get_filename() or "": bytes(part.get_payload(decode=True) or b"")
        for part in message.iter_attachments()
    }
    return SentEmail(
        message_id=message_id,
        sender=sender,
        to=tuple(a.strip() for a in str(message["To"] or "").split(",") if a.strip()),
        subject=str(message["Subject"] or ""),
        body=str(html.get_content()) if html else "",
        text=str(text.get_content()) if text else "",
        attachments=attachments,
    )


class LocalClock:
    """The local stack's time: real time until set, then moved only on purpose."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now or datetime.now(UTC)

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("the local clock needs an aware datetime")
        self._now = at

    def advance(self, delta: timedelta) -> datetime:
        self._now = self.now() + delta
        return self._now


class LocalStack:
    def __init__(
        self,
        template: Path,
        state_dir: Path,
        *,
        host: str = "127.0.0.1",
        moto_port: int = 0,
        api_port: int = 0,
        stack_name: str = "reactivation-local",
        parameters: Mapping[str, str] | None = None,
        clock: LocalClock | None = None,
        request_counts: Path | None = None,
        one_clock: bool = False,
    ) -> None:
        self.template = Template.load(template)
        self.state_dir = state_dir
        self.host = host
        self.stack_name = stack_name
        self.parameters = {**LOCAL_PARAMETERS, **(parameters or {})}
        self.clock = clock or LocalClock()
        #: When given, each function process appends its invocations' AWS requests here.
        self.request_counts = request_counts
        #: When set, SNS stamps the replies it posts, and the functions judge their freshness,
        #: by the stack's clock rather than the wall's (moto_patches.sns_stamps_with): for runs
        #: whose business time moves far from the real time, where a reply must come after
        #: the texts it answers (a patient who answered is not silent).
        self.one_clock = one_clock
        self._moto = ThreadedMotoServer(ip_address=host, port=moto_port, verbose=False)
        self._api = LocalApi(host, api_port, self._invoke_for_api, self._control)
        self.resources: dict[str, Physical] = {}
        self.functions: dict[str, FunctionSpec] = {}
        self.workers: dict[str, FunctionWorker] = {}
        self.sources: list[SqsEventSource] = []
        self.schedules: dict[str, Schedule] = {}
        self.outputs: dict[str, str] = {}
        #: Functions whose API routes answer this status instead of running (take_down).
        self.down: dict[str, int] = {}

    # -- life cycle -------------------------------------------------------------------
    @property
    def moto_url(self) -> str:
        host, port = self._moto.get_host_and_port()
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self._api.url

    def client(self, service: str) -> Any:
        return self.client_for(self.moto_url)(service)

    @staticmethod
    def client_for(moto_url: str) -> Callable[[str], Any]:
        """boto3 clients of the local stack's moto, from this process or another one."""

        def client(service: str) -> Any:
            return boto3.client(  # type: ignore[call-overload]
                service,
                endpoint_url=moto_url,
                region_name=REGION,
                aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            )

        return client

    def start(self) -> LocalStack:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        storage_at_its_own_pace()
        sns_retries_failed_http_deliveries()
        server_lists_its_services_once()
        self._moto.start()
        # moto keeps its state per process: a stack starts from nothing, like a new account.
        # B310: moto on 127.0.0.1
        urllib.request.urlopen(  # nosec B310
            urllib.request.Request(f"{self.moto_url}/moto-api/reset", method="POST"), timeout=30
        ).close()
        (self.state_dir / "logs").mkdir(parents=True, exist_ok=True)
        provisioner = Provisioner(
            self.template,
            self.client,
            stack_name=self.stack_name,
            region=REGION,
            account=ACCOUNT,
            parameters=self.parameters,
            api_base_url=self.api_url,
        )
        self._api.start()
        self.resources = provisioner.provision()
        self.functions = function_specs(self.template, provisioner.resolver, provisioner.local_url)
        self._api.route(routes_from(self.functions))
        base = {
            **CREDENTIALS,
            "AWS_ENDPOINT_URL": self.moto_url,
            # the certificates moto signs SNS deliveries with, served by _control below
            "SNS_CERTIFICATE_ENDPOINT": f"{self.api_url}/_local/sns-certificates",
            # moto serves the staff user pool's JWKS (the staff inbox checks tokens with it)
            "STAFF_JWKS_BASE_URL": self.moto_url,
            "POWERTOOLS_TRACE_DISABLED": "true",
            # moto answers a query on a large table in tens of seconds, AWS in milliseconds
            "AWS_CLIENT_READ_TIMEOUT": "120",
        }
        if self.request_counts is not None:
            base["REACTIVATION_REQUEST_COUNTS"] = str(self.request_counts)
        if self.one_clock:
            base[ONE_CLOCK_VARIABLE] = "1"
            sns_stamps_with(self.clock.now)
        for logical_id, spec in self.functions.items():
            log = self.state_dir / "logs" / f"{logical_id}.log"
            self.workers[logical_id] = FunctionWorker(spec, base, log)
            self._wire_events(spec)
        self.outputs = {
            name: provisioner.local_url(str(provisioner.resolver.resolve(output["Value"])))
            for name, output in self.template.body.get("Outputs", {}).items()
        }
        return self

    def _wire_events(self, spec: FunctionSpec) -> None:
        for name, event in spec.events.items():
            if event["Type"] == "SQS":
                queue = next(
                    r for r in self.resources.values() if r.attributes.get("Arn") == event["Queue"]
                )
                sqs = self.client("sqs")
                visibility = sqs.get_queue_attributes(
                    QueueUrl=queue.ref, AttributeNames=["VisibilityTimeout"]
                )["Attributes"]["VisibilityTimeout"]
                self.sources.append(
                    SqsEventSource(
                        function=spec.logical_id,
                        queue_url=queue.ref,
                        queue_arn=queue.attributes["Arn"],
                        batch_size=int(event.get("BatchSize", 10)),
                        report_batch_item_failures="ReportBatchItemFailures"
                        in event.get("FunctionResponseTypes", []),
                        visibility_timeout=int(visibility),
                        region=REGION,
                        sqs=sqs,
                    )
                )
            elif event["Type"] in {"ScheduleV2", "Schedule"}:
                self.schedules[name] = Schedule(
                    name=name,
                    function=spec.logical_id,
                    expression=event["ScheduleExpression"],
                    input=event.get("Input"),
                )

    def stop(self) -> None:
        if self.one_clock:
            sns_stamps_with(None)
        for worker in self.workers.values():
            worker.stop()
        self._api.stop()
        self._moto.stop()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def inject_faults(self, function: str, faults: list[Fault]) -> None:
        """The function's next process runs with these faults (each fires once)."""
        directory = self.state_dir / "faults"
        directory.mkdir(parents=True, exist_ok=True)
        marked = [
            replace(f, marker=str(directory / f"{function}-{n}-{f.call}-{f.effect}"))
            for n, f in enumerate(faults)
        ]
        worker = self.workers[function]
        worker.stop()
        worker.extra_environment[FAULTS_VARIABLE] = encode(marked)

    def instance(self, function: str, name: str) -> FunctionWorker:
        """Another concurrent instance of a function, as Lambda starts when two batches come
        at once (its own process, logging to `<function>-<name>.log`); stopped with the stack."""
        spec = self.functions[function]
        log = self.state_dir / "logs" / f"{function}-{name}.log"
        worker = FunctionWorker(spec, self.workers[function].base_environment, log)
        self.workers[f"{function}-{name}"] = worker
        return worker

    # -- what the stack does ------------------------------------------------------------
    def invoke(self, function: str, event: Mapping[str, Any]) -> Invocation:
        return self.workers[function].invoke(event, self.clock.now())

    def take_down(self, function: str, status: int = 503) -> None:
        """The function's routes answer `status` without running it until `bring_back`: an
        outage (503), or API Gateway throttling it (429)."""
        self.down[function] = status

    def bring_back(self, function: str) -> None:
        self.down.pop(function, None)

    def _invoke_for_api(self, function: str, event: Mapping[str, Any]) -> tuple[bool, Any]:
        if function in self.down:
            return True, {"statusCode": self.down[function], "body": '{"message": "unavailable"}'}
        result = self.invoke(function, event)
        return result.ok, result.payload

    def fire(self, schedule: str, at: datetime | None = None) -> Invocation:
        """Fires a schedule now (or at `at`, which becomes the clock's time), as Scheduler would."""
        if at is not None:
            self.clock.set(at)
        spec = self.schedules[schedule]
        when = self.clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if spec.input is not None:
            event = json.loads(spec.input.replace("<aws.scheduler.scheduled-time>", when))
        else:
            event = {"source": "aws.scheduler", "time": when, "detail": {}}
        return self.invoke(spec.function, event)

    def drain(self, max_batches: int = 1000, function: str | None = None) -> int:
        """Feeds the queues to their functions (only `function`'s, when given) until no
        message is visible; returns batches run."""
        batches = 0
        sources = [s for s in self.sources if function is None or s.function == function]
        while batches < max_batches:
            ran = sum(
                1
                for source in sources
                if source.poll(self._invoke_source(source), self.clock.now())
            )
            if ran == 0:
                return batches
            batches += ran
        return batches

    def _invoke_source(self, source: SqsEventSource) -> Any:
        def invoke(event: Mapping[str, Any]) -> tuple[bool, Any]:
            result = self.invoke(source.function, event)
            return result.ok, result.payload

        return invoke

    def advance(self, delta: timedelta) -> datetime:
        """Moves the clock on; messages whose visibility timeout passed come round again."""
        now = self.clock.advance(delta)
        for source in self.sources:
            source.release_expired(now)
        return now

    def queue_depth(self, logical_id: str) -> int:
        attributes = self.client("sqs").get_queue_attributes(
            QueueUrl=self.resources[logical_id].ref,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    # -- what AWS delivered (moto's records) ----------------------------------------------
    def sent_sms(self) -> list[SentSms]:
        from moto.sns.models import sns_backends

        messages = sns_backends[ACCOUNT][REGION].sms_messages
        return [SentSms(mid, to, body) for mid, (to, body) in messages.items()]

    def sent_emails(self) -> list[SentEmail]:
        from moto.ses.models import ses_backends

        sent: list[SentEmail] = []
        for m in ses_backends[ACCOUNT][REGION].sent_messages:
            if hasattr(m, "raw_data"):  # a MIME message (an email with attachments)
                sent.append(parse_mime(m.id, m.source, m.raw_data))
                continue
            sent.append(SentEmail(message_id=m.id, sender=m.source,
                                  to=tuple(m.destinations.get("ToAddresses", [])),
                                  subject=m.subject, body=m.body))  # fmt: skip
        return sent

    # -- control endpoint (/_local/...) for `reactivation local` in another shell -------------
    def _control(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, Any]:
        request = json.loads(body or b"{}")
        path = target.split("?", 1)[0]
        if method == "POST" and path.startswith("/_local/schedules/"):
            name = path.rsplit("/", 1)[1]
            if name not in self.schedules:
                return 404, {"message": f"no schedule {name}", "schedules": list(self.schedules)}
            at = datetime.fromisoformat(request["at"]) if request.get("at") else None
            result = self.fire(name, at)
            return 200, {"ok": result.ok, "payload": result.payload, "error": result.error}
        if method == "POST" and path == "/_local/drain":
            return 200, {"batches": self.drain()}
        if method == "POST" and path == "/_local/clock":
            if request.get("at"):
                self.clock.set(datetime.fromisoformat(request["at"]))
            if request.get("advance_seconds"):
                self.advance(timedelta(seconds=float(request["advance_seconds"])))
            return 200, {"now": self.clock.now().isoformat()}
        if method == "GET" and path == "/_local/outbox":
            return 200, {
                "sms": [vars(m) for m in self.sent_sms()],
                "emails": [
                    {**vars(m), "attachments": sorted(m.attachments)} for m in self.sent_emails()
                ],
            }
        if method == "GET" and path.startswith("/_local/sns-certificates/"):
            from moto.sns.models import sns_backends

            keys = sns_backends[ACCOUNT][REGION]._message_public_keys
            name = path.rsplit("/", 1)[1]
            if name not in keys:
                return 404, {"message": "no such certificate"}
            return 200, RawBody(keys[name], "application/x-pem-file")
        if method == "GET" and path == "/_local/state":
            return 200, self.describe()
        return 404, {"message": "Not Found"}

    def describe(self) -> dict[str, Any]:
        return {
            "moto": self.moto_url,
            "api": self.api_url,
            "now": self.clock.now().isoformat(),
            "resources": {
                k: {"type": v.type, "ref": v.ref}
                for k, v in self.resources.items()
                if v.type.startswith(
                    ("AWS::DynamoDB", "AWS::SQS", "AWS::SNS::Topic", "AWS::S3", "AWS::SES")
                )
            },
            "schedules": list(self.schedules),
            "outputs": self.outputs,
            "logs": str(self.state_dir / "logs"),
        }
