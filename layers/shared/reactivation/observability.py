"""Logger, metrics and tracer shared by the functions (service name from POWERTOOLS_SERVICE_NAME),
and the entry point every handler is wrapped in.

Log lines carry ids and counts, never a phone number, email, name or message text. The
formatter also masks anything shaped like a phone number or an email address, in case a
library's message carries one.

An error's text can carry what a record held (a validation error its input, a provider's
error an address), and it goes where the formatter never sees it: the Lambda runtime logs a
function's error itself, and X-Ray records every error it sees. So the models that parse
outside input hide their input in errors (`domain.types.Parsed`), a failed batch is re-raised
with each message's id and error type only (`sqs_batch`, with `batches.process_batch`),
and the traces carry an error's type and place, never its text (`ErrorTypesOnlyEmitter`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter

from reactivation.batches import BatchResponse, RecordHandler, process_batch, takes_context

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from aws_lambda_powertools.utilities.typing import LambdaContext

type Event = dict[str, Any]

_CONTACT = re.compile(
    r"\+\d{8,15}"  # E.164
    r"|\(?\b\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}\b"  # (415) 555-0134, 415.555.0134, (415)555-0134
    r"|\b1?\d{10}\b"  # a bare national number: 4155550134, 14155550134
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # email
)


def redact(text: str) -> str:
    return _CONTACT.sub("[redacted]", text)


class RedactingFormatter(LambdaPowertoolsFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class ErrorTypesOnlyEmitter(UDPEmitter):  # type: ignore[misc]
    """X-Ray's emitter, sending each trace with its errors' types and stack frames only: an
    error's message, and any error Powertools put in the metadata, are left out."""

    def send_entity(self, entity: Any) -> None:
        _without_error_text(entity)
        super().send_entity(entity)


def _without_error_text(entity: Any) -> None:
    cause = getattr(entity, "cause", None)
    if isinstance(cause, dict):
        for throwable in cause.get("exceptions", []):
            vars(throwable).pop("message", None)
    for namespace in (getattr(entity, "metadata", None) or {}).values():
        if isinstance(namespace, dict):
            for key in [key for key in namespace if str(key).endswith(" error")]:
                del namespace[key]
    for child in getattr(entity, "subsegments", None) or []:
        _without_error_text(child)


logger = Logger(logger_formatter=RedactingFormatter())
metrics = Metrics()
#: X-Ray subsegments for the AWS calls (botocore) and the signing certificates' HTTPS fetch
#: (httplib): all the layer calls out with. (Patching every module the X-Ray SDK knows would
#: import each one it finds at cold start.)
tracer = Tracer(patch_modules=("botocore", "httplib"))
xray_recorder.configure(emitter=ErrorTypesOnlyEmitter())


def entry_point[Answer](
    handle: Callable[[Event, LambdaContext], Answer],
) -> Callable[[Event, LambdaContext], Answer]:
    """A function's `lambda_handler`: the invocation's context in every log line (none kept
    from the last one), traced, and its metrics flushed when it returns."""

    def lambda_handler(event: Event, context: LambdaContext) -> Answer:
        return handle(event, context)

    traced = tracer.capture_lambda_handler(metrics.log_metrics(lambda_handler))
    wrapped: Callable[[Event, LambdaContext], Answer] = logger.inject_lambda_context(
        traced, clear_state=True
    )
    return wrapped


def sqs_batch(
    record_handler: RecordHandler,
) -> Callable[[Event, LambdaContext], BatchResponse]:
    """The records of an SQS batch, each handled alone: one that raises is retried (a partial
    batch response), the others are done. A failed batch is re-raised with each message's id
    and error type only: never a record's data (`batches.process_batch`)."""
    with_context = takes_context(record_handler)

    def handle(event: Event, context: LambdaContext) -> BatchResponse:
        return process_batch(event, record_handler, context, with_context=with_context)

    return handle


def http_api(app: APIGatewayHttpResolver) -> Callable[[Event, LambdaContext], dict[str, Any]]:
    """An HTTP API's requests, routed by `app` (its routes and error handlers)."""

    def handle(event: Event, context: LambdaContext) -> dict[str, Any]:
        return app.resolve(event, context)

    return handle
