"""Delivery receipts on the local stack (#22 item 3): moto's SNS and End User Messaging write
no receipts of their own, so the test publishes the documented event to the receipts topic and
the stack carries it (topic, queue, function) as AWS would."""

from __future__ import annotations

import json

from reactivation.adapters.outbox import OutboxRepository
from reactivation_tools.local import invariants
from reactivation_tools.local.stack import LocalStack
from tests.builders import make_patient
from tests.e2e.test_sending import Practice, local


def test_a_receipt_published_by_end_user_messaging_is_recorded_and_a_blocked_number_rests(
    stack: LocalStack,
) -> None:
    stack.clock.set(local("2026-11-24T10:00"))
    ana = make_patient("P-1", mobile="+12125550101")
    leo = make_patient("P-2", mobile="+12125550102", first_name="Leo")
    practice = Practice(stack, ana, leo)
    jobs = [practice.job(ana), practice.job(leo)]
    practice.queue(*jobs)
    stack.drain()
    assert len(stack.sent_sms()) == 2
    dynamodb, table = stack.client("dynamodb"), stack.outputs["PracticeTableName"]

    def message(patient_id: str, job_id: str) -> dict[str, dict[str, str]]:
        key = {"pk": {"S": f"PRACTICE#bright-smile#PATIENT#{patient_id}"},
               "sk": {"S": f"MESSAGE#{job_id}"}}  # fmt: skip
        item: dict[str, dict[str, str]] = dynamodb.get_item(TableName=table, Key=key)["Item"]
        return item

    moment = int(local("2026-11-24T10:01").timestamp() * 1000)
    for job, event_type in zip(jobs, ("TEXT_DELIVERED", "TEXT_BLOCKED"), strict=True):
        message_id = message(job.patient_id, job.job_id)["channel_message_id"]["S"]
        event = {"eventType": event_type, "eventVersion": "1.0", "eventTimestamp": moment,
                 "isFinal": True, "messageId": message_id}  # fmt: skip
        stack.client("sns").publish(
            TopicArn=stack.outputs["DeliveryReceiptsTopicArn"], Message=json.dumps(event)
        )
    stack.drain()
    assert message("P-1", jobs[0].job_id)["delivery"]["S"] == "delivered"
    assert message("P-2", jobs[1].job_id)["delivery_status"]["S"] == "blocked"
    outbox = OutboxRepository(dynamodb, table)
    sent = outbox.messages_between("bright-smile", local("2026-11-24T00:00"),
                                   local("2026-11-25T00:00"))  # fmt: skip
    assert sorted(m.delivered for m in sent if m.delivered is not None) == [False, True]
    # Leo's number is suppressed: his next step is cancelled, never sent
    stack.clock.set(local("2026-11-28T10:00"))
    later = jobs[1].model_copy(update={"job_id": f"{jobs[1].job_id}-2", "step": 2})
    practice.queue(later)
    stack.drain()
    assert len(stack.sent_sms()) == 2
    assert message("P-2", later.job_id)["cancel_reason"]["S"] == "opted_out"
    assert invariants.check(dynamodb, table) == []
