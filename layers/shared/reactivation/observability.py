"""Logger, metrics and tracer shared by the functions (service name from POWERTOOLS_SERVICE_NAME).

Log lines carry ids and counts, never a phone number, email, name or message text. The
formatter also masks anything shaped like a phone number or an email address, in case a
library's message carries one.

An error's text can carry what a record held (a validation error its input, a provider's
error an address), and it goes where the formatter never sees it: the Lambda runtime logs a
function's error itself, and X-Ray records every error it sees. So the models that parse
outside input hide their input in errors (`domain.types.Parsed`), a failed batch is re-raised
with each message's id and error type only (`IdsOnlyBatchProcessor`), and the traces carry
an error's type and place, never its text (`ErrorTypesOnlyEmitter`).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.utilities.batch import BatchProcessor
from aws_lambda_powertools.utilities.batch.base import FailureResponse
from aws_lambda_powertools.utilities.batch.exceptions import ExceptionInfo
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter

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


class RecordFailed(Exception):
    """A record of a batch failed: its message id and the error's type, never the error's
    text (the record's data can be in it)."""

    def __init__(self, message_id: str, error: BaseException) -> None:
        super().__init__(f"{type(error).__name__} in message {message_id}")


class IdsOnlyBatchProcessor(BatchProcessor):
    """Powertools' batch processor, keeping of each failed record its message id and its
    error's type and traceback (the code's lines), not the error itself: when the whole batch
    fails, the error the runtime logs lists those only."""

    def failure_handler(self, record: Any, exception: ExceptionInfo) -> FailureResponse:
        _, error, traceback = exception
        failed = RecordFailed(str(getattr(record, "message_id", "?")), error or Exception())
        return super().failure_handler(record, (RecordFailed, failed, traceback))


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
tracer = Tracer()
xray_recorder.configure(emitter=ErrorTypesOnlyEmitter())
