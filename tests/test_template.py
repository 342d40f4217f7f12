"""template.yaml: least privilege, queue settings, and each function's settings declared once."""

import re
from fnmatch import fnmatchcase
from typing import Any

import pytest

from reactivation.config import (
    AppointmentSettings,
    DeliveryReceiptSettings,
    EmailFeedbackSettings,
    FunctionSettings,
    InboundRedriveSettings,
    InboundSettings,
    IngestSettings,
    ReportSettings,
    SegmentSettings,
    SendSettings,
    StaffInboxSettings,
    UnsubscribeSettings,
)
from reactivation_tools.local.template import Template
from tests.conftest import TEMPLATE

SPEC = Template.load(TEMPLATE)
SETTINGS: dict[str, type[FunctionSettings]] = {
    "SegmentFunction": SegmentSettings,
    "SendFunction": SendSettings,
    "InboundFunction": InboundSettings,
    "InboundRedriveFunction": InboundRedriveSettings,
    "ReportFunction": ReportSettings,
    "IngestFunction": IngestSettings,
    "AppointmentsFunction": AppointmentSettings,
    "UnsubscribeFunction": UnsubscribeSettings,
    "EmailFeedbackFunction": EmailFeedbackSettings,
    "StaffInboxFunction": StaffInboxSettings,
    "DeliveryReceiptsFunction": DeliveryReceiptSettings,
}


#: The one model a second opinion on replies may come from (the stack's parameter).
SECOND_OPINION_MODEL_ARN = (
    "arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/${ReplySecondOpinionModel}"
)


def statements(function: str) -> list[dict[str, Any]]:
    """Every statement of the function's policies (both sides of a condition's `Fn::If`)."""
    found: list[dict[str, Any]] = []
    for policy in SPEC.function_properties(function).get("Policies", []):
        for statement in policy["Statement"]:
            if "Fn::If" in statement:
                _, *branches = statement["Fn::If"]
                found.extend(b for b in branches if isinstance(b, dict) and "Effect" in b)
            else:
                found.append(statement)
    return found


def granted(function: str) -> set[str]:
    """The IAM actions a function's role is granted (its own policies)."""
    found: set[str] = set()
    for statement in statements(function):
        action = statement["Action"]
        found |= set(action) if isinstance(action, list) else {action}
    return found


