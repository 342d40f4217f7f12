"""The inbound function against moto, through API Gateway's event: replies, opt-outs, refusals."""

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from reactivation.adapters.certificates import CertificateStore
from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.handoffs import HandoffRepository
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain import sequences
from reactivation.domain.handoffs import Handoff, HandoffReason, Team
from reactivation.domain.models import Campaign, Channel, Decision, FaqAnswer
from reactivation.local.api import http_api_event
from tests.builders import at, make_patient, make_practice
from tests.conftest import Aws
from tests.functions.helpers import seed, sent_emails, sent_sms
from tests.signing import CERTIFICATE_URL, key_and_certificate, sign

Handler = Callable[[dict[str, Any]], Any]
RUN = at("2026-11-24 10:00")


def envelope(
    aws: Aws, body: str, message_id: str = "in-1", signed: bool = True, **overrides: Any
) -> dict[str, Any]:
    """The SNS delivery of a two-way SMS, signed like SNS signs it (unless `signed` is False)."""
    sms = {
        "originationNumber": "+12125550101",
        "destinationNumber": "+12125550199",
        "messageBody": body,
        "inboundMessageId": message_id,
    }
    value = {
        "Type": "Notification",
        "MessageId": f"sns-{message_id}",
        "TopicArn": aws.ref("InboundSmsTopic"),
        "Message": json.dumps(sms),
        "Timestamp": "2026-11-24T15:05:00.000Z",
    }
    value.update(overrides)
    return sign(value) if signed else value


def post(handler: Handler, body: str | bytes) -> tuple[int, dict[str, Any]]:
    data = body.encode() if isinstance(body, str) else body
    event = http_api_event(
        "POST", "/sms/inbound", {"Content-Type": "text/plain; charset=UTF-8"}, data, "127.0.0.1"
    )
    response = handler(event)
    return response["statusCode"], json.loads(response["body"])


def item_count(aws: Aws) -> int:
    return int(aws.client("dynamodb").scan(TableName=aws.table, Select="COUNT")["Count"])


@pytest.fixture
def inbound(
    aws: Aws,
    load_function: Callable[[str], Handler],
    frozen_clock: Callable[[Any], None],
    frozen_wall_clock: Callable[[Any], None],
    monkeypatch: pytest.MonkeyPatch,
) -> Handler:
    frozen_clock(RUN)
    frozen_wall_clock(at("2026-11-24 10:10"))  # five minutes after SNS stamped the messages

    def certificate(store: CertificateStore, url: str) -> bytes:
        assert url == CERTIFICATE_URL  # only a checked SNS URL is ever fetched
        return key_and_certificate()[1]

    monkeypatch.setattr(CertificateStore, "get", certificate)
    practice = make_practice(
        front_desk_email="frontdesk@reactivation.test",
        clinical_email="hygiene@reactivation.test",
        faq=(FaqAnswer(question="What are your hours?",
                       answer="Monday to Friday 8am-6pm, Saturday 9am-1pm."),),
    )  # fmt: skip
    seed(aws, practice, make_patient("P-1"), make_patient("P-2", first_name="Leo"))
    for patient_id in ("P-1", "P-2"):
        decision = Decision(
            patient_id=patient_id, campaign=Campaign.RECALL_DUE, channel=Channel.SMS
        )
        SequenceRepository(aws.client("dynamodb"), aws.table).enrol(
            sequences.start("bright-smile", decision, RUN)
        )
    return load_function("InboundFunction")


def test_stop_opts_the_number_out_ends_every_sequence_and_confirms_once(
    aws: Aws, inbound: Handler
) -> None:
    assert post(inbound, json.dumps(envelope(aws, "Stop!!"))) == (200, {"handled": "routed"})
    consent = ConsentRepository(aws.client("dynamodb"), aws.table)
    assert consent.opted_out("bright-smile", ["+12125550101"]) == {"+12125550101"}
    repository = SequenceRepository(aws.client("dynamodb"), aws.table)
    assert repository.active("bright-smile", "P-1") is None
    assert repository.active("bright-smile", "P-2") is None  # same family number
    assert sent_sms() == [
        (
            "+12125550101",
            "You are unsubscribed from Bright Smile Dental. No more messages. "
            "Reply START to resubscribe.",
        )
    ]
    # SNS delivers at least once: the same message again changes nothing and sends nothing
    assert post(inbound, json.dumps(envelope(aws, "Stop!!"))) == (200, {"handled": "duplicate"})
    assert len(sent_sms()) == 1


