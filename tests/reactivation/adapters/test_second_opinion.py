"""The Bedrock second opinion (adapters/second_opinion.py) against the real Converse shapes:
botocore's Stubber checks every request against the service model and every answer too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber

from reactivation import observability, wiring
from reactivation.adapters.second_opinion import (
    ASKED,
    FAILED,
    MAX_TOKENS,
    UNREAD,
    BedrockSecondOpinion,
)
from reactivation.config import InboundSettings
from reactivation.domain.conversation import Intent
from reactivation.domain.second_opinion import SYSTEM_PROMPT, prompt

MODEL = "amazon.nova-micro-v1:0"
TEXT = "ugh third text this week"


def _client() -> Any:
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def counted() -> list[str]:
    return []


@pytest.fixture
def stubbed(counted: list[str]) -> Iterator[tuple[BedrockSecondOpinion, Stubber]]:
    client = _client()
    with Stubber(client) as stubber:
        yield BedrockSecondOpinion(client, MODEL, counted.append), stubber
        stubber.assert_no_pending_responses()


def _response(text: str, stop_reason: str = "end_turn") -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop_reason,
        "usage": {"inputTokens": 301, "outputTokens": 3, "totalTokens": 304},
        "metrics": {"latencyMs": 212},
    }


EXPECTED = {
    "modelId": MODEL,
    "system": [{"text": SYSTEM_PROMPT}],
    "messages": [{"role": "user", "content": [{"text": prompt(TEXT)}]}],
    "inferenceConfig": {"maxTokens": MAX_TOKENS, "temperature": 0.0},
}


def test_the_answer_is_read_as_an_intent(
    stubbed: tuple[BedrockSecondOpinion, Stubber], counted: list[str]
) -> None:
    opinion, stubber = stubbed
    stubber.add_response("converse", _response("opt_out"), EXPECTED)
    assert opinion.ask(TEXT) is Intent.OPT_OUT
    assert counted == [ASKED]


def test_the_request_carries_the_reply_s_text_alone() -> None:
    request = BedrockSecondOpinion(None, MODEL, print).request(TEXT)
    assert request == EXPECTED


@pytest.mark.parametrize(
    ("text", "stop_reason"),
    [("I think this is an opt_out", "end_turn"), ("opt_", "max_tokens"), ("", "end_turn")],
)
def test_an_answer_not_read_leaves_the_local_reading(
    stubbed: tuple[BedrockSecondOpinion, Stubber], counted: list[str], text: str, stop_reason: str
) -> None:
    opinion, stubber = stubbed
    stubber.add_response("converse", _response(text, stop_reason), EXPECTED)
    assert opinion.ask(TEXT) is None
    assert counted == [ASKED, UNREAD]


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ThrottlingException", 429),
        ("AccessDeniedException", 403),
        ("ModelTimeoutException", 408),
        ("ServiceUnavailableException", 503),
        ("ValidationException", 400),
    ],
)
def test_an_error_leaves_the_local_reading_and_is_counted(
    stubbed: tuple[BedrockSecondOpinion, Stubber], counted: list[str], code: str, status: int
) -> None:
    opinion, stubber = stubbed
    stubber.add_client_error("converse", code, "no", status, expected_params=EXPECTED)
    assert opinion.ask(TEXT) is None
    assert counted == [ASKED, FAILED]


def _settings(**extra: str) -> InboundSettings:
    return InboundSettings.from_env(
        {
            "PRACTICE_TABLE_NAME": "practice-table",
            "INBOUND_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:inbound",
            "PRACTICE_EVENTS_BUS_NAME": "practice-events",
            **extra,
        }
    )


def test_no_model_no_second_opinion() -> None:
    assert wiring.second_opinion(_settings()) is None
    assert wiring.second_opinion(_settings(REPLY_SECOND_OPINION_MODEL="")) is None


def test_a_timeout_is_tried_once_and_leaves_the_local_reading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    metrics: list[str] = []
    monkeypatch.setattr(observability.metrics, "add_metric", lambda name, **_: metrics.append(name))
    opinion = wiring.second_opinion(
        _settings(REPLY_SECOND_OPINION_MODEL=MODEL, REPLY_SECOND_OPINION_REGION="us-west-2")
    )
    assert opinion is not None
    sent: list[str] = []

    def time_out(request: Any, **_: Any) -> None:
        sent.append(request.url)
        raise ReadTimeoutError(endpoint_url=request.url)

    client = opinion._client  # built now, with the wiring's configuration
    client.meta.events.register("before-send.bedrock-runtime.Converse", time_out)
    assert opinion.ask(TEXT) is None
    assert len(sent) == 1  # no retry
    assert metrics == [ASKED, FAILED]
    assert sent[0].startswith("https://bedrock-runtime.us-west-2.amazonaws.com/model/")
