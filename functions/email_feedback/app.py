"""Email feedback function: SES bounces and complaints, queued; each applied alone."""

import os

from aws_lambda_powertools.metrics import MetricUnit

from reactivation import clock, wiring
from reactivation.batches import QueueMessage
from reactivation.config import EmailFeedbackSettings
from reactivation.events import EmailFeedback
from reactivation.observability import entry_point, logger, metrics, sqs_batch, tracer

service = wiring.email_feedback_service(EmailFeedbackSettings.from_env(os.environ))


@tracer.capture_method
def apply(record: QueueMessage) -> None:
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


lambda_handler = entry_point(sqs_batch(apply))
