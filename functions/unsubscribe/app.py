"""Unsubscribe function: the signed one-click link of every outreach email (RFC 8058)."""

import os
from functools import cache
from http import HTTPStatus
from importlib import resources
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.metrics import MetricUnit

from reactivation import clock, wiring
from reactivation.config import UnsubscribeSettings
from reactivation.domain.unsubscribe import InvalidLink
from reactivation.observability import entry_point, http_api, logger, metrics
from reactivation.services.unsubscribe import UnsubscribePage

if TYPE_CHECKING:
    from jinja2 import Template

service = wiring.unsubscribe_service(UnsubscribeSettings.from_env(os.environ))
app = APIGatewayHttpResolver()


@cache
def _page() -> "Template":
    """The page, compiled when first shown (sandboxed, everything escaped)."""
    from jinja2 import select_autoescape
    from jinja2.sandbox import SandboxedEnvironment

    source = resources.files("reactivation").joinpath("templates/unsubscribe.html.j2")
    environment = SandboxedEnvironment(autoescape=select_autoescape(default=True))
    return environment.from_string(source.read_text("utf-8"))


def _token() -> str:
    return str(app.current_event.get_query_string_value("t", "") or "")


#: The link is a credential: never cached, never sent on as a referrer, never framed.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
}


def _html(status: int, shown: UnsubscribePage | None) -> Response[str]:
    values: dict[str, Any] = {"invalid": shown is None, "language": "en", "practice_name": ""}
    if shown is not None:
        values.update(practice_name=shown.practice_name, language=shown.language.value,
                      done=shown.done)  # fmt: skip
    return Response(status_code=status, content_type=content_types.TEXT_HTML,
                    body=_page().render(values), headers=HEADERS)  # fmt: skip


@app.get("/unsubscribe")
def confirm() -> Response[str]:
    return _html(HTTPStatus.OK, service.confirm_page(_token(), clock.now()))


@app.post("/unsubscribe")
def unsubscribe() -> Response[str]:
    shown = service.unsubscribe(_token(), clock.now())
    metrics.add_metric(name="EmailUnsubscribes", unit=MetricUnit.Count, value=1)
    logger.info("email unsubscribe recorded")
    return _html(HTTPStatus.OK, shown)


# A link this deployment did not sign changes nothing and says so.
@app.exception_handler(InvalidLink)  # type: ignore[untyped-decorator]
def invalid(error: InvalidLink) -> Response[str]:
    logger.warning("unsubscribe link refused", extra={"reason": str(error)})
    metrics.add_metric(name="Refused", unit=MetricUnit.Count, value=1)
    return _html(HTTPStatus.FORBIDDEN, None)


lambda_handler = entry_point(http_api(app))
