"""The batch processor of every SQS handler (`observability.sqs_batch` makes it): a failed
batch is reported with each message's id and error type, never the error's text.

In a module of its own so that only the SQS handlers load Powertools' batch utility, and they
first, among their third-party imports (see `observability.sqs_batch`).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor
from aws_lambda_powertools.utilities.batch.base import FailureResponse
from aws_lambda_powertools.utilities.batch.exceptions import ExceptionInfo


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
