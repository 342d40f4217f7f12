"""The inbound function with a second opinion configured (ReplySecondOpinionModel): only an
unsure reply is asked about, and the answer only moves it toward caution. The hosted model is
a stand-in here (its Converse shapes are tested with botocore's Stubber in
tests/reactivation/adapters/test_second_opinion.py)."""

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.second_opinion import BedrockSecondOpinion
from reactivation.domain.conversation import Intent
from reactivation.domain.handoffs import HandoffReason
from tests.conftest import Aws
from tests.functions.helpers import sent_sms
from tests.functions.test_inbound import envelope, handoffs, inbound, post

__all__ = ["inbound"]  # the inbound function's fixture, loaded here with a model named

Handler = Callable[[dict[str, Any]], Any]


@pytest.fixture
def asked() -> list[str]:
    return []


def _with_opinion(
    aws: Aws,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    asked: list[str],
    answer: Intent | None,
) -> Handler:
    spec = aws.functions["InboundFunction"]
    environment = {**spec.environment, "REPLY_SECOND_OPINION_MODEL": "amazon.nova-micro-v1:0"}
    monkeypatch.setitem(aws.functions, "InboundFunction", replace(spec, environment=environment))

    def ask(self: BedrockSecondOpinion, text: str) -> Intent | None:
        asked.append(text)
        return answer

    monkeypatch.setattr(BedrockSecondOpinion, "ask", ask)
    handler: Handler = request.getfixturevalue("inbound")
    return handler


def test_an_unsure_booking_the_model_reads_otherwise_goes_to_a_person(
    aws: Aws, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, asked: list[str]
) -> None:
    inbound = _with_opinion(aws, request, monkeypatch, asked, Intent.NOT_NOW)
    # the classifier reads book, barely ahead of not_now: unsure, so asked
    post(inbound, json.dumps(envelope(aws, "idk my schedule yet")))
    assert asked == ["idk my schedule yet"]
    (handoff,) = handoffs(aws)
    assert handoff.reason is HandoffReason.OTHER
    assert "open times" not in " ".join(text for _, text in sent_sms())


def test_an_unsure_reply_the_model_reads_as_an_opt_out_opts_out(
    aws: Aws, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, asked: list[str]
) -> None:
    inbound = _with_opinion(aws, request, monkeypatch, asked, Intent.OPT_OUT)
    post(inbound, json.dumps(envelope(aws, "can u just call me")))
    consent = ConsentRepository(aws.client("dynamodb"), aws.table)
    assert consent.opted_out("bright-smile", ["+12125550101"]) == {"+12125550101"}
    assert len(handoffs(aws)) == 1  # and a person sees why


def test_a_sure_reply_is_not_asked_about(
    aws: Aws, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, asked: list[str]
) -> None:
    inbound = _with_opinion(aws, request, monkeypatch, asked, Intent.BOOK)
    post(inbound, json.dumps(envelope(aws, "STOP")))
    post(inbound, json.dumps(envelope(aws, "I go to a dentist near work now", "in-2")))
    assert asked == []
