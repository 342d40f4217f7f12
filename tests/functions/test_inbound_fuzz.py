"""Fuzzing the inbound endpoint (hypothesis): whatever arrives, the answer is a 4xx, never a
5xx, and nothing is written or sent; a genuinely signed envelope carrying a payload that is not
a two-way SMS is refused the same way."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from reactivation.events import TwoWaySms
from tests.conftest import Aws
from tests.functions import test_inbound
from tests.functions.helpers import sent_sms
from tests.functions.test_inbound import Handler, envelope, item_count, post

inbound = test_inbound.inbound  # its fixture: the inbound function on moto, signing trusted

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=12,
)
FIELDS = ["Type", "MessageId", "TopicArn", "Message", "Timestamp", "Signature",
          "SignatureVersion", "SigningCertURL", "Token", "SubscribeURL"]  # fmt: skip


def refused_quietly(aws: Aws, inbound: Handler, body: str | bytes) -> None:
    before, texts = item_count(aws), len(sent_sms())
    status = post_status(inbound, body)
    assert 400 <= status < 500, status
    assert item_count(aws) == before and len(sent_sms()) == texts


def post_status(inbound: Handler, body: str | bytes) -> int:
    try:
        return post(inbound, body)[0]
    except json.JSONDecodeError:  # the answer body is not JSON: still judge the status
        raise AssertionError("the endpoint answered something that is not JSON") from None


@FUZZ
@given(st.binary(max_size=2000) | st.text(max_size=2000))
def test_any_body_is_refused_with_a_4xx_and_writes_nothing(
    aws: Aws,
    inbound: Handler,
    body: str | bytes,
) -> None:
    refused_quietly(aws, inbound, body)


@FUZZ
@given(st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=8) | JSON)
def test_any_json_that_is_not_a_signed_sns_message_is_refused(
    aws: Aws,
    inbound: Handler,
    value: Any,
) -> None:
    refused_quietly(aws, inbound, json.dumps(value))


def not_two_way_sms(value: Any) -> bool:
    try:
        TwoWaySms.model_validate_json(json.dumps(value))
    except (ValidationError, ValueError):
        return True
    return False


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(["originationNumber", "destinationNumber", "messageBody",
                         "inboundMessageId", "messageKeyword", "previousPublishedMessageId"]),
        JSON, max_size=6,
    ).filter(not_two_way_sms)
)  # fmt: skip
def test_a_signed_envelope_with_a_bad_payload_is_refused(
    aws: Aws,
    inbound: Handler,
    payload: dict[str, Any],
) -> None:
    refused_quietly(aws, inbound, json.dumps(envelope(aws, "x", Message=json.dumps(payload))))
