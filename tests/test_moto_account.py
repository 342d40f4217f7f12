"""The `aws` fixture provisions the template once per process and empties it between tests
(tests/moto_account.py): whatever a test writes, to any resource kind, the next test sees none of
it. Judged through the public API (and, for the texts and emails moto only records, the helpers
the handler tests read them with), not through what the emptying touches."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reactivation_tools.local.stack import LOCAL_PARAMETERS
from tests.conftest import MOTO_ACCOUNT, Aws
from tests.functions.helpers import sent_emails, sent_sms

#: Each queue of the template, by logical id.
QUEUES = ["ImportQueue", "ImportDeadLetterQueue", "AppointmentChangesQueue",
          "AppointmentChangesDeadLetterQueue", "EmailFeedbackQueue",
          "EmailFeedbackDeadLetterQueue", "SegmentQueue", "SegmentDeadLetterQueue", "SendQueue",
          "SendDeadLetterQueue", "InboundDeadLetterQueue"]  # fmt: skip


def observe(aws: Aws) -> dict[str, Any]:
    """All a test can read of the account: resources (without the ids moto draws at random)
    and everything in them."""
    dynamodb, sqs, s3, sns = (aws.client(s) for s in ("dynamodb", "sqs", "s3", "sns"))
    sesv2, events = aws.client("sesv2"), aws.client("events")
    secrets, kms = aws.client("secretsmanager"), aws.client("kms")
    seen: dict[str, Any] = {}
    seen["items"] = {
        table: dynamodb.scan(TableName=table)["Items"]
        for table in dynamodb.list_tables()["TableNames"]
    }
    counts = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
              "ApproximateNumberOfMessagesDelayed"]  # fmt: skip
    seen["messages"] = {
        url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=counts)["Attributes"]
        for url in sqs.list_queues().get("QueueUrls", [])
    }
    seen["objects"] = {}
    for bucket in (b["Name"] for b in s3.list_buckets()["Buckets"]):
        versions = s3.list_object_versions(Bucket=bucket)
        seen["objects"][bucket] = (
            versions.get("Versions", []),
            versions.get("DeleteMarkers", []),
            s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []),
        )
    seen["topics"] = sorted(t["TopicArn"] for t in sns.list_topics()["Topics"])
    seen["subscriptions"] = sorted(
        (s["TopicArn"], s["Protocol"], s["Endpoint"])
        for s in sns.list_subscriptions()["Subscriptions"]
    )
    seen["opted out"] = sns.list_phone_numbers_opted_out()["phoneNumbers"]
    seen["texts"] = sent_sms()
    seen["emails"] = [e.source for e in sent_emails()]
    seen["identities"] = sesv2.list_email_identities()["EmailIdentities"]
    seen["rules"] = {
        bus["Name"]: {
            rule["Name"]: (
                rule.get("EventPattern"),
                events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus["Name"])["Targets"],
            )
            for rule in events.list_rules(EventBusName=bus["Name"])["Rules"]
        }
        for bus in events.list_event_buses()["EventBuses"]
    }
    seen["secrets"] = {
        secret["Name"]: (
            len(secrets.get_secret_value(SecretId=secret["ARN"])["SecretString"]),
            len(secrets.list_secret_version_ids(SecretId=secret["ARN"])["Versions"]),
        )
        for secret in secrets.list_secrets()["SecretList"]
    }
    seen["keys"] = len(kms.list_keys()["Keys"])
    return seen


def write_everywhere(aws: Aws) -> None:
    """An item, messages (visible, in flight, delayed) in every queue, object versions and an
    unfinished upload, a text, an email and an event: contents only, no resource changed."""
    aws.client("dynamodb").put_item(
        TableName=aws.table, Item={"pk": {"S": "PRACTICE#x"}, "sk": {"S": "PROFILE"}}
    )
    sqs = aws.client("sqs")
    sqs.send_message(QueueUrl=aws.ref("SendQueue"), MessageBody="in flight")
    sqs.receive_message(QueueUrl=aws.ref("SendQueue"), VisibilityTimeout=900)
    for name in QUEUES:
        sqs.send_message(QueueUrl=aws.ref(name), MessageBody="visible")
        sqs.send_message(QueueUrl=aws.ref(name), MessageBody="delayed", DelaySeconds=900)
    s3, bucket = aws.client("s3"), aws.ref("ImportsBucket")
    for body in (b"first", b"second"):
        s3.put_object(Bucket=bucket, Key="imports/x/patients.csv", Body=body)
    s3.delete_object(Bucket=bucket, Key="imports/x/patients.csv")  # a delete marker
    s3.create_multipart_upload(Bucket=bucket, Key="imports/x/big.csv")
    aws.client("sns").publish(PhoneNumber="+12125550199", Message="a text")
    aws.client("sns").publish(TopicArn=aws.ref("EmailFeedbackTopic"), Message="{}")
    aws.client("sesv2").send_email(
        FromEmailAddress=LOCAL_PARAMETERS["ReportSenderAddress"],
        Destination={"ToAddresses": ["someone@example.com"]},
        Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
    )
    aws.client("events").put_events(Entries=[{  # to the appointment changes queue
        "EventBusName": aws.ref("PracticeEventsBus"), "Source": "reactivation.pms",
        "DetailType": "Appointment Changed", "Detail": json.dumps({"practice_id": "x"}),
    }])  # fmt: skip


def test_whatever_a_test_writes_in_the_resources_the_next_one_starts_without(aws: Aws) -> None:
    fresh = observe(aws)
    secret = aws.client("secretsmanager").get_secret_value(
        SecretId=aws.ref("UnsubscribeSigningKey")
    )["SecretString"]
    provisioned = MOTO_ACCOUNT.provisioned
    write_everywhere(aws)
    written = observe(aws)
    for kind in ("items", "messages", "objects", "texts", "emails"):
        assert written[kind] != fresh[kind], kind  # each kind was written
    for url, counts in written["messages"].items():  # visible, delayed, and one in flight
        assert (
            counts["ApproximateNumberOfMessages"]
            != "0"
            != counts["ApproximateNumberOfMessagesDelayed"]
        ), url
    assert written["messages"][aws.ref("SendQueue")]["ApproximateNumberOfMessagesNotVisible"] == "1"

    assert MOTO_ACCOUNT.ready() is aws  # what the next test's fixture does
    assert observe(aws) == fresh
    assert MOTO_ACCOUNT.provisioned == provisioned  # emptied, not provisioned again
    assert (
        aws.client("secretsmanager").get_secret_value(SecretId=aws.ref("UnsubscribeSigningKey"))[
            "SecretString"
        ]
        == secret
    )


def test_a_test_that_changes_the_resources_leaves_the_next_one_a_fresh_provisioning(
    aws: Aws,
) -> None:
    fresh = observe(aws)
    provisioned = MOTO_ACCOUNT.provisioned
    write_everywhere(aws)
    sqs, events = aws.client("sqs"), aws.client("events")
    url = sqs.create_queue(QueueName="pms-bookings")["QueueUrl"]
    events.put_rule(Name="pms-bookings", EventBusName=aws.ref("PracticeEventsBus"),
                    EventPattern=json.dumps({"source": ["reactivation"]}))  # fmt: skip
    aws.client("secretsmanager").put_secret_value(
        SecretId=aws.ref("UnsubscribeSigningKey"), SecretString="changed"
    )
    aws.client("sns").opt_in_phone_number(phoneNumber=fresh["opted out"][0])
    aws.client("dynamodb").delete_table(TableName=aws.table)
    changed = observe(aws)
    for kind in ("items", "messages", "rules", "secrets", "opted out"):
        assert changed[kind] != fresh[kind], kind
    assert url in changed["messages"]

    again = MOTO_ACCOUNT.ready()
    assert MOTO_ACCOUNT.provisioned == provisioned + 1
    assert observe(again) == fresh


@pytest.mark.xdist_group("moto-account")
def test_a_test_writes_everywhere(aws: Aws) -> None:
    write_everywhere(aws)
    assert observe(aws)["texts"]


@pytest.mark.xdist_group("moto-account")
def test_and_the_next_test_sees_none_of_it(aws: Aws) -> None:
    # run after the one above, in the same process (the group and the file's order say so)
    observed = observe(aws)
    assert all(not items for items in observed["items"].values())
    assert all(set(q.values()) == {"0"} for q in observed["messages"].values())
    assert all(o == ([], [], []) for o in observed["objects"].values())
    assert observed["texts"] == [] and observed["emails"] == []
