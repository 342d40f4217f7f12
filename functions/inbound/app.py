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
from reactivation.services.inbound import outcomes

service = wiring.inbound_service(InboundSettings.from_env(os.environ))
app = APIGatewayHttpResolver()

#: Each refusal's HTTP answer: here, and only here. Nothing was written when one is raised.
STATUS: dict[type[Exception], HTTPStatus] = {
    ValidationError: HTTPStatus.BAD_REQUEST,
    outcomes.TokenMissing: HTTPStatus.BAD_REQUEST,
    outcomes.NotThisTopic: HTTPStatus.FORBIDDEN,
    outcomes.NotGenuine: HTTPStatus.FORBIDDEN,
    outcomes.TooLarge: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    outcomes.UnknownDestination: HTTPStatus.UNPROCESSABLE_ENTITY,
}


@app.post("/sms/inbound")
@tracer.capture_method
def inbound_sms() -> dict[str, Any]:
    body = app.current_event.decoded_body or ""
    if len(body.encode()) > MAX_INBOUND_BYTES:
        raise outcomes.TooLarge
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


@app.exception_handler([ValidationError, outcomes.Refused])  # type: ignore[untyped-decorator]
def refused(error: ValidationError | outcomes.Refused) -> Response[str]:
    status = next((s for kind, s in STATUS.items() if isinstance(error, kind)), 400)
    if isinstance(error, ValidationError):  # its count only: its text may be a patient's
        reason = "malformed request"
        logger.warning("malformed inbound request", extra={"errors": error.error_count()})
    else:
        reason = error.reason
    logger.warning("inbound request refused", extra={"status": status, "reason": reason})
    metrics.add_metric(name="Refused", unit=MetricUnit.Count, value=1)
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=f'{{"message": "{reason}"}}',
    )


lambda_handler = entry_point(http_api(app))
