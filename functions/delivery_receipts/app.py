"""Delivery receipts function: each text's final status, from End User Messaging's events (its
configuration set's SNS destination, queued raw) and SNS's delivery status logs (CloudWatch
Logs hands them here; each entry is queued alone, then read from the queue like the others)."""

import base64
import gzip
import json
import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reactivation import clock, wiring
from reactivation.batches import QueueMessage
from reactivation.config import DeliveryReceiptSettings
from reactivation.domain.delivery import BLOCKED, DeliveryStatus
from reactivation.observability import entry_point, logger, metrics, sqs_batch, tracer
from reactivation.receipts import parse_receipt
from reactivation.services.delivery import Applied

settings = DeliveryReceiptSettings.from_env(os.environ)
service = wiring.delivery_receipt_service(settings)
queue = wiring.receipt_queue(settings)


@tracer.capture_method
def apply(record: QueueMessage) -> None:
    try:
        receipt = parse_receipt(record.body)
    except ValueError as error:  # retried, then kept in the dead-letter queue for a person
        metrics.add_metric(name="ReceiptsMalformed", unit=MetricUnit.Count, value=1)
        logger.error("receipt not read", extra={"error": type(error).__name__})
        raise
    result = service.apply(receipt, clock.now())
    if result.applied is Applied.UNKNOWN:
        # an answer's text, or one older than its pointer: counted and dropped
        metrics.add_metric(name="ReceiptsUnknown", unit=MetricUnit.Count, value=1)
        logger.info("receipt for an unknown message dropped", extra={"status": receipt.status})
        return
    if result.applied is Applied.RECORDED and receipt.final:
        if receipt.status is DeliveryStatus.DELIVERED:
            metrics.add_metric(name="Delivered", unit=MetricUnit.Count, value=1)
        elif receipt.status in BLOCKED:
            metrics.add_metric(name="Blocked", unit=MetricUnit.Count, value=1)
        else:
            metrics.add_metric(name="Undelivered", unit=MetricUnit.Count, value=1)
    if result.suppressed:
        metrics.add_metric(name="NumbersSuppressed", unit=MetricUnit.Count, value=1)
    logger.info(
        "receipt applied",
        extra={"applied": result.applied, "status": receipt.status, "final": receipt.final,
               "suppressed": result.suppressed},
    )  # fmt: skip


def forward(event: dict[str, Any]) -> dict[str, int]:
    """A CloudWatch Logs subscription's batch ({"awslogs": {"data": base64 gzip JSON}}, its
    "logEvents" each with the log entry as "message"): each entry queued as it was written."""
    data = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    if data.get("messageType") != "DATA_MESSAGE":
        return {"forwarded": 0}  # CloudWatch Logs' CONTROL_MESSAGE checks the destination
    forwarded = queue.forward([str(entry["message"]) for entry in data.get("logEvents", [])])
    metrics.add_metric(name="ReceiptsForwarded", unit=MetricUnit.Count, value=forwarded)
    return {"forwarded": forwarded}


records = sqs_batch(apply)


def handle(event: dict[str, Any], context: LambdaContext) -> Any:
    if "awslogs" in event:
        return forward(event)
    return records(event, context)


lambda_handler = entry_point(handle)