def test_start_lifts_the_opt_out(aws: Aws, inbound: Handler) -> None:
    post(inbound, json.dumps(envelope(aws, "STOP")))
    later = envelope(aws, "START", "in-2", Timestamp="2026-11-24T15:06:00.000Z")
    post(inbound, json.dumps(later))
    consent = ConsentRepository(aws.client("dynamodb"), aws.table)
    assert consent.opted_out("bright-smile", ["+12125550101"]) == frozenset()
    assert "subscribed again" in sent_sms()[-1][1]


def test_an_opt_in_sent_before_the_opt_out_does_not_undo_it(aws: Aws, inbound: Handler) -> None:
    post(inbound, json.dumps(envelope(aws, "STOP", "in-2", Timestamp="2026-11-24T15:06:00.000Z")))
    post(inbound, json.dumps(envelope(aws, "START", "in-1", Timestamp="2026-11-24T15:05:00.000Z")))
    consent = ConsentRepository(aws.client("dynamodb"), aws.table)
    assert consent.opted_out("bright-smile", ["+12125550101"]) == {"+12125550101"}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("{not json", 400),
        ('{"Type": "Notification"}', 400),
        ("[]", 400),
        ("", 400),
    ],
)
def test_malformed_requests_get_400_and_write_nothing(
    aws: Aws, inbound: Handler, body: str, status: int
) -> None:
    before = item_count(aws)
    assert post(inbound, body)[0] == status
    assert item_count(aws) == before and sent_sms() == []


def sms_payload(**changes: str) -> str:
    payload = {
        "originationNumber": "+12125550101",
        "destinationNumber": "+12125550199",
        "messageBody": "STOP",
        "inboundMessageId": "in-1",
    }
    return json.dumps({**payload, **changes})


def test_a_bad_payload_inside_a_genuine_envelope_is_refused(aws: Aws, inbound: Handler) -> None:
    before = item_count(aws)
    bad_number = envelope(aws, "STOP", Message=sms_payload(originationNumber="12"))
    assert post(inbound, json.dumps(bad_number))[0] == 400
    assert post(inbound, json.dumps(envelope(aws, "STOP", Message="not json")))[0] == 400
    assert item_count(aws) == before


def test_another_topic_is_forbidden_and_writes_nothing(aws: Aws, inbound: Handler) -> None:
    before = item_count(aws)
    forged = envelope(aws, "STOP", TopicArn="arn:aws:sns:us-east-1:999999999999:attacker")
    assert post(inbound, json.dumps(forged)) == (403, {"message": "not this deployment's topic"})
    assert item_count(aws) == before and sent_sms() == []


@pytest.mark.parametrize(
    "forgery",
    [
        {"signed": False},  # no signature at all
        {"SigningCertURL": "https://evil.test/SimpleNotificationService-test.pem"},
        {"Message": json.dumps({"originationNumber": "+12125550101",
                                "destinationNumber": "+12125550199",
                                "messageBody": "START", "inboundMessageId": "x"})},
        {"Timestamp": "2026-11-24T13:05:00.000Z"},  # replayed two hours later
        {"SignatureVersion": "1"},  # SHA1 is not accepted by this deployment
    ],
)  # fmt: skip
def test_a_forged_tampered_or_stale_message_is_forbidden_and_writes_nothing(
    aws: Aws, inbound: Handler, forgery: dict[str, Any]
) -> None:
    before = item_count(aws)
    message = envelope(aws, "STOP", signed=forgery.get("signed") is not False)
    if forgery.get("Timestamp") or forgery.get("SignatureVersion") == "1":
        message = sign({**{k: v for k, v in message.items() if k != "Signature"}, **forgery},
                       version=forgery.get("SignatureVersion", "2"))  # fmt: skip
    else:
        message.update({k: v for k, v in forgery.items() if k != "signed"})
    assert post(inbound, json.dumps(message)) == (403, {"message": "not a genuine SNS message"})
    assert item_count(aws) == before and sent_sms() == []