def _references(value: Any) -> set[str]:
    """The logical ids a resource expression names (Ref, GetAtt, ${...} in Sub)."""
    if isinstance(value, dict):
        if "Ref" in value:
            return {value["Ref"]}
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return {target[0] if isinstance(target, list) else target.split(".")[0]}
        if "Fn::Sub" in value:
            text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
            return {name.split(".")[0] for name in re.findall(r"\$\{([^}]+)\}", text)}
        return set().union(*(_references(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_references(v) for v in value)) if value else set()
    return set()


@pytest.mark.parametrize("function", sorted(SETTINGS))
def test_policies_name_only_this_stack_s_resources_in_this_account(function: str) -> None:
    own = set(SPEC.resources) | set(SPEC.body["Parameters"]) | {"AWS::Partition", "AWS::Region",
                                                        "AWS::AccountId"}  # fmt: skip
    for statement in statements(function):
        if "NotResource" in statement:
            continue  # sns:Publish to phone numbers only (tests/test_template_security.py)
        named = _references(statement["Resource"])
        assert named and named <= own, (function, named - own)
        for resource in statement["Resource"] if isinstance(statement["Resource"], list) else [
            statement["Resource"]
        ]:  # fmt: skip
            if "Fn::Sub" in resource and resource["Fn::Sub"].startswith("arn:"):
                if resource == {"Fn::Sub": SECOND_OPINION_MODEL_ARN}:
                    continue  # a foundation model is AWS's: its ARN names no account
                assert "${AWS::AccountId}" in resource["Fn::Sub"], resource  # never another's


def test_every_function_has_its_settings_model_and_template_gives_every_variable() -> None:
    assert set(SPEC.of_type("AWS::Serverless::Function")) == set(SETTINGS)
    for function, settings in SETTINGS.items():
        variables = SPEC.function_properties(function)["Environment"]["Variables"]
        assert settings.required_variables() <= set(variables), function
        assert set(variables) & settings.variables() == {
            v for v in variables if v in settings.variables()
        }


@pytest.mark.parametrize("function", sorted(SETTINGS))
def test_policies_name_actions_and_their_own_resources(function: str) -> None:
    for statement in statements(function):
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert all("*" not in action for action in actions), statement
        assert statement["Effect"] == "Allow"
        if "NotResource" in statement:
            # SNS has no ARN for a phone number: SMS publishing is the one allowed exception.
            assert actions == ["sns:Publish"], statement


def test_only_the_functions_that_send_may_publish_or_email() -> None:
    def actions(function: str) -> set[str]:
        found: set[str] = set()
        for statement in statements(function):
            action = statement["Action"]
            found |= set(action) if isinstance(action, list) else {action}
        return found

    assert "sns:Publish" not in actions("SegmentFunction") | actions("ReportFunction")
    # the inbound function emails a handoff to the practice's own team, nothing else
    assert "ses:SendEmail" not in actions("SegmentFunction") | actions("AppointmentsFunction")
    replies = actions("InboundFunction") | actions("InboundRedriveFunction")
    assert "sqs:SendMessage" not in replies | actions("ReportFunction")
    assert not any(a.startswith("dynamodb:Delete") for a in actions("SegmentFunction"))


def test_the_send_queue_suits_lambda() -> None:
    queue = SPEC.resources["SendQueue"]["Properties"]
    send = SPEC.function_properties("SendFunction")
    assert queue["VisibilityTimeout"] >= 6 * send["Timeout"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["SendDeadLetterQueue", "Arn"]
    }
    event = send["Events"]["SendJobs"]["Properties"]
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "MaximumConcurrency" in event["ScalingConfig"]
    alarm = SPEC.resources["SendDeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["SendDeadLetterQueue", "QueueName"]}


def test_the_table_is_protected() -> None:
    table = SPEC.resources["PracticeTable"]
    properties = table["Properties"]
    assert table["DeletionPolicy"] == "Retain"
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert properties["TimeToLiveSpecification"]["Enabled"] is True


def test_functions_run_a_current_python_on_arm() -> None:
    for function in SETTINGS:
        properties = SPEC.function_properties(function)
        assert properties["Runtime"] in {"python3.12", "python3.13"}
        assert properties["Architectures"] == ["arm64"]
        # cryptography (SignatureLayer) only where SNS signatures are checked
        # (and the staff inbox, for the ID tokens' signatures)
        checks_signatures = function in {
            "InboundFunction", "InboundRedriveFunction", "StaffInboxFunction"
        }  # fmt: skip
        signatures = [{"Ref": "SignatureLayer"}] if checks_signatures else []
        assert properties["Layers"] == [{"Ref": "SharedLayer"}, *signatures]


def test_the_import_queue_outlives_the_ingest_function_and_ends_in_a_watched_dlq() -> None:
    queue = SPEC.resources["ImportQueue"]["Properties"]
    ingest = SPEC.function_properties("IngestFunction")
    assert queue["VisibilityTimeout"] > ingest["Timeout"] == 900
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["ImportDeadLetterQueue", "Arn"]
    }
    assert ingest["Events"]["ExportFiles"]["Properties"]["BatchSize"] == 1
    alarm = SPEC.resources["ImportDeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["ImportDeadLetterQueue", "QueueName"]}


def test_the_ingest_function_reads_exports_and_writes_only_results() -> None:
    s3 = [s for s in statements("IngestFunction") if str(s["Action"]).count("s3:")]
    writes = [s for s in s3 if "s3:PutObject" in s["Action"]]
    assert [w["Resource"] for w in writes] == [{"Fn::Sub": "${ImportsBucket.Arn}/results/*"}]


def test_data_at_rest_is_encrypted_and_the_bucket_is_private_and_tls_only() -> None:
    for name, queue in SPEC.of_type("AWS::SQS::Queue").items():
        assert queue["Properties"].get("SqsManagedSseEnabled") is True, name
    for name, topic in SPEC.of_type("AWS::SNS::Topic").items():
        # replies, bounces and alerts: the customer managed key services may publish with
        assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": ["TopicsKey", "Arn"]}, name
    key = SPEC.resources["TopicsKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    services = key["KeyPolicy"]["Statement"][1]
    assert services["Action"] == ["kms:GenerateDataKey*", "kms:Decrypt"]
    assert services["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    }
    bucket = SPEC.resources["ImportsBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    [deny] = SPEC.resources["ImportsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }


def test_every_function_logs_to_its_own_group_kept_for_a_bounded_time() -> None:
    for function in SETTINGS:
        group = SPEC.function_properties(function)["LoggingConfig"]["LogGroup"]
        assert SPEC.resources[group["Ref"]]["Properties"]["RetentionInDays"] == {
            "Ref": "LogRetentionInDays"
        }
    api = SPEC.resources["InboundApi"]["Properties"]
    assert set(api["DefaultRouteSettings"]) == {"ThrottlingRateLimit", "ThrottlingBurstLimit"}


def test_a_report_claim_outlives_the_report_function() -> None:
    from reactivation.adapters.reports import CLAIM_ABANDONED

    # a claim is taken again only once the run that took it cannot be alive any more
    report = SPEC.function_properties("ReportFunction")
    assert CLAIM_ABANDONED.total_seconds() > report["Timeout"]


def test_the_staff_inbox_reads_and_writes_the_table_and_texts_phone_numbers_only() -> None:
    granted_actions = granted("StaffInboxFunction")
    assert {a.split(":")[0] for a in granted_actions} <= {"dynamodb", "sns", "sms-voice"}
    # no Cognito admin call: sign-in and sign-out are the app client's own public calls,
    # and inviting or removing staff is the operator's (reactivation staff ...)
    assert not any(a.startswith("cognito-idp:") for a in granted_actions)
    assert not {"ses:SendEmail", "sqs:SendMessage", "events:PutEvents"} & granted_actions
    assert "sms-voice:DeleteOptedOutNumber" not in granted_actions  # staff never opt back in
    table = [s for s in statements("StaffInboxFunction") if "dynamodb:Query" in s["Action"]]
    assert [s["Resource"] for s in table] == [
        [{"Fn::GetAtt": ["PracticeTable", "Arn"]}, {"Fn::Sub": "${PracticeTable.Arn}/index/*"}]
    ]
    assert not any(a in granted_actions for a in ("dynamodb:Scan", "dynamodb:DeleteTable"))


def test_staff_are_invited_never_sign_up_and_cannot_change_their_role_or_practices() -> None:
    pool = SPEC.resources["StaffUserPool"]
    properties = pool["Properties"]
    assert pool["DeletionPolicy"] == "Retain"
    assert properties["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert properties["MfaConfiguration"] == "OPTIONAL"
    assert properties["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert properties["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    client = SPEC.resources["StaffUserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False
    assert set(client["ExplicitAuthFlows"]) == {"ALLOW_USER_PASSWORD_AUTH",
                                                "ALLOW_REFRESH_TOKEN_AUTH"}  # fmt: skip
    assert not any(a.startswith("custom:") for a in client["WriteAttributes"])
    assert {"custom:role", "custom:practices"} <= set(client["ReadAttributes"])
    api = SPEC.resources["StaffInboxApi"]["Properties"]
    assert set(api["DefaultRouteSettings"]) == {"ThrottlingRateLimit", "ThrottlingBurstLimit"}
    assert "$context.path" not in api["AccessLogSettings"]["Format"]


def test_the_receipts_function_reads_one_pointer_and_writes_message_items_and_opt_outs() -> None:
    assert granted("DeliveryReceiptsFunction") == {
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "sqs:SendMessage",
    }
    [table, queues] = statements("DeliveryReceiptsFunction")
    assert table["Resource"] == {"Fn::GetAtt": ["PracticeTable", "Arn"]}  # no index, no scan
    assert queues["Resource"] == [
        {"Fn::GetAtt": ["DeliveryReceiptsQueue", "Arn"]},
        {"Fn::GetAtt": ["DeliveryReceiptsDeadLetterQueue", "Arn"]},
    ]


def test_receipts_are_queued_retried_and_dead_lettered_from_both_channels() -> None:
    queue = SPEC.resources["DeliveryReceiptsQueue"]["Properties"]
    receipts = SPEC.function_properties("DeliveryReceiptsFunction")
    assert queue["VisibilityTimeout"] >= 6 * receipts["Timeout"]
    dead_letters = {"Fn::GetAtt": ["DeliveryReceiptsDeadLetterQueue", "Arn"]}
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == dead_letters
    assert receipts["DeadLetterQueue"] == {"Type": "SQS", "TargetArn": dead_letters}
    event = receipts["Events"]["Receipts"]["Properties"]
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    alarm = SPEC.resources["DeliveryReceiptsDeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {
        "Fn::GetAtt": ["DeliveryReceiptsDeadLetterQueue", "QueueName"]
    }
    # End User Messaging: the configuration set's events to the topic, raw to the queue
    [destination] = SPEC.resources["SmsReceiptsConfigurationSet"]["Properties"]["EventDestinations"]
    assert destination["SnsDestination"] == {"TopicArn": {"Ref": "DeliveryReceiptsTopic"}}
    assert {"TEXT_DELIVERED", "TEXT_BLOCKED", "TEXT_INVALID"} <= set(
        destination["MatchingEventTypes"]
    )
    subscription = SPEC.resources["DeliveryReceiptsSubscription"]["Properties"]
    assert subscription["RawMessageDelivery"] is True
    policy = SPEC.resources["DeliveryReceiptsTopicPolicy"]["Properties"]["PolicyDocument"]
    assert policy["Statement"][0]["Principal"] == {"Service": "sms-voice.amazonaws.com"}
    # SNS: both delivery status log groups handed to the function
    subscriptions = {"SnsDeliveryLogsSubscription": "SnsDeliveryLogs",
                     "SnsDeliveryFailureLogsSubscription": "SnsDeliveryFailureLogs"}  # fmt: skip
    for name, group in subscriptions.items():
        properties = SPEC.resources[name]["Properties"]
        assert properties["DestinationArn"] == {"Fn::GetAtt": ["DeliveryReceiptsFunction", "Arn"]}
        assert properties["LogGroupName"]["Fn::If"][1] == {"Ref": group}
    assert SPEC.resources["SnsDeliveryLogs"]["Properties"]["LogGroupName"] == {
        "Fn::Sub": "sns/${AWS::Region}/${AWS::AccountId}/DirectPublishToPhoneNumber"
    }


def _evaluate(value: Any, parameters: dict[str, str]) -> Any:
    """The few intrinsics the SES statements use, for these parameter values."""
    if isinstance(value, list):
        return [_evaluate(v, parameters) for v in value]
    if not isinstance(value, dict):
        return value
    ((key, arg),) = value.items()
    if key == "Ref":
        return parameters[arg]
    if key == "Fn::Sub":
        return re.sub(r"\$\{([^}]+)\}", lambda m: parameters[m.group(1)], arg)
    if key == "Fn::Join":
        return arg[0].join(_evaluate(arg[1], parameters))
    if key == "Fn::Split":
        return _evaluate(arg[1], parameters).split(arg[0])
    if key == "Fn::If":
        assert arg[0] == "HasSenderIdentities"
        return _evaluate(arg[1] if parameters["SenderIdentities"] else arg[2], parameters)
    raise AssertionError(key)


@pytest.mark.parametrize(
    "function", ["SendFunction", "ReportFunction", "InboundFunction", "InboundRedriveFunction"]
)
@pytest.mark.parametrize("extra", ["", "clinic.example,owner@spa.example"])
def test_email_goes_only_from_inside_the_stack_s_sender_identities(
    function: str, extra: str
) -> None:
    [ses] = [s for s in statements(function) if "ses:SendEmail" in str(s["Action"])]
    identities = [r for r in ses["Resource"]] if isinstance(ses["Resource"], list) else [
        ses["Resource"]]  # fmt: skip
    assert {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"} in (
        identities
    )
    parameters = {"EmailSenderIdentity": "mail.example.com", "SenderIdentities": extra}
    patterns = _evaluate(ses["Condition"]["StringLike"]["ses:FromAddress"], parameters)

    def allowed(address: str) -> bool:
        return any(fnmatchcase(address, pattern) for pattern in patterns)

    assert allowed("reports@mail.example.com") and allowed("mail.example.com")
    assert not allowed("frontdesk@example.com") and not allowed("x@evil.example")
    assert "" not in patterns and "*@" not in patterns
    assert allowed("frontdesk@clinic.example") is bool(extra)
    assert allowed("owner@spa.example") is bool(extra)
    assert not allowed("other@spa.example")


def test_the_account_s_sms_spend_has_an_alarm_at_a_parameter() -> None:
    alarms = {
        "SmsSpendAlarm": ("AWS/SNS", "SMSMonthToDateSpentUSD"),
        "EndUserMessagingSpendAlarm": ("AWS/SMSVoice", "TextMessageMonthlySpend"),
    }
    for name, metric in alarms.items():
        alarm = SPEC.resources[name]["Properties"]
        assert (alarm["Namespace"], alarm["MetricName"]) == metric
        assert alarm["Threshold"] == {"Ref": "SmsSpendAlarmUSD"}
        assert alarm["AlarmActions"] == [{"Ref": "OpsAlertsTopic"}]


def test_every_function_that_emails_is_scoped_to_the_sender_identities() -> None:
    emailing = [f for f in SETTINGS if "ses:SendEmail" in granted(f)]
    assert sorted(emailing) == ["InboundFunction", "InboundRedriveFunction", "IngestFunction",
                                "ReportFunction", "SendFunction"]  # fmt: skip
    for function in emailing:
        for statement in statements(function):
            if "ses:SendEmail" in str(statement["Action"]):
                assert "ses:FromAddress" in statement["Condition"]["StringLike"], function


def test_only_the_inbound_functions_may_ask_bedrock_and_only_for_the_model_named() -> None:
    for function in SETTINGS:
        asking = [
            statement
            for statement in statements(function)
            if any(str(a).startswith("bedrock") for a in [statement["Action"]])
        ]
        if function not in {"InboundFunction", "InboundRedriveFunction"}:
            assert asking == [], function
            continue
        assert asking == [
            {
                "Effect": "Allow",
                "Action": "bedrock:InvokeModel",  # what Converse needs, nothing else
                "Resource": {"Fn::Sub": SECOND_OPINION_MODEL_ARN},
            }
        ]
        # granted only when the stack names a model: the statement is the condition's
        (guarded,) = [
            s["Fn::If"]
            for policy in SPEC.function_properties(function)["Policies"]
            for s in policy["Statement"]
            if "Fn::If" in s and s["Fn::If"][1] == asking[0]
        ]
        assert guarded == ["HasReplySecondOpinion", asking[0], {"Ref": "AWS::NoValue"}]
        variables = SPEC.function_properties(function)["Environment"]["Variables"]
        assert variables["REPLY_SECOND_OPINION_MODEL"] == {"Ref": "ReplySecondOpinionModel"}
        assert variables["REPLY_SECOND_OPINION_REGION"] == {"Ref": "AWS::Region"}


def test_the_second_opinion_is_off_by_default() -> None:
    parameter = SPEC.body["Parameters"]["ReplySecondOpinionModel"]
    assert parameter["Default"] == ""
    assert SPEC.body["Conditions"]["HasReplySecondOpinion"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ReplySecondOpinionModel"}, ""]}]
    }
    pattern = re.compile(parameter["AllowedPattern"])
    assert pattern.fullmatch("") and pattern.fullmatch("amazon.nova-micro-v1:0")
    assert pattern.fullmatch("anthropic.claude-3-haiku-20240307-v1:0")
    # a wildcard or an ARN would widen the grant beyond one model
    for widened in ("*", "amazon.*", "arn:aws:bedrock:us-east-1::foundation-model/x"):
        assert not pattern.fullmatch(widened), widened
