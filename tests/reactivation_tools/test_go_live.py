"""Going live: the registration texts from the practice's file, and the read-only account
check against the real API shapes (botocore's Stubber validates every request and answer)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from reactivation.domain.messages import MessageLibrary
from reactivation.domain.practice import MessageOverride
from reactivation.domain.template_checks import check_template
from reactivation_tools import go_live
from tests.builders import make_practice

TOPIC = "arn:aws:sns:us-east-1:123456789012:reactivation-InboundSmsTopic-abc"
STACK = "reactivation"


def test_registration_texts_are_the_practices_own_messages() -> None:
    practice = make_practice(
        message_overrides={
            "system.help.en": MessageOverride(
                text="{{ practice_name }}: call {{ practice_phone }}, Mon-Fri 8-6. Reply STOP "
                "to opt out."
            )
        }
    )
    texts = go_live.registration_texts(practice, MessageLibrary.default())
    assert 2 <= len(texts.samples) <= go_live.SAMPLES
    for sample in texts.samples:
        assert "Bright Smile Dental" in sample
        assert "STOP" in sample
        assert "{{" not in sample and go_live.SAMPLE_FIRST_NAME in sample
    assert (
        texts.help_answer
        == "Bright Smile Dental: call (212) 555-0100, Mon-Fri 8-6. Reply STOP to opt out."
    )
    assert "unsubscribed" in texts.stop_answer and "START" in texts.stop_answer
    assert "STOP" in texts.opt_in and "HELP" in texts.opt_in and "rates may apply" in texts.opt_in
    assert "dental practice" in texts.use_case
    rendered = texts.render()
    for heading in ("Use case description", "Sample messages", "How patients opt in",
                    "HELP answer", "STOP answer"):  # fmt: skip
        assert heading in rendered


def test_the_samples_pass_the_sms_checks() -> None:
    practice = make_practice()
    for sample in go_live.registration_texts(practice, MessageLibrary.default()).samples:
        assert check_template("sample", sample, is_sms=True, first_message=True) == []


@pytest.fixture
def stubbed() -> Iterator[dict[str, Stubber]]:
    clients = {
        name: boto3.client(
            name, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        for name in ("sns", "pinpoint-sms-voice-v2", "sesv2", "cloudformation", "scheduler")
    }
    stubbers = {name: Stubber(client) for name, client in clients.items()}
    for stubber in stubbers.values():
        stubber.activate()
    yield stubbers
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()
        stubber.deactivate()


def client_of(stubbed: dict[str, Stubber]) -> Any:
    return lambda name: stubbed[name].client


def stack_answers(stubbed: dict[str, Stubber], *, confirmed: bool, state: str) -> None:
    arn = f"{TOPIC}:1a2b" if confirmed else "PendingConfirmation"
    stubbed["sns"].add_response(
        "list_subscriptions_by_topic",
        {"Subscriptions": [{"SubscriptionArn": arn, "Protocol": "https", "TopicArn": TOPIC,
                            "Endpoint": "https://x.execute-api.us-east-1.amazonaws.com/sms"}]},
        {"TopicArn": TOPIC},
    )  # fmt: skip
    stubbed["cloudformation"].add_response(
        "list_stack_resources",
        {
            "StackResourceSummaries": [
                {"LogicalResourceId": "SegmentFunctionWeeklyEnrolment",
                 "PhysicalResourceId": "reactivation-SegmentFunctionWeeklyEnrolment-x1",
                 "ResourceType": "AWS::Scheduler::Schedule",
                 "LastUpdatedTimestamp": datetime(2026, 12, 1, tzinfo=UTC),
                 "ResourceStatus": "CREATE_COMPLETE"},
                {"LogicalResourceId": "PracticeTable", "PhysicalResourceId": "t",
                 "ResourceType": "AWS::DynamoDB::Table",
                 "LastUpdatedTimestamp": datetime(2026, 12, 1, tzinfo=UTC),
                 "ResourceStatus": "CREATE_COMPLETE"},
            ]
        },
        {"StackName": STACK},
    )  # fmt: skip
    stubbed["scheduler"].add_response(
        "get_schedule",
        {"Name": "reactivation-SegmentFunctionWeeklyEnrolment-x1", "State": state,
         "ScheduleExpression": "cron(0 * ? * * *)"},
        {"Name": "reactivation-SegmentFunctionWeeklyEnrolment-x1"},
    )  # fmt: skip


def email_answers(stubbed: dict[str, Stubber], *, production: bool, dkim: str) -> None:
    stubbed["sesv2"].add_response(
        "get_account", {"ProductionAccessEnabled": production, "SendingEnabled": True}
    )
    stubbed["sesv2"].add_client_error(
        "get_email_identity",
        "NotFoundException",
        http_status_code=404,
        expected_params={"EmailIdentity": "frontdesk@reactivation.test"},
    )
    stubbed["sesv2"].add_response(
        "get_email_identity",
        {"IdentityType": "DOMAIN", "VerifiedForSendingStatus": dkim == "SUCCESS",
         "DkimAttributes": {"Status": dkim}},
        {"EmailIdentity": "reactivation.test"},
    )  # fmt: skip


def test_a_ready_sns_account_passes_every_check(stubbed: dict[str, Stubber]) -> None:
    stubbed["sns"].add_response("get_sms_sandbox_account_status", {"IsInSandbox": False})
    stubbed["sns"].add_response(
        "get_sms_attributes",
        {"attributes": {"MonthlySpendLimit": "200"}},
        {"attributes": ["MonthlySpendLimit"]},
    )
    email_answers(stubbed, production=True, dkim="SUCCESS")
    stack_answers(stubbed, confirmed=True, state="ENABLED")
    checks = go_live.check(
        client_of(stubbed), {"InboundSmsTopicArn": TOPIC}, make_practice(), STACK,
        sms_channel="sns",
    )  # fmt: skip
    assert [c.step for c in checks] == [
        "SNS SMS sandbox", "SMS spend limit", "SES production access", "sender identity",
        "inbound subscription", "schedule SegmentFunctionWeeklyEnrolment",
    ]  # fmt: skip
    assert all(c.ok for c in checks), [c.render() for c in checks]


def test_a_new_account_is_told_each_fix(stubbed: dict[str, Stubber]) -> None:
    stubbed["sns"].add_response("get_sms_sandbox_account_status", {"IsInSandbox": True})
    stubbed["sns"].add_response(
        "get_sms_attributes", {"attributes": {}}, {"attributes": ["MonthlySpendLimit"]}
    )
    email_answers(stubbed, production=False, dkim="PENDING")
    stack_answers(stubbed, confirmed=False, state="DISABLED")
    checks = go_live.check(
        client_of(stubbed), {"InboundSmsTopicArn": TOPIC}, make_practice(), STACK,
        sms_channel="sns",
    )  # fmt: skip
    assert not any(c.ok for c in checks)
    rendered = "\n".join(c.render() for c in checks)
    assert "Exit SMS sandbox" in rendered
    assert "MonthlySpendLimit" in rendered
    assert "production access" in rendered
    assert "DKIM CNAME" in rendered
    assert "not confirmed" in rendered
    assert "--state ENABLED" in rendered


def test_an_end_user_messaging_number_must_be_active_and_two_way_to_the_inbound_topic(
    stubbed: dict[str, Stubber],
) -> None:
    practice = make_practice(origination_identity="phone-0123", sms_opt_out_list="bright-smile")
    number = {
        "PhoneNumberArn": "arn:aws:sms-voice:us-east-1:123456789012:phone-number/phone-0123",
        "PhoneNumberId": "phone-0123", "PhoneNumber": "+12125550199", "Status": "PENDING",
        "IsoCountryCode": "US", "MessageType": "TRANSACTIONAL",
        "NumberCapabilities": ["SMS"], "NumberType": "TOLL_FREE", "MonthlyLeasingPrice": "2.00",
        "TwoWayEnabled": False, "SelfManagedOptOutsEnabled": False,
        "OptOutListName": "Default", "DeletionProtectionEnabled": True,
        "CreatedTimestamp": datetime(2026, 12, 1, tzinfo=UTC),
    }  # fmt: skip
    stubbed["pinpoint-sms-voice-v2"].add_response(
        "describe_phone_numbers", {"PhoneNumbers": [number]}, {"PhoneNumberIds": ["phone-0123"]}
    )
    stubbed["pinpoint-sms-voice-v2"].add_client_error(
        "describe_opt_out_lists",
        "ResourceNotFoundException",
        http_status_code=404,
        expected_params={"OptOutListNames": ["bright-smile"]},
    )
    checks = go_live.check_end_user_messaging(
        stubbed["pinpoint-sms-voice-v2"].client, practice, TOPIC
    )
    by_step = {c.step: c for c in checks}
    assert not by_step["phone number status"].ok
    assert "toll-free verification" in by_step["phone number status"].fix
    assert not by_step["two-way SMS"].ok
    assert f"--two-way-channel-arn {TOPIC}" in by_step["two-way SMS"].fix
    assert not by_step["opt-out list"].ok
    assert "create-opt-out-list" in by_step["opt-out list"].fix

    ready = {**number, "Status": "ACTIVE", "TwoWayEnabled": True, "TwoWayChannelArn": TOPIC}
    stubbed["pinpoint-sms-voice-v2"].add_response(
        "describe_phone_numbers", {"PhoneNumbers": [ready]}, {"PhoneNumberIds": ["phone-0123"]}
    )
    stubbed["pinpoint-sms-voice-v2"].add_response(
        "describe_opt_out_lists",
        {"OptOutLists": [{"OptOutListName": "bright-smile",
                          "OptOutListArn": "arn:aws:sms-voice:us-east-1:1:opt-out-list/b",
                          "CreatedTimestamp": datetime(2026, 12, 1, tzinfo=UTC)}]},
        {"OptOutListNames": ["bright-smile"]},
    )  # fmt: skip
    ready_checks = go_live.check_end_user_messaging(
        stubbed["pinpoint-sms-voice-v2"].client, practice, TOPIC
    )
    assert all(c.ok for c in ready_checks), [c.render() for c in ready_checks]


def test_a_practice_without_a_number_id_is_told_to_name_one(stubbed: dict[str, Stubber]) -> None:
    checks = go_live.check_end_user_messaging(
        stubbed["pinpoint-sms-voice-v2"].client, make_practice(), TOPIC
    )
    assert [(c.step, c.ok) for c in checks] == [("origination identity", False)]


def test_practice_check_reads_a_real_account_only(capsys: pytest.CaptureFixture[str]) -> None:
    from reactivation_tools.cli import main

    assert main(["practice", "check", "bright-smile"]) == 2
    assert "--aws-stack" in capsys.readouterr().err


ROLE = "arn:aws:iam::123456789012:role/reactivation-DeliveryStatusLogsRole-x1"
RECEIPTS_TOPIC = "arn:aws:sns:us-east-1:123456789012:reactivation-DeliveryReceiptsTopic-x1"
RECEIPT_OUTPUTS = {
    "InboundSmsTopicArn": TOPIC,
    "DeliveryReceiptsQueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/receipts",
    "DeliveryReceiptsTopicArn": RECEIPTS_TOPIC,
    "DeliveryStatusLogsRoleArn": ROLE,
    "SenderIdentities": "reactivation.test,mail.example.com",
}


@pytest.mark.parametrize(
    ("role", "rate", "ready"), [(ROLE, "100", True), (None, None, False), (ROLE, "10", False)]
)
def test_sns_must_log_every_text_s_delivery_status_with_the_stack_s_role(
    stubbed: dict[str, Stubber], role: str | None, rate: str | None, ready: bool
) -> None:
    attributes = {"DeliveryStatusIAMRole": role, "DeliveryStatusSuccessSamplingRate": rate}
    stubbed["sns"].add_response(
        "get_sms_attributes",
        {"attributes": {k: v for k, v in attributes.items() if v is not None}},
        {"attributes": ["DeliveryStatusIAMRole", "DeliveryStatusSuccessSamplingRate"]},
    )
    [receipts] = go_live.check_delivery_receipts(
        client_of(stubbed), RECEIPT_OUTPUTS, sms_channel="sns"
    )
    assert receipts.ok is ready
    assert receipts.fix == (
        f"aws sns set-sms-attributes --attributes DeliveryStatusIAMRole={ROLE},"
        "DeliveryStatusSuccessSamplingRate=100"
    )


def test_a_stack_reading_no_sns_receipts_is_told_how_and_an_old_stack_is_not_checked(
    stubbed: dict[str, Stubber],
) -> None:
    outputs = {k: v for k, v in RECEIPT_OUTPUTS.items() if k != "DeliveryStatusLogsRoleArn"}
    [receipts] = go_live.check_delivery_receipts(client_of(stubbed), outputs, sms_channel="sns")
    assert not receipts.ok and "SnsDeliveryStatusLogs=create" in receipts.fix
    old = {"InboundSmsTopicArn": TOPIC}
    assert go_live.check_delivery_receipts(client_of(stubbed), old, sms_channel="sns") == []


def test_an_operator_s_configuration_set_must_publish_to_the_receipts_topic(
    stubbed: dict[str, Stubber],
) -> None:
    def configuration_set(destinations: list[dict[str, Any]]) -> None:
        stubbed["pinpoint-sms-voice-v2"].add_response(
            "describe_configuration_sets",
            {"ConfigurationSets": [{
                "ConfigurationSetArn": "arn:aws:sms-voice:us-east-1:123456789012:"
                                       "configuration-set/practice-texts",
                "ConfigurationSetName": "practice-texts", "EventDestinations": destinations,
                "CreatedTimestamp": datetime(2026, 12, 1, tzinfo=UTC)}]},
            {"ConfigurationSetNames": ["practice-texts"]},
        )  # fmt: skip

    def receipts() -> go_live.Check:
        [check] = go_live.check_delivery_receipts(
            client_of(stubbed), RECEIPT_OUTPUTS, sms_channel="end_user_messaging",
            configuration_set="practice-texts",
        )  # fmt: skip
        return check

    configuration_set([])
    missing = receipts()
    assert not missing.ok
    assert f"--sns-destination TopicArn={RECEIPTS_TOPIC}" in missing.fix
    configuration_set([{"EventDestinationName": "delivery-receipts", "Enabled": True,
                        "MatchingEventTypes": ["TEXT_ALL"],
                        "SnsDestination": {"TopicArn": RECEIPTS_TOPIC}}])  # fmt: skip
    assert receipts().ok
    [own] = go_live.check_delivery_receipts(
        client_of(stubbed), RECEIPT_OUTPUTS, sms_channel="end_user_messaging"
    )
    assert own.ok  # the stack's own set publishes to its topic by construction


def test_the_practice_s_sender_must_be_inside_the_stack_s_identities() -> None:
    [inside] = go_live.check_sender_identity(make_practice(), RECEIPT_OUTPUTS)
    assert inside.ok
    outside = make_practice(from_email="hello@newclinic.example")
    [refused] = go_live.check_sender_identity(outside, RECEIPT_OUTPUTS)
    assert not refused.ok and "SenderIdentities" in refused.fix
    assert go_live.check_sender_identity(outside, {"InboundSmsTopicArn": TOPIC}) == []
