"""The redrive's own rules, with the inbound service faked: what is taken out of the queue,
what is left, and a run that stops taking replies before its time is up."""

import json
from datetime import datetime

from reactivation.adapters.parked_replies import ParkedReplies
from reactivation.events import SnsEnvelope
from reactivation.services.inbound import outcomes
from reactivation.services.inbound.outcomes import Handled, InboundResult
from reactivation.services.inbound_redrive import InboundRedrive, Outcome
from tests.builders import at
from tests.conftest import Aws
from tests.signing import sign

NOW = at("2026-11-27 10:10")


class FakeInbound:
    def __init__(self, refuse: Exception | None = None) -> None:
        self.handled: list[str] = []
        self.refuse = refuse

    def handle(self, envelope: SnsEnvelope, now: datetime) -> InboundResult:
        if self.refuse is not None:
            raise self.refuse
        self.handled.append(envelope.message_id)
        return InboundResult(Handled.ROUTED)


def _park(aws: Aws, count: int) -> ParkedReplies:
    url = aws.ref("InboundDeadLetterQueue")
    for n in range(count):
        message = sign({"Type": "Notification", "MessageId": f"sns-{n}",
                        "TopicArn": aws.ref("InboundSmsTopic"), "Message": "{}",
                        "Timestamp": "2026-11-24T15:05:00.000Z"})  # fmt: skip
        aws.client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(message))
    return ParkedReplies(aws.client("sqs"), url)


def test_a_run_stops_taking_replies_when_its_time_is_nearly_up(aws: Aws) -> None:
    parked, inbound = _park(aws, 5), FakeInbound()
    clock = iter([60.0, 40.0, 14.0])  # seconds left before each reply
    report = InboundRedrive(inbound, parked).run(NOW, lambda: next(clock))
    assert report.outcomes == {Outcome.PROCESSED: 2} and len(inbound.handled) == 2


def test_refusals_that_a_later_run_may_undo_stay_in_the_queue(aws: Aws) -> None:
    for error, outcome, reason in (
        (outcomes.UnknownDestination(), Outcome.LEFT, outcomes.UnknownDestination.reason),
        (ConnectionError("throttled"), Outcome.LEFT, "ConnectionError"),
        (outcomes.NotGenuine(), Outcome.REFUSED, outcomes.NotGenuine.reason),
    ):
        parked = _park(aws, 1)
        report = InboundRedrive(FakeInbound(refuse=error), parked).run(NOW, lambda: 60.0)
        assert report.outcomes == {outcome: 1}, reason
        assert report.reasons == {f"{outcome.value}: {reason}": 1}
    # only the two left ones are still there (read again once their visibility timeout passes)
    attributes = aws.client("sqs").get_queue_attributes(
        QueueUrl=aws.ref("InboundDeadLetterQueue"),
        AttributeNames=["ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "2"
