"""No reply lost to an outage or a flood (issue #16, item 2), on the local stack: SNS retries the
inbound endpoint as the subscription's delivery policy says, parks what it cannot deliver in the
inbound dead-letter queue, and the redrive processes it, each reply exactly once."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.replies import ReplyRepository
from reactivation.domain.conversation import Reply
from reactivation_tools.local import demo
from reactivation_tools.local.moto_patches import dead_letter_queue, http_attempts
from reactivation_tools.local.stack import LocalStack
from tests.test_template import granted

START = datetime(2026, 11, 24, 12, tzinfo=ZoneInfo(demo.TIMEZONE))
PRACTICE = demo.PRACTICE.practice_id


def reply(stack: LocalStack, sender: str, text: str, inbound_id: str) -> None:
    """End User Messaging publishes a patient's text to the topic; SNS posts it to the endpoint."""
    message = {"originationNumber": sender, "destinationNumber": demo.PRACTICE.sending_number,
               "messageBody": text, "inboundMessageId": inbound_id}  # fmt: skip
    stack.client("sns").publish(TopicArn=stack.outputs["InboundSmsTopicArn"],
                                Message=json.dumps(message))  # fmt: skip


def stored(stack: LocalStack) -> list[Reply]:
    replies = ReplyRepository(stack.client("dynamodb"), stack.outputs["PracticeTableName"])
    return [r for number in {s for s, _ in demo.REPLIES}
            for r in replies.conversation(PRACTICE, number)]  # fmt: skip


def parked(stack: LocalStack) -> int:
    return stack.queue_depth("InboundDeadLetterQueue")


def seeded(stack: LocalStack) -> None:
    stack.clock.set(START)
    demo.seed(stack.client("dynamodb"), stack.outputs["PracticeTableName"], START.date())


def test_the_subscription_retries_for_most_of_an_hour_and_parks_what_it_cannot_deliver(
    stack: LocalStack,
) -> None:
    sns = stack.client("sns")
    topic = stack.outputs["InboundSmsTopicArn"]
    subscription = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"][0]
    attributes = sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])[
        "Attributes"
    ]
    assert http_attempts(attributes) == 13  # the first and 12 retries (default: 4 in all)
    assert (
        dead_letter_queue(attributes) == stack.resources["InboundDeadLetterQueue"].attributes["Arn"]
    )


def test_replies_sent_while_the_endpoint_is_down_are_processed_once_it_is_back(
    stack: LocalStack,
) -> None:
    seeded(stack)
    stack.take_down("InboundFunction", 503)  # longer than SNS's retries: every attempt fails
    for number, (sender, text) in enumerate(demo.REPLIES):
        reply(stack, sender, text, f"outage-{number}")
    assert stored(stack) == [] and parked(stack) == len(demo.REPLIES)  # none lost, none applied

    stack.bring_back("InboundFunction")
    run = stack.fire("ParkedReplies")
    assert run.ok, run.error
    assert run.payload["outcomes"] == {"processed": len(demo.REPLIES)}
    assert parked(stack) == 0
    ids = Counter(r.inbound_message_id for r in stored(stack))
    assert ids == Counter(f"outage-{n}" for n in range(len(demo.REPLIES)))  # each exactly once
    consent = ConsentRepository(stack.client("dynamodb"), stack.outputs["PracticeTableName"])
    stopped = demo.REPLIES[0][0]
    assert consent.opted_out(PRACTICE, [stopped]) == {stopped}  # the STOP was kept
    confirmations = [m for m in stack.sent_sms() if m.to == stopped]
    assert len(confirmations) == 1  # the opt-out is confirmed once

    # SNS delivers one of them again (a redelivery, or the same reply parked twice): nothing
    reply(stack, *demo.REPLIES[0], "outage-0")
    again = stack.fire("ParkedReplies")
    assert again.ok and again.payload["outcomes"] == {}
    assert len(stored(stack)) == len(demo.REPLIES)
    assert len([m for m in stack.sent_sms() if m.to == demo.REPLIES[0][0]]) == 1


def test_a_throttled_reply_is_parked_at_once_and_redriven(stack: LocalStack) -> None:
    """API Gateway's 429 is a client error: SNS does not retry it. It is parked, not lost."""
    seeded(stack)
    stack.take_down("InboundFunction", 429)
    reply(stack, *demo.REPLIES[0], "flood-0")
    assert parked(stack) == 1 and stored(stack) == []
    stack.bring_back("InboundFunction")
    reply(stack, *demo.REPLIES[2], "flood-1")  # the endpoint answers again: delivered directly
    assert [r.inbound_message_id for r in stored(stack)] == ["flood-1"]
    run = stack.fire("ParkedReplies")
    assert run.ok and run.payload["outcomes"] == {"processed": 1}
    assert sorted(r.inbound_message_id for r in stored(stack)) == ["flood-0", "flood-1"]


def test_a_forged_message_put_in_the_queue_is_refused_and_taken_out(stack: LocalStack) -> None:
    seeded(stack)
    stack.take_down("InboundFunction", 503)
    reply(stack, *demo.REPLIES[0], "forged-0")
    sqs = stack.client("sqs")
    url = stack.resources["InboundDeadLetterQueue"].ref
    genuine = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=genuine["ReceiptHandle"])
    envelope = json.loads(genuine["Body"])
    message = json.loads(envelope["Message"])
    message["originationNumber"] = demo.REPLIES[1][0]  # STOP someone else's number
    forged = {**envelope, "Message": json.dumps(message)}
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(forged))
    stack.bring_back("InboundFunction")
    run = stack.fire("ParkedReplies")
    assert run.ok and run.payload["outcomes"] == {"refused": 1}
    assert run.payload["reasons"] == {"refused: not a genuine SNS message": 1}
    assert parked(stack) == 0 and stored(stack) == []


def test_the_redrive_needs_no_action_its_role_lacks(stack: LocalStack) -> None:
    seeded(stack)
    stack.take_down("InboundFunction", 503)
    for number, (sender, text) in enumerate(demo.REPLIES):
        reply(stack, sender, text, f"iam-{number}")
    stack.bring_back("InboundFunction")
    assert stack.fire("ParkedReplies").ok
    assert stack.request_counts is not None
    needed: set[str] = set()
    name = stack.functions["InboundRedriveFunction"].name
    for line in stack.request_counts.read_text().splitlines():
        record = json.loads(line)
        if record["function"] == name:
            needed |= set(record["actions"])
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "dynamodb:GetItem"} <= needed
    assert needed <= granted("InboundRedriveFunction"), needed - granted("InboundRedriveFunction")
