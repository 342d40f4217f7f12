"""template.yaml: no reply lost to a flood or an outage (issue #16, item 2). The inbound
subscription retries as long as SNS allows, parks what it cannot deliver in a watched queue only
its topic may write to, and the unsubscribe link has an API (and limits) of its own."""

from typing import Any

from reactivation import verification
from reactivation_tools.local.template import Template
from tests.conftest import TEMPLATE

SPEC = Template.load(TEMPLATE)
RESOURCES: dict[str, Any] = SPEC.resources


def _most_retry_seconds(policy: dict[str, Any]) -> int:
    """The longest the retries can take whatever the backoff curve: every backoff-phase delay
    at most maxDelayTarget (what SNS checks against its 3,600 s limit is never more)."""
    retries = policy["numRetries"]
    backoff = (
        retries
        - policy["numNoDelayRetries"]
        - policy["numMinDelayRetries"]
        - policy["numMaxDelayRetries"]
    )
    assert backoff >= 0
    return int(
        policy["numMinDelayRetries"] * policy["minDelayTarget"]
        + (backoff + policy["numMaxDelayRetries"]) * policy["maxDelayTarget"]
    )


def test_the_inbound_subscription_retries_within_sns_limits_for_most_of_an_hour() -> None:
    subscription = RESOURCES["InboundSmsSubscription"]["Properties"]
    policy = subscription["DeliveryPolicy"]["healthyRetryPolicy"]
    assert 0 <= policy["numRetries"] <= 100  # SNS's limits for HTTP/S
    assert 1 <= policy["minDelayTarget"] <= policy["maxDelayTarget"] <= 3600
    assert 2400 <= _most_retry_seconds(policy) <= 3600  # far more than the default minute
    # SNS's own deliveries stay under the endpoint's rate limit: it never throttles itself
    throttle = subscription["DeliveryPolicy"]["throttlePolicy"]["maxReceivesPerSecond"]
    assert throttle < SPEC.body["Parameters"]["InboundRateLimit"]["Default"]


def test_what_sns_cannot_deliver_is_parked_in_a_watched_queue_only_the_topic_writes() -> None:
    subscription = RESOURCES["InboundSmsSubscription"]["Properties"]
    assert subscription["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["InboundDeadLetterQueue", "Arn"]}
    }
    queue = RESOURCES["InboundDeadLetterQueue"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    # a parked reply is kept as long as the redrive accepts one (the queue's retention + SNS's hour)
    retention = queue["MessageRetentionPeriod"]
    assert retention + 3600 == verification.PARKED_MAX_AGE.total_seconds()
    redrive = SPEC.function_properties("InboundRedriveFunction")
    assert queue["VisibilityTimeout"] >= 6 * redrive["Timeout"]
    (statement,) = RESOURCES["InboundDeadLetterQueuePolicy"]["Properties"]["PolicyDocument"][
        "Statement"
    ]
    assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Ref": "InboundSmsTopic"}}}
    alarm = RESOURCES["InboundDeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {
        "Fn::GetAtt": ["InboundDeadLetterQueue", "QueueName"]
    }
    assert alarm["Threshold"] == 1 and alarm["AlarmActions"] == [{"Ref": "OpsAlertsTopic"}]


def test_the_redrive_runs_by_itself_one_at_a_time() -> None:
    redrive = SPEC.function_properties("InboundRedriveFunction")
    assert redrive["ReservedConcurrentExecutions"] == 1
    (schedule,) = redrive["Events"].values()
    assert schedule["Type"] == "ScheduleV2"
    assert schedule["Properties"]["ScheduleExpression"] == "rate(5 minutes)"


def test_unsubscribe_traffic_cannot_throttle_the_replies() -> None:
    def api_of(function: str) -> set[str]:
        events = SPEC.function_properties(function)["Events"].values()
        return {e["Properties"]["ApiId"]["Ref"] for e in events if e["Type"] == "HttpApi"}

    assert api_of("InboundFunction") == {"InboundApi"}
    assert api_of("UnsubscribeFunction") == {"UnsubscribeApi"}
    for api in ("InboundApi", "UnsubscribeApi"):
        settings = RESOURCES[api]["Properties"]["DefaultRouteSettings"]
        assert set(settings) == {"ThrottlingRateLimit", "ThrottlingBurstLimit"}
    unsubscribe_url = SPEC.function_properties("SendFunction")["Environment"]["Variables"][
        "UNSUBSCRIBE_URL"
    ]
    assert "${UnsubscribeApi}" in unsubscribe_url["Fn::Sub"]
