"""Report function: hourly; each practice owner gets last week's outcomes by email at the
practice's own Monday 07:00 (or at the next run after it, if that one failed)."""

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reactivation import wiring
from reactivation.config import ReportSettings
from reactivation.events import ScheduledReportEvent
from reactivation.observability import entry_point, logger, metrics
from reactivation.services.report import ReportRunFailed

service = wiring.report_service(ReportSettings.from_env(os.environ))


@entry_point
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, object]:
    run = ScheduledReportEvent.model_validate(event)
    logger.set_correlation_id(f"report@{run.scheduled_time.isoformat()}")
    outcome = service.run(run.scheduled_time)
    metrics.add_metric(name="ReportsSent", unit=MetricUnit.Count, value=len(outcome.sent))
    summary: dict[str, object] = {
        "sent": outcome.sent,
        "already_sent": outcome.already_sent,
        "not_due": len(outcome.not_due),
        "failed": outcome.failed,
    }
    logger.info("report run finished", extra=summary)
    if outcome.failed:
        # The others are sent and claimed; the next run (or the schedule's retry) sends these.
        raise ReportRunFailed(f"{len(outcome.failed)} practice reports failed")
    return summary
