"""Send function: one SQS batch of send jobs; a failed job is retried alone (partial batch)."""

import os

from aws_lambda_powertools.metrics import MetricUnit

from reactivation import clock, wiring
from reactivation.batches import QueueMessage
from reactivation.config import SendSettings
from reactivation.domain.outreach import SendJob
from reactivation.observability import entry_point, logger, metrics, sqs_batch, tracer
from reactivation.services.send import Outcome

settings = SendSettings.from_env(os.environ)
service = wiring.send_service(settings)
dead_letters = wiring.send_dead_letters(settings)


def _park(record: QueueMessage, reason: str) -> None:
    """The job goes to the dead-letter queue with its reason, instead of another try."""
    dead_letters.park(record.body, reason)
    metrics.add_metric(name="Parked", unit=MetricUnit.Count, value=1)
    logger.error("send job parked", extra={"sqs_message_id": record.message_id, "reason": reason})


@tracer.capture_method
def deliver(record: QueueMessage) -> None:
    try:
        job = SendJob.model_validate_json(record.body)
    except ValueError as error:  # never valid, however often it is tried
        _park(record, f"malformed send job ({type(error).__name__})")
        return
    logger.set_correlation_id(job.job_id)
    logger.append_keys(campaign=job.campaign.value, step=job.step)
    try:
        delivery = service.deliver(job, clock.now())
    except Exception as error:
        metrics.add_metric(name="Failed", unit=MetricUnit.Count, value=1)
        tries = record.receive_count
        if tries >= settings.send_max_receives:
            _park(record, f"{type(error).__name__} on try {tries}")
            return
        logger.error("send failed, will retry", extra={"error": type(error).__name__})
        raise
    finally:
        logger.remove_keys(["campaign", "step"])
    metrics.add_metric(name=delivery.outcome.value.title(), unit=MetricUnit.Count, value=1)
    if delivery.outcome is Outcome.SENT and job.channel.value == "sms":
        metrics.add_metric(name="SmsSegments", unit=MetricUnit.Count, value=delivery.segments)
    logger.info(
        "send job settled",
        extra={"job_id": job.job_id, "outcome": delivery.outcome.value, "reason": delivery.reason},
    )


lambda_handler = entry_point(sqs_batch(deliver))
