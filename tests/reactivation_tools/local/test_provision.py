"""The local stack's resources are the template's: read from it, never from a second copy."""

from pathlib import Path
from typing import Any

from moto import mock_aws

from reactivation_tools.local.template import Template
from tests.conftest import TEMPLATE, Aws, client, provision


def keys(schema: Any) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in schema]


def test_the_table_matches_the_template(aws: Aws) -> None:
    declared = Template.load(TEMPLATE).resources["PracticeTable"]["Properties"]
    dynamodb = aws.client("dynamodb")
    table = dynamodb.describe_table(TableName=aws.table)["Table"]
    assert keys(table["KeySchema"]) == keys(declared["KeySchema"])
    assert {i["IndexName"]: keys(i["KeySchema"]) for i in table["GlobalSecondaryIndexes"]} == {
        i["IndexName"]: keys(i["KeySchema"]) for i in declared["GlobalSecondaryIndexes"]
    }
    ttl = dynamodb.describe_time_to_live(TableName=aws.table)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    backups = dynamodb.describe_continuous_backups(TableName=aws.table)
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"


def test_the_queues_match_the_template(aws: Aws) -> None:
    sqs = aws.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=aws.ref("SendQueue"), AttributeNames=["All"])[
        "Attributes"
    ]
    assert attributes["VisibilityTimeout"] == "180"
    assert '"maxReceiveCount": 3' in attributes["RedrivePolicy"]
    dead_letters = aws.provisioner.created["SendDeadLetterQueue"].attributes["Arn"]
    assert dead_letters in attributes["RedrivePolicy"]


def test_topics_buckets_and_the_email_identity_exist(aws: Aws) -> None:
    topics = {t["TopicArn"] for t in aws.client("sns").list_topics()["Topics"]}
    assert {aws.ref("InboundSmsTopic"), aws.ref("OpsAlertsTopic")} <= topics
    bucket = aws.ref("ImportsBucket")
    s3 = aws.client("s3")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"][
        "BlockPublicAcls"
    ]
    identities = aws.client("sesv2").list_email_identities()["EmailIdentities"]
    assert [i["IdentityName"] for i in identities] == ["reactivation.test"]


def test_functions_get_the_names_the_template_resolves(aws: Aws) -> None:
    send = aws.functions["SendFunction"]
    assert send.environment["SEND_QUEUE_URL"] == aws.ref("SendQueue")
    assert send.environment["PRACTICE_TABLE_NAME"] == aws.table
    assert send.environment["POWERTOOLS_SERVICE_NAME"] == "send"
    assert send.code_dir.name == "send" and send.handler == "app.lambda_handler"
    assert aws.functions["InboundFunction"].environment["INBOUND_TOPIC_ARN"] == aws.ref(
        "InboundSmsTopic"
    )


def test_change_the_template_and_the_local_stack_follows(tmp_path: Path) -> None:
    text = TEMPLATE.read_text()
    changed = (
        text.replace(
            "{ AttributeName: sk, KeyType: RANGE }", "{ AttributeName: sk2, KeyType: RANGE }"
        )
        .replace(
            "{ AttributeName: sk, AttributeType: S }", "{ AttributeName: sk2, AttributeType: S }"
        )
        .replace(
            "SendMaxReceives:\n    Type: Number\n    Default: 3",
            "SendMaxReceives:\n    Type: Number\n    Default: 5",
        )
        .replace("VisibilityTimeout: 180", "VisibilityTimeout: 240")
    )
    assert changed != text
    template = tmp_path / "template.yaml"
    template.write_text(changed)
    with mock_aws():
        provisioner = provision(template)
        table = client("dynamodb").describe_table(
            TableName=provisioner.created["PracticeTable"].ref
        )["Table"]
        assert keys(table["KeySchema"]) == [("pk", "HASH"), ("sk2", "RANGE")]
        attributes = client("sqs").get_queue_attributes(
            QueueUrl=provisioner.created["SendQueue"].ref, AttributeNames=["All"]
        )["Attributes"]
        assert attributes["VisibilityTimeout"] == "240"
        assert '"maxReceiveCount": 5' in attributes["RedrivePolicy"]
