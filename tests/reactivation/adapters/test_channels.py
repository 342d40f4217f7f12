"""The channels against the real API shapes: End User Messaging SMS with botocore's Stubber
(moto has no such service), SNS and SES against moto."""

from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber

from reactivation import wiring
from reactivation.adapters.channels import (
    EndUserMessagingOptOuts,
    EndUserMessagingSms,
    SesEmail,
    SnsSms,
)
from reactivation.config import SendSettings


@pytest.fixture
def sms_voice() -> Iterator[tuple[object, Stubber]]:
    client = boto3.client(
        "pinpoint-sms-voice-v2",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_a_text_goes_from_the_practices_origination_identity_with_the_configuration_set(
    sms_voice: tuple[object, Stubber],
) -> None:
    client, stubber = sms_voice
    stubber.add_response(
        "send_text_message",
        {"MessageId": "eum-1"},
        {
            "DestinationPhoneNumber": "+12125550101",
            "OriginationIdentity": "phone-0123456789abcdef",
            "MessageBody": "Hi Ana",
            "MessageType": "TRANSACTIONAL",
            "ConfigurationSetName": "reactivation",
        },
    )
    channel = EndUserMessagingSms(client, "reactivation")  # type: ignore[arg-type]
    sent = channel.send(to="+12125550101", sender="+12125550100", body="Hi Ana",
                        identity="phone-0123456789abcdef")  # fmt: skip
    assert sent == "eum-1"


def test_without_an_identity_the_practices_number_sends_and_no_configuration_set_is_named(
    sms_voice: tuple[object, Stubber],
) -> None:
    client, stubber = sms_voice
    expected = {"DestinationPhoneNumber": "+12125550101", "OriginationIdentity": "+12125550100",
                "MessageBody": "Hi", "MessageType": "TRANSACTIONAL"}  # fmt: skip
    stubber.add_response("send_text_message", {"MessageId": "eum-2"}, expected)
    channel = EndUserMessagingSms(client)  # type: ignore[arg-type]
    assert channel.send(to="+12125550101", sender="+12125550100", body="Hi") == "eum-2"


def test_a_throttled_text_raises_so_that_the_job_is_retried(
    sms_voice: tuple[object, Stubber],
) -> None:
    client, stubber = sms_voice
    stubber.add_client_error("send_text_message", "ThrottlingException", http_status_code=429)
    channel = EndUserMessagingSms(client)  # type: ignore[arg-type]
    with pytest.raises(Exception, match="ThrottlingException"):
        channel.send(to="+12125550101", sender="+12125550100", body="Hi")


def test_an_opt_out_is_written_to_the_practices_list_and_a_start_removes_it(
    sms_voice: tuple[object, Stubber],
) -> None:
    client, stubber = sms_voice
    number = "+12125550101"
    put = {"OptOutListName": "bright-smile", "OptedOutNumber": number}
    stubber.add_response(
        "put_opted_out_number",
        {"OptOutListName": "bright-smile", "OptedOutNumber": number, "EndUserOptedOut": False},
        put,
    )
    stubber.add_response(
        "delete_opted_out_number",
        {"OptOutListName": "default", "OptedOutNumber": number, "EndUserOptedOut": False},
        {"OptOutListName": "default", "OptedOutNumber": number},
    )
    stubber.add_client_error(
        "delete_opted_out_number", "ResourceNotFoundException", http_status_code=404
    )
    lists = EndUserMessagingOptOuts(client, "default")  # type: ignore[arg-type]
    lists.opt_out(number, "bright-smile")
    lists.opt_in(number)
    lists.opt_in(number)  # not on the list: nothing to undo, no error


def test_the_deployment_chooses_the_channel() -> None:
    base = {"PRACTICE_TABLE_NAME": "t-1", "SEND_QUEUE_URL": "https://sqs/q", "AWS_DEFAULT_REGION":
            "us-east-1", "UNSUBSCRIBE_URL": "https://api/unsubscribe",
            "UNSUBSCRIBE_KEY_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:k",
            "SEND_DEAD_LETTER_QUEUE_URL": "https://sqs/dlq",
            }  # fmt: skip
    assert isinstance(wiring.sms_channel(SendSettings.from_env(base)), SnsSms)
    eum = {"SMS_CHANNEL": "end_user_messaging", "SMS_CONFIGURATION_SET": "",
           "SMS_OPT_OUT_LIST": "stops"}  # fmt: skip
    chosen = SendSettings.from_env({**base, **eum})
    assert isinstance(wiring.sms_channel(chosen), EndUserMessagingSms)
    assert chosen.sms_configuration_set is None
    assert isinstance(wiring.opt_out_list(chosen), EndUserMessagingOptOuts)
    assert wiring.opt_out_list(SendSettings.from_env(base)) is None
    with pytest.raises(ValueError, match="sns"):
        SendSettings.from_env({**base, "SMS_CHANNEL": "pinpoint"})


def test_outreach_email_carries_the_one_click_unsubscribe_headers_and_the_configuration_set() -> (
    None
):
    client = boto3.client("sesv2", region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test")  # fmt: skip
    url = "https://api.example.com/unsubscribe?t=abc.def"
    with Stubber(client) as stubber:
        stubber.add_response(
            "send_email",
            {"MessageId": "ses-1"},
            {
                "FromEmailAddress": "hello@mail.example.com",
                "Destination": {"ToAddresses": ["ana@example.com"]},
                "Content": {"Simple": {
                    "Subject": {"Data": "Hi", "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": "t", "Charset": "UTF-8"},
                             "Html": {"Data": "<p>h</p>", "Charset": "UTF-8"}},
                    "Headers": [
                        {"Name": "List-Unsubscribe", "Value": f"<{url}>"},
                        {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"},
                    ],
                }},
                "ConfigurationSetName": "outreach",
                "EmailTags": [{"Name": "practice_id", "Value": "bright-smile"}],
            },
        )  # fmt: skip
        channel = SesEmail(client, "outreach")
        sent = channel.send(to=["ana@example.com"], sender="hello@mail.example.com",
                            subject="Hi", text="t", html="<p>h</p>",
                            unsubscribe_url=url, tags={"practice_id": "bright-smile"})  # fmt: skip
        assert sent == "ses-1"
        stubber.assert_no_pending_responses()
