"""Appointments function: "Appointment Changed" and "Openings Published" events from the
practices' systems, through the practice events bus and its queue; a no-show or late
cancellation starts the rescue sequence.
A change that cannot be applied is retried, then parked in the dead-letter queue; one bad event
never fails its batch."""

import os

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from reactivation import clock, wiring
from reactivation.batches import QueueMessage
from reactivation.config import AppointmentSettings
from reactivation.events import ForeignPracticeEvent, OpeningsPublishedEvent, parse_practice_event
from reactivation.observability import entry_point, logger, metrics, sqs_batch, tracer
from reactivation.services.appointments import ChangeRefused

settings = AppointmentSettings.from_env(os.environ)
service = wiring.appointment_change_service(settings)
dead_letters = wiring.appointment_dead_letters(settings)


@tracer.capture_method
def apply(record: QueueMessage) -> None:
    try:
        event = parse_practice_event(record.body)
        if isinstance(event, OpeningsPublishedEvent):
            added = service.publish_openings(event.detail.practice_id, event.detail.openings)
            metrics.add_metric(name="OpeningsAdded", unit=MetricUnit.Count, value=added)
            logger.info("openings published", extra={"practice_id": event.detail.practice_id,
                                                      "openings": len(event.detail.openings),
                                                      "added": added})  # fmt: skip
            return
        detail = event.detail
        row = detail.appointment.as_row()
        change = service.apply(detail.practice_id, row, detail.changed_at, clock.now())
    except ForeignPracticeEvent as error:  # never valid, however often it is tried
        dead_letters.park(record.body, str(error))
        metrics.add_metric(name="ForeignPracticeEvents", unit=MetricUnit.Count, value=1)
        logger.error("practice event refused and parked", extra={
            "sqs_message_id": record.message_id, "reason": str(error)})  # fmt: skip
        return
    except (ValidationError, ChangeRefused) as error:
        # The reason names a field, never its value: no patient data in the log.
        reason = str(error) if isinstance(error, ChangeRefused) else "not a practice event"
        metrics.add_metric(name="ChangeRefused", unit=MetricUnit.Count, value=1)
        logger.error("appointment change refused", extra={"sqs_message_id": record.message_id,
                                                          "reason": reason})  # fmt: skip
        raise
    metrics.add_metric(name=f"Change{change.outcome.value.title()}", unit=MetricUnit.Count, value=1)
    outcome: dict[str, object] = {
        "outcome": change.outcome.value,
        "status": change.appointment.status.value,
    }
    if change.rescue is not None:
        metrics.add_metric(name="RescueStarted", unit=MetricUnit.Count, value=1)
        outcome |= {"rescue_sequence": change.rescue.sequence_id, "holdout": change.rescue.holdout}
    elif change.no_rescue is not None:
        outcome["no_rescue"] = str(change.no_rescue)
    logger.info("appointment change", extra={"practice_id": detail.practice_id, **outcome})


lambda_handler = entry_point(sqs_batch(apply))
