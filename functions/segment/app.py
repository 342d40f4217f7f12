"""Segment function: the weekly enrolment and the frequent run that queues due follow-ups."""

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reactivation import wiring
from reactivation.config import SegmentSettings
from reactivation.events import ScheduledSegmentEvent, SegmentRun
from reactivation.observability import logger, metrics, tracer

service = wiring.segment_service(SegmentSettings.from_env(os.environ))


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, object]:
    run = ScheduledSegmentEvent.model_validate(event)
    logger.set_correlation_id(f"{run.run.value}@{run.scheduled_time.isoformat()}")
    if run.run is SegmentRun.ENROLMENT:
        outcome = service.enrol(run.scheduled_time)
    else:
        outcome = service.follow_ups(run.scheduled_time)
    metrics.add_metric(name="Enrolled", unit=MetricUnit.Count, value=sum(outcome.enrolled.values()))
    metrics.add_metric(name="JobsQueued", unit=MetricUnit.Count, value=outcome.queued)
    logger.info("segment run finished", extra={"run": run.run.value, **outcome.summary()})
    return outcome.summary()
