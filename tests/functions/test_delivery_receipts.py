"""The delivery receipts function against moto: receipts of both channels, fed through the
queue template.yaml declares (moto's SNS and End User Messaging record none of their own)."""

import base64
import gzip
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.outbox import OutboxRepository
from reactivation.domain.outreach import SendJob
from tests.conftest import Aws
from tests.functions.helpers import queued, seed, sqs_event
from tests.functions.test_send import RUN, enrolled_job

Handler = Callable[[dict[str, Any]], Any]
NUMBER = "+12125550101"  # the seeded patient's mobile


@pytest.fixture
def handlers(
    aws: Aws, load_function: Callable[[str], Handler], frozen_clock: Callable[[Any], None]
) -> tuple[Handler, Handler]:
    frozen_clock(RUN)
    return load_function("SendFunction"), load_function("DeliveryReceiptsFunction")


def sent_text(aws: Aws, send: Handler) -> tuple[SendJob, str]:
    """A recall text sent to P-1, and the channel's message id."""
    seed(aws)
    job = enrolled_job(aws)
    assert send(sqs_event(aws, [job.model_dump_json()])) == {"batchItemFailures": []}
    return job, message_item(aws, job)["channel_message_id"]["S"]


def message_item(aws: Aws, job: SendJob) -> dict[str, Any]:
    key = {"pk": {"S": f"PRACTICE#bright-smile#PATIENT#{job.patient_id}"},
           "sk": {"S": f"MESSAGE#{job.job_id}"}}  # fmt: skip
    item: dict[str, Any] = aws.client("dynamodb").get_item(TableName=aws.table, Key=key)["Item"]
    return item


def end_user_messaging(message_id: str, event_type: str, minutes: int = 1, **more: Any) -> str:
    """An event as the configuration set's SNS destination publishes it (raw to the queue)."""
    moment = RUN + timedelta(minutes=minutes)
    return json.dumps({
        "eventType": event_type, "eventVersion": "1.0",
        "eventTimestamp": int(moment.timestamp() * 1000), "originationPhoneNumber": "+18005550100",
        "destinationPhoneNumber": NUMBER, "isInternationalSend": False, "mcc": "310",
        "mnc": "800", "messageId": message_id, "messageRequestTimestamp": 1,
        "messageEncoding": "GSM", "messageType": "TRANSACTIONAL",
        "messageStatus": event_type.removeprefix("TEXT_"), "messageStatusDescription": "...",
        "totalMessageParts": 1, "totalMessagePrice": 0.00581, "totalCarrierFee": 0.0, **more,
    })  # fmt: skip


