"""Delivery channels: SMS through SNS or AWS End User Messaging SMS, email through SES v2."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mypy_boto3_pinpoint_sms_voice_v2.client import PinpointSMSVoiceV2Client
    from mypy_boto3_sesv2.client import SESV2Client
    from mypy_boto3_sns.client import SNSClient


class SmsChannel(Protocol):
    def send(self, *, to: str, sender: str, body: str, identity: str | None = None) -> str:
        """Sends one text from the practice's number (`sender`, E.164) or, where the channel
        knows them, its origination identity; returns the channel's message id."""
        ...


class OptOutList(Protocol):
    def opt_out(self, number: str, list_name: str | None = None) -> None: ...

    def opt_in(self, number: str, list_name: str | None = None) -> None: ...


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "text/csv"


class EmailChannel(Protocol):
    def send(
        self,
        *,
        to: Sequence[str],
        sender: str,
        subject: str,
        text: str,
        html: str,
        unsubscribe_url: str | None = None,
        tags: Mapping[str, str] | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> str:
        """Sends one email (with one-click unsubscribe headers when given a link); returns the
        channel's message id."""
        ...


class SnsSms:
    """SMS through Amazon SNS Publish, from the practice's own origination number."""

    def __init__(self, client: SNSClient) -> None:
        self._client = client

    def send(self, *, to: str, sender: str, body: str, identity: str | None = None) -> str:
        response = self._client.publish(
            PhoneNumber=to,
            Message=body,
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                "AWS.MM.SMS.OriginationNumber": {"DataType": "String", "StringValue": sender},
            },
        )
        return response["MessageId"]


class EndUserMessagingSms:
    """SMS through AWS End User Messaging SMS (`SendTextMessage`): from the practice's
    origination identity (a phone number id or ARN; its sending number when it has none),
    with the deployment's configuration set (its event destinations record deliveries)."""

    def __init__(
        self, client: PinpointSMSVoiceV2Client, configuration_set: str | None = None
    ) -> None:
        self._client = client
        self._configuration_set = configuration_set

    def send(self, *, to: str, sender: str, body: str, identity: str | None = None) -> str:
        request: dict[str, object] = {
            "DestinationPhoneNumber": to,
            "OriginationIdentity": identity or sender,
            "MessageBody": body,
            "MessageType": "TRANSACTIONAL",
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        response = self._client.send_text_message(**request)  # type: ignore[arg-type]
        return response["MessageId"]


class EndUserMessagingOptOuts:
    """An End User Messaging opt-out list: a number written to it is refused by the service
    itself, whatever our own records say (a second lock on an opt-out). A practice may have
    its own list (an opt-out is per practice); else the deployment's."""

    def __init__(self, client: PinpointSMSVoiceV2Client, default_list: str) -> None:
        self._client = client
        self._default = default_list

    def opt_out(self, number: str, list_name: str | None = None) -> None:
        self._client.put_opted_out_number(
            OptOutListName=list_name or self._default, OptedOutNumber=number
        )

    def opt_in(self, number: str, list_name: str | None = None) -> None:
        # not on the list: nothing to undo
        with contextlib.suppress(self._client.exceptions.ResourceNotFoundException):
            self._client.delete_opted_out_number(
                OptOutListName=list_name or self._default, OptedOutNumber=number
            )


class SesEmail:
    """Email through Amazon SES v2, with an HTML and a plain-text part; outreach carries the
    RFC 8058 one-click unsubscribe headers, and goes with the deployment's configuration set
    (whose event destination reports bounces and complaints)."""

    def __init__(self, client: SESV2Client, configuration_set: str | None = None) -> None:
        self._client = client
        self._configuration_set = configuration_set

    def send(
        self,
        *,
        to: Sequence[str],
        sender: str,
        subject: str,
        text: str,
        html: str,
        unsubscribe_url: str | None = None,
        tags: Mapping[str, str] | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> str:
        if attachments:
            return self._send_raw(to, sender, subject, text, html, attachments)
        message: dict[str, Any] = {
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {
                "Text": {"Data": text, "Charset": "UTF-8"},
                "Html": {"Data": html, "Charset": "UTF-8"},
            },
        }
        if unsubscribe_url:
            message["Headers"] = [
                {"Name": "List-Unsubscribe", "Value": f"<{unsubscribe_url}>"},
                {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"},
            ]
        request: dict[str, Any] = {
            "FromEmailAddress": sender,
            "Destination": {"ToAddresses": list(to)},
            "Content": {"Simple": message},
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        if tags:  # SES reports them with a bounce or complaint: whose email it was
            request["EmailTags"] = [{"Name": k, "Value": v} for k, v in tags.items()]
        response = self._client.send_email(**request)
        return response["MessageId"]

    def _send_raw(
        self,
        to: Sequence[str],
        sender: str,
        subject: str,
        text: str,
        html: str,
        attachments: Sequence[Attachment],
    ) -> str:
        """A MIME message (text and HTML alternatives, then the attachments): SES's raw
        content, which every SES v2 endpoint accepts."""
        mime = EmailMessage()
        mime["From"], mime["To"], mime["Subject"] = sender, ", ".join(to), subject
        mime.set_content(text)
        mime.add_alternative(html, subtype="html")
        for attachment in attachments:
            main, _, sub = attachment.mime_type.partition("/")
            mime.add_attachment(attachment.content, maintype=main, subtype=sub,
                                filename=attachment.filename)  # fmt: skip
        request: dict[str, Any] = {
            "FromEmailAddress": sender,
            "Destination": {"ToAddresses": list(to)},
            "Content": {"Raw": {"Data": mime.as_bytes()}},
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        return self._client.send_email(**request)["MessageId"]
