"""Inbound redrive function: the replies SNS parked in the inbound dead-letter queue, processed
every five minutes (or when invoked) as the inbound endpoint processes them."""

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reactivation import clock, wiring
from reactivation.config import InboundRedriveSettings
from reactivation.observability import entry_point, logger, metrics

redrive = wiring.inbound_redrive(InboundRedriveSettings.from_env(os.environ))


@entry_point
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = redrive.run(clock.now(), lambda: context.get_remaining_time_in_millis() / 1000)
    for outcome, count in report.outcomes.items():
        metrics.add_metric(
            name=f"Parked{outcome.value.title()}", unit=MetricUnit.Count, value=count
        )
    counts = {"outcomes": dict(report.outcomes), "reasons": dict(report.reasons)}
    logger.info("parked replies redriven", extra=counts)
    return counts
