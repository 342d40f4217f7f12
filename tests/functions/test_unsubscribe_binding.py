"""Issue #16 item 7: an unsubscribe link acts only for the address it was sent to, and its page
is never cached, sent on as a referrer or framed."""

import re
from collections.abc import Callable
from typing import Any

from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.patients import PatientRepository
from reactivation.domain.types import Channel
from tests.builders import make_patient
from tests.conftest import Aws
from tests.functions.helpers import seed, sent_emails, sqs_event
from tests.functions.test_send import RUN, enrolled_job
from tests.functions.test_unsubscribe import Handler, request


def emailed_link(aws: Aws, load_function: Callable[[str], Handler]) -> str:
    send = load_function("SendFunction")
    seed(aws, None, make_patient("P-1", mobile=None, email="ana@example.com"))
    send(sqs_event(aws, [enrolled_job(aws, channel=Channel.EMAIL).model_dump_json()]))
    (email,) = sent_emails()
    link = re.search(r'href="([^"]+/unsubscribe\?t=[^"]+)"', email.body)
    assert link is not None
    return link.group(1).replace("&amp;", "&")


def test_a_link_sent_to_an_address_the_patient_no_longer_has_changes_nothing(
    aws: Aws, load_function: Callable[[str], Handler], frozen_clock: Callable[[Any], None]
) -> None:
    frozen_clock(RUN)
    url = emailed_link(aws, load_function)
    unsubscribe = load_function("UnsubscribeFunction")
    # the practice's next export gives the patient a new address
    PatientRepository(aws.client("dynamodb"), aws.table).save(
        "bright-smile", make_patient("P-1", mobile=None, email="ana.new@example.com")
    )
    for method in ("GET", "POST"):
        answer = request(unsubscribe, method, url, "List-Unsubscribe=One-Click")
        assert answer["statusCode"] == 403 and "This link is not valid" in answer["body"]
    assert (
        ConsentRepository(aws.client("dynamodb"), aws.table).all_opted_out("bright-smile")
        == frozenset()
    )


def test_the_page_is_never_cached_referred_or_framed(
    aws: Aws, load_function: Callable[[str], Handler], frozen_clock: Callable[[Any], None]
) -> None:
    frozen_clock(RUN)
    url = emailed_link(aws, load_function)
    unsubscribe = load_function("UnsubscribeFunction")
    for answer in (
        request(unsubscribe, "GET", url),
        request(unsubscribe, "POST", "/unsubscribe?t=x"),
    ):
        headers = {name.lower(): value for name, value in answer["headers"].items()}
        assert headers["cache-control"] == "no-store"
        assert headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
