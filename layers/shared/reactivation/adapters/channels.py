"""Delivery channels: SMS through SNS, email through SES v2."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mypy_boto3_sesv2.client import SESV2Client
    from mypy_boto3_sns.client import SNSClient


class SmsChannel(Protocol):
    def send(self, *, to: str, sender: str, body: str) -> str:
        """Sends one text; returns the channel's message id."""
        ...


class EmailChannel(Protocol):
    def send(self, *, to: Sequence[str], sender: str, subject: str, text: str, html: str) -> str:
        """Sends one email; returns the channel's message id."""
        ...


class SnsSms:
    """SMS through Amazon SNS Publish, from the practice's own origination number."""

    def __init__(self, client: SNSClient) -> None:
        self._client = client

    def send(self, *, to: str, sender: str, body: str) -> str:
        response = self._client.publish(
            PhoneNumber=to,
            Message=body,
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                "AWS.MM.SMS.OriginationNumber": {"DataType": "String", "StringValue": sender},
            },
        )
        return response["MessageId"]


class SesEmail:
    """Email through Amazon SES v2, with an HTML and a plain-text part."""

    def __init__(self, client: SESV2Client) -> None:
        self._client = client

    def send(self, *, to: Sequence[str], sender: str, subject: str, text: str, html: str) -> str:
        response = self._client.send_email(
            FromEmailAddress=sender,
            Destination={"ToAddresses": list(to)},
            Content={
                "Simple": {
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": text, "Charset": "UTF-8"},
                        "Html": {"Data": html, "Charset": "UTF-8"},
                    },
                }
            },
        )
        return response["MessageId"]