def test_oversized_requests_get_413(aws: Aws, inbound: Handler) -> None:
    assert post(inbound, json.dumps(envelope(aws, "x" * 20_000)))[0] == 413


def test_a_number_no_practice_sends_from_gets_422(aws: Aws, inbound: Handler) -> None:
    stray = envelope(aws, "hi", Message=sms_payload(destinationNumber="+13105550000"))
    assert post(inbound, json.dumps(stray))[0] == 422


def test_a_subscription_confirmation_for_our_topic_is_confirmed(aws: Aws, inbound: Handler) -> None:
    subscribe = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=token-1"
    confirmation = envelope(
        aws, "", Type="SubscriptionConfirmation", Token="token-1", SubscribeURL=subscribe
    )
    assert post(inbound, json.dumps(confirmation)) == (200, {"handled": "confirmed"})
    # a confirmation whose token was removed no longer matches its signature
    stripped = {k: v for k, v in confirmation.items() if k != "Token"}
    assert post(inbound, json.dumps(stripped)) == (403, {"message": "not a genuine SNS message"})


def test_any_other_reply_is_stored_for_staff(aws: Aws, inbound: Handler) -> None:
    assert post(inbound, json.dumps(envelope(aws, "what are your hours?")))[0] == 200
    items = aws.client("dynamodb").scan(
        TableName=aws.table,
        FilterExpression="kind = :reply",
        ExpressionAttributeValues={":reply": {"S": "reply"}},
    )["Items"]
    assert [(i["intent"]["S"], i["notify_staff"]["BOOL"]) for i in items] == [("question", True)]


def history(aws: Aws, patient_id: str = "P-1") -> Any:
    return SequenceRepository(aws.client("dynamodb"), aws.table).history(
        "bright-smile", patient_id, frozenset()
    )


def due_steps(aws: Aws) -> list[str]:
    repository = SequenceRepository(aws.client("dynamodb"), aws.table)
    return [s.patient_id for s in repository.due("bright-smile", at("2027-12-31 10:00"))]


def test_not_now_ends_the_sequence_and_snoozes_until_the_month_named(
    aws: Aws, inbound: Handler
) -> None:
    post(inbound, json.dumps(envelope(aws, "busy this month, try me in March")))
    for patient_id in ("P-1", "P-2"):  # the family shares the number
        state = history(aws, patient_id)
        assert not state.in_sequence and state.snoozed_until == date(2027, 3, 1)
    assert sent_sms() == []


def test_decline_starts_the_180_day_cooldown_of_that_campaign(aws: Aws, inbound: Handler) -> None:
    post(inbound, json.dumps(envelope(aws, "no thanks, we found another dentist")))
    state = history(aws)
    assert not state.in_sequence
    assert state.declined == {Campaign.RECALL_DUE: date(2026, 11, 24)}


ACK = "Thank you. Someone from Bright Smile Dental will reach out to you soon."


@pytest.mark.parametrize(
    ("text", "answers"),
    [
        ("you people overcharged me and were rude", [ACK]),
        ("my husband passed away last month", []),  # a person answers, not a machine
    ],
)
def test_a_complaint_or_a_sensitive_reply_holds_all_outreach(
    aws: Aws, inbound: Handler, text: str, answers: list[str]
) -> None:
    post(inbound, json.dumps(envelope(aws, text)))
    assert history(aws).service_recovery and not history(aws).in_sequence
    assert [body for _, body in sent_sms()] == answers


def test_a_wrong_number_is_never_used_again_for_those_patients(aws: Aws, inbound: Handler) -> None:
    post(inbound, json.dumps(envelope(aws, "wrong number, no Ana here")))
    assert history(aws, "P-1").invalid_contacts == {"+12125550101"}
    assert history(aws, "P-2").invalid_contacts == {"+12125550101"}
    assert sent_sms() == [] and due_steps(aws) == []


def test_book_ends_the_sequence_and_sends_the_booking_way(aws: Aws, inbound: Handler) -> None:
    post(inbound, json.dumps(envelope(aws, "Tuesday works")))
    assert not history(aws).in_sequence
    assert sent_sms() == [
        ("+12125550101", "Great! Bright Smile Dental will text or call you to find a time.")
    ]


