"""The inbound handler turns each refusal into its HTTP status, in one place: whichever job
refuses (the gate, the routing), the answer is the same status and reason, and nothing is
written or sent."""

from __future__ import annotations

import json
from datetime import datetime
from http import HTTPStatus

import pytest

from reactivation.events import SnsEnvelope
from reactivation.services.inbound import InboundService, outcomes
from tests.conftest import Aws
from tests.functions import test_inbound
from tests.functions.helpers import sent_sms
from tests.functions.test_inbound import Handler, envelope, item_count, post

inbound = test_inbound.inbound  # its fixture: the inbound function on moto, signing trusted

STATUS = {
    outcomes.TooLarge: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    outcomes.NotThisTopic: HTTPStatus.FORBIDDEN,
    outcomes.NotGenuine: HTTPStatus.FORBIDDEN,
    outcomes.TokenMissing: HTTPStatus.BAD_REQUEST,
    outcomes.UnknownDestination: HTTPStatus.UNPROCESSABLE_ENTITY,
}


def test_every_refusal_has_its_status_here() -> None:
    assert set(outcomes.Refused.__subclasses__()) == set(STATUS)


@pytest.mark.parametrize(
    ("refusal", "status"), STATUS.items(), ids=lambda v: getattr(v, "__name__", "")
)
def test_each_refusal_is_answered_with_its_status_and_reason(
    aws: Aws,
    inbound: Handler,
    monkeypatch: pytest.MonkeyPatch,
    refusal: type[outcomes.Refused],
    status: HTTPStatus,
) -> None:
    def refuse(self: InboundService, envelope: SnsEnvelope, now: datetime) -> None:
        raise refusal

    monkeypatch.setattr(InboundService, "handle", refuse)
    before = item_count(aws)
    assert post(inbound, json.dumps(envelope(aws, "STOP"))) == (status, {"message": refusal.reason})
    assert item_count(aws) == before and sent_sms() == []


def test_a_malformed_request_is_a_400_whoever_finds_it(aws: Aws, inbound: Handler) -> None:
    """The envelope (the handler) or the SMS inside it (the gate): the same answer."""
    assert post(inbound, "{not json") == (400, {"message": "malformed request"})
    inside = envelope(aws, "x", Message=json.dumps({"originationNumber": "nope"}))
    assert post(inbound, json.dumps(inside)) == (400, {"message": "malformed request"})
