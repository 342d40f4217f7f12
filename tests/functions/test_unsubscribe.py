"""The unsubscribe function against moto: the link in an outreach email, opened and clicked."""

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.outbox import OutboxRepository
from reactivation.domain.outreach import SendStatus
from reactivation.domain.types import Channel
from reactivation_tools.local.api import http_api_event
from tests.builders import make_patient
from tests.conftest import Aws
from tests.functions.helpers import seed, sent_emails, sqs_event
from tests.functions.test_send import RUN, enrolled_job

Handler = Callable[[dict[str, Any]], Any]


def request(handler: Handler, method: str, url: str, body: str = "") -> dict[str, Any]:
    parts = urlsplit(url)
    headers = {"content-type": "application/x-www-form-urlencoded"} if body else {}
    target = f"{parts.path}?{parts.query}" if parts.query else parts.path
    result: dict[str, Any] = handler(
        http_api_event(method, target, headers, body.encode(), "198.51.100.7")
    )
    return result


def test_the_link_of_an_email_asks_then_one_click_opts_the_address_out(
    aws: Aws, load_function: Callable[[str], Handler], frozen_clock: Callable[[Any], None]
) -> None:
    frozen_clock(RUN)
    send, unsubscribe = load_function("SendFunction"), load_function("UnsubscribeFunction")
    seed(aws, None, make_patient("P-1", mobile=None, email="ana@example.com"))
    first = enrolled_job(aws, channel=Channel.EMAIL)
    send(sqs_event(aws, [first.model_dump_json()]))
    (email,) = sent_emails()
    link = re.search(r'href="([^"]+/unsubscribe\?t=[^"]+)"', email.body)
    assert link is not None
    url = link.group(1).replace("&amp;", "&")
    consent = ConsentRepository(aws.client("dynamodb"), aws.table)

    page = request(unsubscribe, "GET", url)  # a person, or a mail scanner, opens it
    assert page["statusCode"] == 200 and '<form method="post"' in page["body"]
    assert "Bright Smile Dental" in page["body"]
    assert consent.opted_out("bright-smile", ["ana@example.com"]) == frozenset()

    done = request(unsubscribe, "POST", url, "List-Unsubscribe=One-Click")  # the mail client
    assert done["statusCode"] == 200 and "You are unsubscribed" in done["body"]
    assert consent.opted_out("bright-smile", ["ana@example.com"]) == {"ana@example.com"}
    assert request(unsubscribe, "POST", url)["statusCode"] == 200  # twice: the same

    # the next email step to that address is cancelled at the moment of sending
    later = first.model_copy(update={"step": 2, "job_id": first.job_id[:-1] + "2"})
    send(sqs_event(aws, [later.model_dump_json()]))
    outbox = OutboxRepository(aws.client("dynamodb"), aws.table)
    assert outbox.status(later) is SendStatus.CANCELLED
    assert len(sent_emails()) == 1


def test_a_forged_or_altered_link_is_refused_and_changes_nothing(
    aws: Aws, load_function: Callable[[str], Handler], frozen_clock: Callable[[Any], None]
) -> None:
    frozen_clock(RUN)
    unsubscribe = load_function("UnsubscribeFunction")
    seed(aws, None, make_patient("P-1", mobile=None, email="ana@example.com"))
    for token in ("", "abc.def", "djEKYnJpZ2h0LXNtaWxlClAtMQ.AAAA", "x" * 700):
        answer = request(unsubscribe, "POST", f"/unsubscribe?t={token}")
        assert answer["statusCode"] == 403 and "This link is not valid" in answer["body"]
    assert (
        ConsentRepository(aws.client("dynamodb"), aws.table).all_opted_out("bright-smile")
        == frozenset()
    )
