"""Ingest function: imports a practice's export when its files land in the imports bucket.

One message at a time from the import queue: S3's "Object Created" event (through EventBridge),
or an import's own message to go on where it stopped. A failure leaves the message to come
round again (the import resumes from its checkpoint), and after five tries in the DLQ.
"""

import os

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reactivation import clock, wiring
from reactivation.batches import QueueMessage
from reactivation.config import IngestSettings
from reactivation.domain.imports import ExportRef
from reactivation.events import ExportFileEvent, parse_import_message
from reactivation.observability import entry_point, logger, metrics, sqs_batch, tracer

service = wiring.ingest_service(IngestSettings.from_env(os.environ))


@tracer.capture_method
def ingest(record: QueueMessage, lambda_context: LambdaContext) -> None:
    message = parse_import_message(record.body)

    def time_left() -> float:
        return lambda_context.get_remaining_time_in_millis() / 1000

    worker = lambda_context.aws_request_id
    if isinstance(message, ExportFileEvent):
        outcome = service.file_arrived(message.key, clock.now(), worker, time_left)
    else:
        ref = ExportRef(message.practice_id, message.export_id)
        outcome = service.resume(ref, clock.now(), worker, time_left)
    status = "".join(part.title() for part in outcome.status.value.split("_"))
    metrics.add_metric(name=f"Import{status}", unit=MetricUnit.Count, value=1)  # ImportNeedsReview
    logger.info("import message handled", extra=outcome.summary())


lambda_handler = entry_point(sqs_batch(ingest))
