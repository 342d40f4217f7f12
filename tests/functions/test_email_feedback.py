"""The email feedback function against moto: SES bounces and complaints suppress addresses,
through the topic and queue template.yaml declares."""

import json
from collections.abc import Callable
from typing import Any

from reactivation.adapters.consent import ConsentRepository
from tests.conftest import Aws
from tests.functions.helpers import queued, seed, sqs_event
from tests.functions.test_send import RUN

Handler = Callable[[dict[str, Any]], Any]


def ses_event(kind: str, address: str, bounce_type: str = "Permanent", tagged: bool = True) -> str:
    mail = {"messageId": "ses-1", "tags": {"practice_id": ["bright-smile"]} if tagged else {}}
    event: dict[str, Any] = {"eventType": kind, "mail": mail}
    recipients = [{"emailAddress": address}]
    if kind == "Bounce":
        event["bounce"] = {"bounceType": bounce_type, "bouncedRecipients": recipients,
                           "timestamp": "2026-11-24T15:05:00.000Z"}  # fmt: skip
    else:
        event["complaint"] = {"complainedRecipients": recipients,
                              "timestamp": "2026-11-24T15:06:00.000Z"}  # fmt: skip
    return json.dumps(event)


def test_a_hard_bounce_and_a_complaint_suppress_the_address_a_soft_bounce_does_not(
    aws: Aws, load_function: Callable[[str], Handler], frozen_clock: Callable[[Any], None]
) -> None:
    frozen_clock(RUN)
    seed(aws)
    feedback = load_function("EmailFeedbackFunction")
    events = [
        ses_event("Bounce", "ana@example.com"),
        ses_event("Bounce", "leo@example.com", bounce_type="Transient"),
        ses_event("Complaint", "Mia@Example.com"),
    ]
    assert feedback(sqs_event(aws, events)) == {"batchItemFailures": []}
    consent = ConsentRepository(aws.client("dynamodb"), aws.table)
    assert consent.all_opted_out("bright-smile") == {"ana@example.com", "mia@example.com"}


def test_feedback_without_its_practice_or_malformed_is_retried_alone_then_dead_lettered(
    aws: Aws, load_function: Callable[[str], Handler], frozen_clock: Callable[[Any], None]
) -> None:
    frozen_clock(RUN)
    seed(aws)
    feedback = load_function("EmailFeedbackFunction")
    event = sqs_event(aws, [ses_event("Bounce", "ana@example.com", tagged=False), "{not json",
                            ses_event("Complaint", "mia@example.com")])  # fmt: skip
    failures = feedback(event)["batchItemFailures"]
    assert sorted(f["itemIdentifier"] for f in failures) == ["m-0", "m-1"]
    consent = ConsentRepository(aws.client("dynamodb"), aws.table)
    assert consent.all_opted_out("bright-smile") == {"mia@example.com"}


def test_ses_feedback_published_to_the_topic_reaches_the_queue_raw(aws: Aws) -> None:
    aws.client("sns").publish(TopicArn=aws.ref("EmailFeedbackTopic"),
                              Message=ses_event("Complaint", "mia@example.com"))  # fmt: skip
    (message,) = queued(aws, "EmailFeedbackQueue")
    assert json.loads(message["Body"])["eventType"] == "Complaint"
