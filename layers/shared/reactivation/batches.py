"""An SQS batch, each message handled alone (`observability.sqs_batch` wraps a handler in it):
Lambda's partial batch response (`ReportBatchItemFailures`), so that one failed message is
retried without the others.

Our own, not Powertools' batch utility: at import the utility loads every AWS event's data
class (and, imported after pydantic, its parser's models of them), which measured 90 ms of
each SQS handler's cold start for a loop of a few lines (issue #23, bench/cold_imports.py).
What it did for us is kept: a message that raises is reported in `batchItemFailures`; when
every message of the batch failed, the batch raises, so that Lambda's retry and the queue's
redrive count it; and what the runtime logs of that error is each message's id and error
type and the code's lines, never the error's text (a record's data can be in it).
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@dataclass(frozen=True, slots=True)
class QueueMessage:
    """One message of an SQS event, as a handler reads it."""

    message_id: str
    body: str
    #: How many times SQS has handed the message out (1 on its first delivery).
    receive_count: int

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> QueueMessage:
        attributes = record.get("attributes") or {}
        return cls(
            message_id=str(record["messageId"]),
            body=str(record["body"]),
            receive_count=int(attributes.get("ApproximateReceiveCount") or 1),
        )


class ItemFailure(TypedDict):
    itemIdentifier: str


class BatchResponse(TypedDict):
    batchItemFailures: list[ItemFailure]


class RecordFailed(Exception):
    """A record of a batch failed: its message id and the error's type, never the error's
    text (the record's data can be in it)."""

    def __init__(self, message_id: str, error: BaseException) -> None:
        super().__init__(f"{type(error).__name__} in message {message_id}")


class BatchFailed(Exception):
    """Every message of the batch failed: each one's id, error type and the code's lines."""

    def __init__(self, failures: list[tuple[str, BaseException]]) -> None:
        lines = [f"All records failed processing. {len(failures)} individual errors below."]
        for message_id, error in failures:
            lines += ["", f"RecordFailed: {RecordFailed(message_id, error)}"]
            lines += [frame.rstrip() for frame in traceback.format_tb(error.__traceback__)]
        super().__init__("\n".join(lines))


type RecordHandler = Callable[[QueueMessage], None] | Callable[[QueueMessage, LambdaContext], None]


def takes_context(handler: RecordHandler) -> bool:
    """Whether the record handler also wants the invocation's context (a second parameter)."""
    return len(inspect.signature(handler).parameters) == 2


def process_batch(
    event: Mapping[str, Any],
    handler: RecordHandler,
    context: LambdaContext,
    *,
    with_context: bool,
) -> BatchResponse:
    """Each message handled alone; the ones that raised are returned to be retried."""
    failures: list[tuple[str, BaseException]] = []
    records = list(event.get("Records") or [])
    for record in records:
        message_id = str(record.get("messageId", "?"))
        try:
            message = QueueMessage.from_record(record)
            if with_context:
                handler(message, context)  # type: ignore[call-arg]
            else:
                handler(message)  # type: ignore[call-arg]
        except Exception as error:
            failures.append((message_id, error))
    if records and len(failures) == len(records):
        raise BatchFailed(failures)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id, _ in failures]}
