"""The inbound redrive function against moto: parked replies go through the inbound checks, with
the age a parked reply may have; a forged one is refused, a stored one does nothing."""

import json
from collections.abc import Callable
from typing import Any

import pytest

from reactivation.adapters.certificates import CertificateStore
from reactivation.adapters.replies import ReplyRepository
from tests.builders import at, make_patient
from tests.conftest import Aws
from tests.functions.helpers import seed, sent_sms
from tests.functions.test_inbound import envelope, post, sms_payload
from tests.signing import CERTIFICATE_URL, key_and_certificate

Handler = Callable[[dict[str, Any]], Any]
#: Three days after SNS stamped the messages (2026-11-24 15:05 UTC): far past the endpoint's hour.
LATER = at("2026-11-27 10:10")


@pytest.fixture
def functions(
    aws: Aws,
    load_function: Callable[[str], Handler],
    frozen_clock: Callable[[Any], None],
    frozen_wall_clock: Callable[[Any], None],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Handler, Handler]:
    """The redrive function and the inbound function, three days after the replies were sent."""
    frozen_clock(LATER)
    frozen_wall_clock(LATER)

    def certificate(store: CertificateStore, url: str) -> bytes:
        assert url == CERTIFICATE_URL
        return key_and_certificate()[1]

    monkeypatch.setattr(CertificateStore, "get", certificate)
    seed(aws, None, make_patient("P-1"))
    return load_function("InboundRedriveFunction"), load_function("InboundFunction")


def park(aws: Aws, message: dict[str, Any]) -> None:
    """What SNS does with a delivery it gave up on: the envelope, in the dead-letter queue."""
    aws.client("sqs").send_message(
        QueueUrl=aws.ref("InboundDeadLetterQueue"), MessageBody=json.dumps(message)
    )


def parked(aws: Aws) -> int:
    attributes = aws.client("sqs").get_queue_attributes(
        QueueUrl=aws.ref("InboundDeadLetterQueue"),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def replies(aws: Aws) -> list[str]:
    stored = ReplyRepository(aws.client("dynamodb"), aws.table).conversation(
        "bright-smile", "+12125550101"
    )
    return [r.inbound_message_id for r in stored]


def test_a_genuine_reply_parked_for_days_is_processed_once(
    aws: Aws, functions: tuple[Handler, Handler]
) -> None:
    redrive, inbound = functions
    stop = envelope(aws, "STOP", message_id="in-1")
    assert post(inbound, json.dumps(stop))[0] == 403  # the endpoint refuses it: too old for it
    park(aws, stop)
    park(aws, stop)  # parked twice (SNS delivers at least once)
    result = redrive({})
    assert result["outcomes"] == {"processed": 2}
    assert replies(aws) == ["in-1"]  # stored once
    assert len(sent_sms()) == 1  # the opt-out confirmed once
    assert parked(aws) == 0


def test_forged_foreign_and_too_old_parked_messages_are_refused_and_taken_out(
    aws: Aws, functions: tuple[Handler, Handler]
) -> None:
    redrive, _ = functions
    tampered = envelope(aws, "STOP", message_id="in-2")
    tampered["Message"] = sms_payload(originationNumber="+12125550102")
    park(aws, tampered)
    foreign = "arn:aws:sns:us-east-1:999999999999:attacker"
    park(aws, envelope(aws, "STOP", message_id="in-3", TopicArn=foreign))
    park(aws, envelope(aws, "STOP", message_id="in-4", Timestamp="2026-11-10T15:05:00.000Z"))
    park(aws, {"not": "an envelope"})
    result = redrive({})
    assert result["outcomes"] == {"refused": 4}
    assert result["reasons"] == {
        "refused: not a genuine SNS message": 2,  # tampered; parked longer than 14 days
        "refused: not this deployment's topic": 1,
        "refused: malformed": 1,
    }
    assert replies(aws) == [] and sent_sms() == [] and parked(aws) == 0


def test_a_reply_to_a_number_no_practice_owns_yet_waits_for_the_next_run(
    aws: Aws, functions: tuple[Handler, Handler]
) -> None:
    redrive, _ = functions
    park(aws, envelope(aws, "hi", message_id="in-5",
                       Message=sms_payload(destinationNumber="+13105550000")))  # fmt: skip
    result = redrive({})
    assert result["outcomes"] == {"left": 1}
    assert result["reasons"] == {"left: no practice sends from the destination number": 1}
    assert parked(aws) == 1  # kept (the alarm stays on) until a practice sends from it
