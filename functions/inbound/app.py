"""Inbound function: patients' SMS replies, delivered by SNS over HTTPS."""

import os
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from reactivation import clock, wiring
from reactivation.config import InboundSettings
from reactivation.events import MAX_INBOUND_BYTES, SnsEnvelope
from reactivation.observability import entry_point, http_api, logger, metrics, tracer
from reactivation.services.inbound import RequestRefused

service = wiring.inbound_service(InboundSettings.from_env(os.environ))
app = APIGatewayHttpResolver()


@app.post("/sms/inbound")
@tracer.capture_method
def inbound_sms() -> dict[str, Any]:
    body = app.current_event.decoded_body or ""
    if len(body.encode()) > MAX_INBOUND_BYTES:
        raise RequestRefused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request too large")
    envelope = SnsEnvelope.model_validate_json(body)
    logger.set_correlation_id(envelope.message_id)
    result = service.handle(envelope, clock.now())
    if result.intent is not None:
        metrics.add_metric(name="Replies", unit=MetricUnit.Count, value=1)
        if result.intent.value == "opt_out":
            metrics.add_metric(name="OptOuts", unit=MetricUnit.Count, value=1)
    if result.answers_in_doubt:  # an earlier delivery died while answering: not sent again
        metrics.add_metric(name="AnswersInDoubt", unit=MetricUnit.Count, value=1)
        logger.warning("reply answers in doubt", extra={"reply_id": envelope.message_id})
    logger.info("inbound handled", extra={"handled": result.handled.value, "intent": result.intent})
    return {"handled": result.handled.value}


# Errors become HTTP answers here, and only here. Nothing was written when they are raised.
@app.exception_handler(ValidationError)  # type: ignore[untyped-decorator]
def malformed(error: ValidationError) -> Response[str]:
    logger.warning("malformed inbound request", extra={"errors": error.error_count()})
    return _refuse(HTTPStatus.BAD_REQUEST, "malformed request")


@app.exception_handler(RequestRefused)  # type: ignore[untyped-decorator]
def refused(error: RequestRefused) -> Response[str]:
    logger.warning(
        "inbound request refused", extra={"status": error.status, "reason": error.reason}
    )
    return _refuse(error.status, error.reason)


def _refuse(status: int, reason: str) -> Response[str]:
    metrics.add_metric(name="Refused", unit=MetricUnit.Count, value=1)
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=f'{{"message": "{reason}"}}',
    )


lambda_handler = entry_point(http_api(app))
