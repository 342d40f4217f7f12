"""Segment function. The schedules fan out: each run puts units of work per practice on the
segment queue (enrolment: one per shard of the practices whose own enrolment hour it is). Each
shard's unit, from the queue, ranks its due patients (a large shard goes on page after page,
each in an invocation of its own); the last one queues the practice's SELECT unit, which enrols
the first under the weekly cap and queues their messages."""

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reactivation import wiring
from reactivation.batches import QueueMessage
from reactivation.config import SegmentSettings
from reactivation.events import ScheduledSegmentEvent, SegmentUnit
from reactivation.observability import entry_point, logger, metrics, sqs_batch, tracer

service = wiring.segment_service(SegmentSettings.from_env(os.environ))


@tracer.capture_method
def run_unit(record: QueueMessage, lambda_context: LambdaContext) -> None:
    unit = SegmentUnit.model_validate_json(record.body)
    logger.set_correlation_id(f"{unit.run.value}@{unit.run_start.isoformat()}/{unit.practice_id}")
    outcome = service.run_unit(unit, lambda: lambda_context.get_remaining_time_in_millis() / 1000)
    metrics.add_metric(name="Enrolled", unit=MetricUnit.Count, value=sum(outcome.enrolled.values()))
    metrics.add_metric(name="JobsQueued", unit=MetricUnit.Count, value=outcome.queued)
    logger.info(
        "segment unit finished",
        extra={"run": unit.run.value, "practice_id": unit.practice_id, **outcome.summary()},
    )


units = sqs_batch(run_unit)


@entry_point
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" in event:  # units of work from the segment queue
        return dict(units(event, context))
    run = ScheduledSegmentEvent.model_validate(event)
    logger.set_correlation_id(f"{run.run.value}@{run.scheduled_time.isoformat()}")
    plan = service.plan(run.run, run.scheduled_time)
    metrics.add_metric(name="PracticeUnits", unit=MetricUnit.Count, value=len(plan.units))
    logger.info("segment run planned", extra={"run": run.run.value, **plan.summary()})
    return plan.summary()
