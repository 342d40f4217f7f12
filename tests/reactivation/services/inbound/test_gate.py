"""The SNS gate, without AWS: this deployment's topic only, signed by SNS and fresh; a
subscription confirmation confirmed and nothing more; the patient's text handed on."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reactivation.domain.conversation import InboundSms
from reactivation.events import SnsEnvelope
from reactivation.services.inbound.gate import SnsGate
from reactivation.services.inbound.outcomes import (
    Handled,
    NotGenuine,
    NotThisTopic,
    TokenMissing,
)
from tests.signing import CERTIFICATE_URL, key_and_certificate, sign

TOPIC = "arn:aws:sns:us-east-1:123456789012:inbound-sms"
SENT = datetime(2026, 11, 24, 15, 5, tzinfo=UTC)


class Certificates:
    def get(self, url: str) -> bytes:
        assert url == CERTIFICATE_URL  # only a checked SNS URL is fetched
        return key_and_certificate()[1]


class Confirmer:
    def __init__(self) -> None:
        self.confirmed: list[tuple[str, str]] = []

    def confirm(self, topic_arn: str, token: str) -> None:
        self.confirmed.append((topic_arn, token))


def gate(confirmer: Confirmer | None = None, minutes_later: int = 5) -> SnsGate:
    return SnsGate(topic_arn=TOPIC, certificates=Certificates(),
                   confirmer=confirmer or Confirmer(),
                   wall_clock=lambda: SENT + timedelta(minutes=minutes_later))  # fmt: skip


def delivery(kind: str = "Notification", signed: bool = True, **fields: Any) -> SnsEnvelope:
    sms = {"originationNumber": "+12125550101", "destinationNumber": "+12125550199",
           "messageBody": "Stop", "inboundMessageId": "in-1"}  # fmt: skip
    value = {"Type": kind, "MessageId": "sns-1", "TopicArn": TOPIC, "Message": json.dumps(sms),
             "Timestamp": "2026-11-24T15:05:00.000Z", **fields}  # fmt: skip
    return SnsEnvelope.model_validate(sign(value) if signed else value)


def test_a_genuine_notification_hands_on_the_patients_text() -> None:
    sms = gate().admit(delivery())
    assert isinstance(sms, InboundSms)
    assert (sms.from_number, sms.body, sms.received_at) == ("+12125550101", "Stop", SENT)


def test_another_topic_is_refused_before_its_signature_is_looked_at() -> None:
    other = delivery(signed=False, TopicArn="arn:aws:sns:us-east-1:123456789012:someone-else")
    with pytest.raises(NotThisTopic):
        gate().admit(other)


@pytest.mark.parametrize(
    "envelope",
    [
        delivery(signed=False),
        delivery().model_copy(update={"message": "tampered"}),
        delivery().model_copy(update={"signing_cert_url": "https://example.com/sns.pem"}),
    ],
    ids=["unsigned", "tampered", "foreign certificate"],
)
def test_a_message_sns_did_not_sign_is_not_genuine(envelope: SnsEnvelope) -> None:
    with pytest.raises(NotGenuine):
        gate().admit(envelope)


def test_a_stale_message_is_not_genuine() -> None:
    with pytest.raises(NotGenuine):
        gate(minutes_later=24 * 60).admit(delivery())


SUBSCRIBE = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=t-1"


def test_a_subscription_is_confirmed_and_goes_no_further() -> None:
    confirmer = Confirmer()
    confirmation = delivery("SubscriptionConfirmation", Token="t-1", SubscribeURL=SUBSCRIBE)
    assert gate(confirmer).admit(confirmation) is Handled.CONFIRMED
    assert confirmer.confirmed == [(TOPIC, "t-1")]
    with pytest.raises(TokenMissing):  # signed as it came, with an empty token
        gate(confirmer).admit(
            delivery("SubscriptionConfirmation", Token="", SubscribeURL=SUBSCRIBE)
        )
    goodbye = delivery("UnsubscribeConfirmation", Token="t-2", SubscribeURL=SUBSCRIBE)
    assert gate(confirmer).admit(goodbye) is Handled.IGNORED
    assert len(confirmer.confirmed) == 1