def sns_status(message_id: str, status: str, response: str, minutes: int = 1) -> str:
    """An SNS SMS delivery status log entry, as SNS writes it to CloudWatch Logs."""
    moment = (RUN + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return json.dumps({
        "notification": {"messageId": message_id, "timestamp": moment},
        "delivery": {"phoneCarrier": "Carrier", "mnc": 270, "destination": NUMBER,
                     "priceInUSD": 0.00581, "smsType": "Transactional", "mcc": 310,
                     "providerResponse": response, "dwellTimeMs": 599,
                     "dwellTimeMsUntilDeviceAck": 1344},
        "status": status,
    })  # fmt: skip


def emitted(output: str) -> dict[str, float]:
    """The metrics Powertools printed (its embedded metric format), added up by name."""
    totals: dict[str, float] = {}
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        record = json.loads(line)
        for definition in record["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            values = record[definition["Name"]]
            value = sum(values) if isinstance(values, list) else values
            totals[definition["Name"]] = totals.get(definition["Name"], 0) + value
    return totals


def test_a_delivered_text_is_recorded_where_the_report_reads_it(
    aws: Aws, handlers: tuple[Handler, Handler], capsys: pytest.CaptureFixture[str]
) -> None:
    send, receipts = handlers
    job, message_id = sent_text(aws, send)
    capsys.readouterr()
    event = sqs_event(aws, [end_user_messaging(message_id, "TEXT_DELIVERED", isFinal=True)])
    assert receipts(event) == {"batchItemFailures": []}
    item = message_item(aws, job)
    assert (item["delivery"]["S"], item["delivery_status"]["S"]) == ("delivered", "delivered")
    assert emitted(capsys.readouterr().out).get("Delivered") == 1
    outbox = OutboxRepository(aws.client("dynamodb"), aws.table)
    [message] = outbox.messages_between("bright-smile", RUN, RUN + timedelta(days=1))
    assert message.delivered is True


def test_a_blocked_number_is_suppressed_for_the_practice_as_a_hard_bounce_is(
    aws: Aws, handlers: tuple[Handler, Handler], capsys: pytest.CaptureFixture[str]
) -> None:
    send, receipts = handlers
    job, message_id = sent_text(aws, send)
    capsys.readouterr()
    blocked = sns_status(message_id, "FAILURE", "Phone has blocked SMS")
    assert receipts(sqs_event(aws, [blocked])) == {"batchItemFailures": []}
    assert message_item(aws, job)["delivery"]["S"] == "failed"
    consent = ConsentRepository(aws.client("dynamodb"), aws.table)
    assert consent.all_opted_out("bright-smile") == {NUMBER}
    metrics = emitted(capsys.readouterr().out)
    assert (metrics.get("Blocked"), metrics.get("NumbersSuppressed")) == (1, 1)
    # the next step to that number is cancelled as an opt-out is
    later = job.model_copy(update={"job_id": f"{job.job_id}-2", "step": 2})
    assert send(sqs_event(aws, [later.model_dump_json()])) == {"batchItemFailures": []}
    assert message_item(aws, later)["cancel_reason"]["S"] == "opted_out"


def test_a_number_the_carrier_could_not_reach_for_now_stays_reachable(
    aws: Aws, handlers: tuple[Handler, Handler]
) -> None:
    send, receipts = handlers
    job, message_id = sent_text(aws, send)
    event = sqs_event(aws, [end_user_messaging(message_id, "TEXT_CARRIER_UNREACHABLE")])
    assert receipts(event) == {"batchItemFailures": []}
    assert message_item(aws, job)["delivery_status"]["S"] == "unreachable"
    consent = ConsentRepository(aws.client("dynamodb"), aws.table)
    assert consent.all_opted_out("bright-smile") == frozenset()


def test_a_late_pending_receipt_never_undoes_a_final_one(
    aws: Aws, handlers: tuple[Handler, Handler]
) -> None:
    send, receipts = handlers
    job, message_id = sent_text(aws, send)
    out_of_order = [
        end_user_messaging(message_id, "TEXT_DELIVERED", minutes=5, isFinal=True),
        end_user_messaging(message_id, "TEXT_PENDING", minutes=9, isFinal=False),
        end_user_messaging(message_id, "TEXT_QUEUED", minutes=1, isFinal=False),
    ]
    for body in out_of_order:  # one at a time, as they may arrive
        assert receipts(sqs_event(aws, [body])) == {"batchItemFailures": []}
    item = message_item(aws, job)
    assert (item["delivery"]["S"], item["delivery_status"]["S"]) == ("delivered", "delivered")
    assert item["delivery_at"]["S"].startswith("2026-11-24T15:05")  # RUN is 10:00 New York


def test_an_unknown_message_is_counted_and_dropped_and_a_malformed_one_is_retried(
    aws: Aws, handlers: tuple[Handler, Handler], capsys: pytest.CaptureFixture[str]
) -> None:
    send, receipts = handlers
    sent_text(aws, send)
    capsys.readouterr()
    event = sqs_event(aws, [
        end_user_messaging("0000-not-ours", "TEXT_DELIVERED"),
        "{not json",
        json.dumps({"eventType": "TEXT_DELIVERED", "messageId": "no timestamp"}),
        json.dumps({"something": "else"}),
    ])  # fmt: skip
    failures = receipts(event)["batchItemFailures"]
    assert sorted(f["itemIdentifier"] for f in failures) == ["m-1", "m-2", "m-3"]
    output = capsys.readouterr().out
    assert emitted(output).get("ReceiptsUnknown") == 1
    assert NUMBER not in output and "0000-not-ours" not in output


def test_sns_delivery_status_logs_are_queued_one_receipt_each(
    aws: Aws, handlers: tuple[Handler, Handler]
) -> None:
    send, receipts = handlers
    job, message_id = sent_text(aws, send)
    entries = [sns_status(message_id, "SUCCESS", "Message has been accepted by phone carrier")]
    entries.append(sns_status("another-id", "FAILURE", "Invalid phone number"))
    logs = {  # CloudWatch Logs' subscription event
        "messageType": "DATA_MESSAGE", "owner": "123456789012",
        "logGroup": "sns/us-east-1/123456789012/DirectPublishToPhoneNumber",
        "logStream": "stream", "subscriptionFilters": ["filter"],
        "logEvents": [{"id": str(n), "timestamp": 1, "message": entry}
                      for n, entry in enumerate(entries)],
    }  # fmt: skip
    data = base64.b64encode(gzip.compress(json.dumps(logs).encode())).decode()
    assert receipts({"awslogs": {"data": data}}) == {"forwarded": 2}
    bodies = [m["Body"] for m in queued(aws, "DeliveryReceiptsQueue")]
    assert sorted(bodies) == sorted(entries)
    assert receipts(sqs_event(aws, bodies)) == {"batchItemFailures": []}
    assert message_item(aws, job)["delivery"]["S"] == "delivered"


def test_end_user_messaging_events_published_to_the_topic_reach_the_queue_raw(aws: Aws) -> None:
    body = end_user_messaging("abc-123", "TEXT_BLOCKED")
    aws.client("sns").publish(TopicArn=aws.ref("DeliveryReceiptsTopic"), Message=body)
    assert [m["Body"] for m in queued(aws, "DeliveryReceiptsQueue")] == [body]


def test_the_receipt_pointer_is_kept_a_week(aws: Aws, handlers: tuple[Handler, Handler]) -> None:
    send, _ = handlers
    _, message_id = sent_text(aws, send)
    key = {"pk": {"S": f"CHANNEL_MESSAGE#{message_id}"}, "sk": {"S": "MESSAGE"}}
    item = aws.client("dynamodb").get_item(TableName=aws.table, Key=key)["Item"]
    assert int(item["expires_at"]["N"]) == int((RUN + timedelta(days=7)).timestamp())
    assert (item["practice_id"]["S"], item["patient_id"]["S"]) == ("bright-smile", "P-1")