def test_a_question_pauses_the_sequence_for_staff(aws: Aws, inbound: Handler) -> None:
    assert sorted(due_steps(aws)) == ["P-1", "P-2"]
    post(inbound, json.dumps(envelope(aws, "do you have parking?")))
    assert due_steps(aws) == []  # no further step goes out on its own
    assert history(aws).in_sequence  # but the sequence is not over: staff answer and resume


def handoffs(aws: Aws) -> list[Handoff]:
    return list(HandoffRepository(aws.client("dynamodb"), aws.table).open_ones("bright-smile"))


def test_a_clinical_reply_is_handed_to_the_clinician_at_once_and_marked_urgent(
    aws: Aws, inbound: Handler
) -> None:
    post(inbound, json.dumps(envelope(aws, "Hi, is it normal that my gum is bleeding?")))
    (handoff,) = handoffs(aws)
    assert (handoff.reason, handoff.team, handoff.urgent) == (
        HandoffReason.CLINICAL, Team.CLINICAL, True
    )  # fmt: skip
    assert handoff.patient_ids == ("P-1", "P-2")
    (email,) = sent_emails()
    assert email.destinations["ToAddresses"] == ["hygiene@reactivation.test"]
    assert email.subject == "[Urgent] Bright Smile Dental: a patient's reply needs a clinician"
    assert "my gum is bleeding" in email.body and "ending 0101" in email.body
    # the patient hears only that a person will reach out
    assert [text for _, text in sent_sms()] == [
        "Thank you. Someone from Bright Smile Dental will reach out to you soon."
    ]
    # SNS delivers it again: no second handoff, no second email
    post(inbound, json.dumps(envelope(aws, "Hi, is it normal that my gum is bleeding?")))
    assert len(handoffs(aws)) == 1 and len(sent_emails()) == 1


def test_a_question_the_faq_answers_is_answered_and_one_it_does_not_goes_to_the_desk(
    aws: Aws, inbound: Handler
) -> None:
    post(inbound, json.dumps(envelope(aws, "what are your hours?", message_id="in-1")))
    assert [text for _, text in sent_sms()] == ["Monday to Friday 8am-6pm, Saturday 9am-1pm."]
    assert handoffs(aws) == []
    post(inbound, json.dumps(envelope(aws, "do you do sedation?", message_id="in-2")))
    (handoff,) = handoffs(aws)
    assert (handoff.reason, handoff.team) == (HandoffReason.QUESTION, Team.FRONT_DESK)
    (email,) = sent_emails()
    assert email.destinations["ToAddresses"] == ["frontdesk@reactivation.test"]
    assert "what are your hours?" in email.body  # the conversation so far


def test_a_text_from_a_number_that_is_no_patients_is_stored_and_handed_off_only(
    aws: Aws, inbound: Handler
) -> None:
    before = PatientRepository(aws.client("dynamodb"), aws.table)
    stranger = envelope(aws, "yes please", message_id="in-9")
    stranger["Message"] = json.dumps({**json.loads(stranger["Message"]),
                                      "originationNumber": "+13125550177"})  # fmt: skip
    post(inbound, json.dumps(sign({k: v for k, v in stranger.items() if k not in (
        "Signature", "SignatureVersion", "SigningCertURL")})))  # fmt: skip
    (handoff,) = handoffs(aws)
    assert (handoff.reason, handoff.patient_ids) == (HandoffReason.UNKNOWN_NUMBER, ())
    assert sent_sms() == []  # no automatic answer to a stranger
    assert before.ids_with_mobile("bright-smile", "+13125550177") == []  # never a patient


def test_staff_close_a_complaint_and_outreach_may_resume(aws: Aws, inbound: Handler) -> None:
    post(inbound, json.dumps(envelope(aws, "worst experience ever, you were rude to me")))
    (handoff,) = handoffs(aws)
    assert handoff.team is Team.MANAGER and history(aws).service_recovery
    assert sent_emails()[0].destinations["ToAddresses"] == ["owner@reactivation.test"]
    repository = HandoffRepository(aws.client("dynamodb"), aws.table)
    assert repository.close("bright-smile", handoff.handoff_id, RUN, "called, apologised")
    assert not repository.close("bright-smile", handoff.handoff_id, RUN, None)  # once
    assert handoffs(aws) == []
    assert repository.closed_between("bright-smile", RUN, RUN + timedelta(days=1)) == 1
