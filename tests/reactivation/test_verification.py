"""SNS signature verification: a genuine, fresh message from SNS passes; nothing else does."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reactivation.verification import (
    NotFromSns,
    check_certificate_url,
    check_fresh,
    string_to_sign,
    verify_signature,
)
from tests.signing import CERTIFICATE_URL, key_and_certificate, sign

NOTIFICATION = {
    "Type": "Notification",
    "MessageId": "m-1",
    "TopicArn": "arn:aws:sns:us-east-1:123456789012:inbound",
    "Message": '{"messageBody": "STOP"}',
    "Timestamp": "2026-11-24T15:05:00.000Z",
}
CERTIFICATE = key_and_certificate()[1]


def verify(fields: dict[str, Any], accept_version_1: bool = False) -> None:
    verify_signature(fields, CERTIFICATE, accept_version_1=accept_version_1)


def test_a_genuine_message_passes() -> None:
    verify(sign(NOTIFICATION))
    verify(sign({**NOTIFICATION, "Subject": "hello"}))


@pytest.mark.parametrize("field", ["Message", "MessageId", "TopicArn", "Timestamp", "Type"])
def test_any_changed_field_breaks_the_signature(field: str) -> None:
    signed = sign(NOTIFICATION)
    changed = {**signed, field: "SubscriptionConfirmation" if field == "Type" else "x"}
    with pytest.raises(NotFromSns):
        verify(changed)


def test_another_key_or_garbage_is_refused() -> None:
    signed = sign(NOTIFICATION)
    with pytest.raises(NotFromSns):
        verify({**signed, "Signature": "bm90IGEgc2lnbmF0dXJl"})
    with pytest.raises(NotFromSns):
        verify({**signed, "Signature": "%%% not base64"})
    with pytest.raises(NotFromSns):
        verify_signature(signed, b"not a certificate", accept_version_1=False)


def test_signature_version_1_only_when_configured() -> None:
    signed = sign(NOTIFICATION, version="1")
    with pytest.raises(NotFromSns):
        verify(signed)
    verify(signed, accept_version_1=True)
    with pytest.raises(NotFromSns):
        verify({**sign(NOTIFICATION), "SignatureVersion": "3"})


def test_subscription_confirmations_sign_their_token_and_url() -> None:
    confirmation = {
        **NOTIFICATION,
        "Type": "SubscriptionConfirmation",
        "Token": "t-1",
        "SubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription",
    }
    assert b"Token\nt-1\n" in string_to_sign(confirmation)
    verify(sign(confirmation))
    with pytest.raises(NotFromSns):
        verify({**sign(confirmation), "Token": "t-2"})
    with pytest.raises(NotFromSns):
        string_to_sign({**NOTIFICATION, "Type": "SubscriptionConfirmation"})


@pytest.mark.parametrize(
    "url",
    [
        None,
        "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem",
        "https://sns.us-east-1.amazonaws.com.evil.test/SimpleNotificationService-x.pem",
        "https://evil.test/sns.us-east-1.amazonaws.com/x.pem",
        "https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-x.pem",
        "https://user@sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem",
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.txt",
        "https://sns.us-east-1.amazonaws.com/x.pem?redirect=https://evil.test",
        "https://s3.amazonaws.com/SimpleNotificationService-x.pem",
    ],
)
def test_only_sns_certificate_urls(url: str | None) -> None:
    with pytest.raises(NotFromSns):
        check_certificate_url(url)


def test_sns_certificate_urls_pass() -> None:
    assert check_certificate_url(CERTIFICATE_URL) == CERTIFICATE_URL
    check_certificate_url("https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-a.pem")


def test_freshness() -> None:
    sent = datetime(2026, 11, 24, 15, 5, tzinfo=UTC)
    check_fresh(sent, sent + timedelta(minutes=59))
    check_fresh(sent, sent - timedelta(minutes=4))
    with pytest.raises(NotFromSns):
        check_fresh(sent, sent + timedelta(hours=1, seconds=1))
    with pytest.raises(NotFromSns):
        check_fresh(sent, sent - timedelta(minutes=6))
