"""Email feedback function: SES bounces and complaints, queued; each applied alone."""

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from reactivation import clock, wiring
from reactivation.config import EmailFeedbackSettings
from reactivation.events import EmailFeedback
from reactivation.observability import IdsOnlyBatchProcessor, logger, metrics, tracer

service = wiring.email_feedback_service(EmailFeedbackSettings.from_env(os.environ))
processor = IdsOnlyBatchProcessor(event_type=EventType.SQS)  # errors: ids and types only


@tracer.capture_method
def apply(record: SQSRecord) -> None:
    try:
        feedback = EmailFeedback.from_body(record.body)
        suppressed = service.apply(feedback, clock.now())
    except Exception as error:  # retried, then kept in the dead-letter queue
        metrics.add_metric(name="Failed", unit=MetricUnit.Count, value=1)
        logger.error("email feedback not applied", extra={"error": type(error).__name__})
        raise
    metrics.add_metric(name="EmailsSuppressed", unit=MetricUnit.Count, value=suppressed)
    logger.info("email feedback applied",
                extra={"event_type": feedback.event_type, "suppressed": suppressed})  # fmt: skip


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=apply, processor=processor, context=context
    )
