"""Issue #16 item 3: malformed input carrying a patient's name, number, email and a diagnosis,
fed to each function's parser, leaves none of it in anything the function writes: its log
lines, the error the Lambda runtime logs for it (past the redacting formatter), or its trace
(X-Ray records every error it sees)."""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aws_xray_sdk import global_sdk_config
from aws_xray_sdk.core import xray_recorder

from reactivation.observability import ErrorTypesOnlyEmitter, redact, tracer
from reactivation_tools.local.api import http_api_event
from tests.conftest import Aws
from tests.functions.helpers import sqs_event

Handler = Callable[[dict[str, Any]], Any]

NAME = "Zebulon Quixote"
NUMBER = "4155550199"
EMAIL = "zebulon.quixote@example.com"
DIAGNOSIS = "melanoma"
#: What must never be seen (a part of each: the redactor's "[redacted]" does not hide a name).
MARKERS = ("Zebulon", "Quixote", "5550199", "zebulon.quixote", "melanoma")
PATIENT = {"patient_name": NAME, "mobile": NUMBER, "email": EMAIL, "diagnosis": DIAGNOSIS}


def appointment_changed() -> dict[str, Any]:
    appointment = {"appointment_id": "A-1", "patient_id": "P-1", "starts_at": "2026-11-24T10:00",
                   "category": "hygiene", "status": "no_show", **PATIENT}  # fmt: skip
    return {"source": "reactivation.pms", "detail-type": "Appointment Changed",
            "detail": {"practice_id": "bright-smile", "changed_at": "2026-11-24T15:00:00Z",
                       "appointment": appointment}}  # fmt: skip


def bounce() -> dict[str, Any]:
    return {"eventType": "Bounce", "mail": {"tags": {"practice_id": ["bright-smile"]}},
            "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": EMAIL}],
                       "timestamp": f"{NAME} {DIAGNOSIS} {NUMBER}"}}  # fmt: skip


def queued(*bodies: Any) -> Callable[[Aws], dict[str, Any]]:
    return lambda aws: sqs_event(aws, [json.dumps(body) for body in bodies])


def envelope(_aws: Aws) -> dict[str, Any]:
    body = {"Type": "Notification", "MessageId": "m-1",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:inbound-sms",
            "Message": json.dumps({"messageBody": f"I am {NAME}, my {DIAGNOSIS} is back"}),
            "Timestamp": f"{NAME} {NUMBER} {EMAIL}"}  # fmt: skip
    headers = {"Content-Type": "text/plain; charset=UTF-8"}
    return http_api_event("POST", "/sms/inbound", headers, json.dumps(body).encode(), "127.0.0.1")


def unsubscribe_link(_aws: Aws) -> dict[str, Any]:
    return http_api_event("GET", f"/unsubscribe?t={NAME}.{NUMBER}", {}, b"", "198.51.100.7")


CASES: dict[str, tuple[str, Callable[[Aws], dict[str, Any]]]] = {
    "appointments": ("AppointmentsFunction", queued(appointment_changed())),
    "email feedback": ("EmailFeedbackFunction", queued(bounce())),
    "delivery receipt": ("DeliveryReceiptsFunction", queued(
        {"eventType": "TEXT_BLOCKED", "eventTimestamp": NAME, "messageId": f"{NAME} {NUMBER}",
         "destinationPhoneNumber": NUMBER, "messageStatusDescription": DIAGNOSIS})),
    "sns delivery status": ("DeliveryReceiptsFunction", queued(
        {"notification": {"messageId": EMAIL, "timestamp": NAME}, "status": "FAILURE",
         "delivery": {"destination": NUMBER, "providerResponse": DIAGNOSIS}})),
    "ingest": ("IngestFunction", queued({"practice_id": NAME, "export_id": NUMBER})),
    "segment unit": ("SegmentFunction", queued({"run": "enrolment", "practice_id": NAME,
                                                "run_start": "2026-11-24T15:00:00Z"})),
    "segment schedule": ("SegmentFunction", lambda _: {"run": NAME, "scheduled_time": NUMBER}),
    "send": ("SendFunction", queued({"job_id": NAME, "patient": PATIENT})),
    "report": ("ReportFunction", lambda _: {"scheduled_time": f"{NAME} {NUMBER} {DIAGNOSIS}"}),
    "inbound": ("InboundFunction", envelope),
    "unsubscribe": ("UnsubscribeFunction", unsubscribe_link),
}  # fmt: skip


@pytest.fixture
def traced() -> Iterator[list[str]]:
    """X-Ray on, in one segment; what the emitter would send to the daemon, as sent."""
    sent: list[str] = []
    emitter = xray_recorder.emitter
    assert isinstance(emitter, ErrorTypesOnlyEmitter)
    original = emitter._send_data
    emitter._send_data = sent.append
    global_sdk_config.set_sdk_enabled(True)
    xray_recorder.begin_segment("test", sampling=1)  # sampled, without asking a daemon
    try:
        yield sent
    finally:
        global_sdk_config.set_sdk_enabled(False)
        emitter._send_data = original


@pytest.mark.parametrize("case", CASES)
def test_malformed_input_leaves_no_patient_data_in_logs_errors_or_traces(
    case: str,
    aws: Aws,
    load_function: Callable[[str], Handler],
    traced: list[str],
    capfd: pytest.CaptureFixture[str],
) -> None:
    function, event = CASES[case]
    handler = load_function(function)
    error_log = ""
    try:
        handler(event(aws))
    except Exception as error:  # what the runtime logs for an invocation that failed
        error_log = "".join(traceback.format_exception(error))
    xray_recorder.end_segment()
    logs = capfd.readouterr()
    written = {"log": logs.out + logs.err, "runtime error": error_log, "trace": "".join(traced)}
    assert traced, "the trace was sent"
    for where, text in written.items():
        seen = [marker for marker in MARKERS if marker.lower() in text.lower()]
        assert not seen, f"{case}: {seen} in the {where}:\n{text}"


def test_a_trace_keeps_an_errors_type_and_place_never_its_text(traced: list[str]) -> None:
    """Whatever the error: a provider's names an address it refused, say."""

    @tracer.capture_method
    def send_email() -> None:
        raise RuntimeError(f"Email address is not verified: {EMAIL} ({NAME})")

    with pytest.raises(RuntimeError):
        send_email()
    xray_recorder.end_segment()
    trace = "".join(traced)
    assert '"type": "RuntimeError"' in trace and "send_email" in trace
    assert not [marker for marker in MARKERS if marker.lower() in trace.lower()], trace


def test_a_failed_batch_is_reported_with_message_ids_and_error_types(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    handler = load_function("AppointmentsFunction")
    with pytest.raises(Exception, match="All records failed processing") as raised:
        handler(queued(appointment_changed(), appointment_changed())(aws))
    text = str(raised.value)
    assert "RecordFailed: ValidationError in message m-0" in text
    assert "RecordFailed: ValidationError in message m-1" in text


@pytest.mark.parametrize(
    "text",
    ["call 4155550199", "call 14155550199", "call (415)555-0199", "call 415-555-0199",
     "call +14155550199", "write zebulon.quixote@example.com"],
)  # fmt: skip
def test_the_formatter_masks_every_written_form_of_a_number(text: str) -> None:
    assert redact(text).split(" ", 1)[1] == "[redacted]"


def test_the_formatter_leaves_ids_and_counts_alone() -> None:
    line = "patient P-1006, 12 rows, export 2026-11-23, message m-0, 5 tries"
    assert redact(line) == line
