"""The inbound function against moto, through API Gateway's event: replies, opt-outs, refusals."""

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from reactivation.adapters.certificates import CertificateStore
from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.handoffs import HandoffRepository
from reactivation.adapters.openings import OpeningRepository
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.recipients import RecipientRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain import sequences
from reactivation.domain.handoffs import Handoff, HandoffReason, Team
from reactivation.domain.openings import parse_openings
from reactivation.domain.outreach import Decision
from reactivation.domain.practice import FaqAnswer
from reactivation.domain.sequences import step_due
from reactivation.domain.types import Campaign, Channel
from reactivation_tools.local.api import http_api_event
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
    return family_in_recall(aws, load_function, frozen_clock, frozen_wall_clock, monkeypatch)


def family_in_recall(
    aws: Aws,
    load_function: Callable[[str], Handler],
    frozen_clock: Callable[[Any], None],
    frozen_wall_clock: Callable[[Any], None],
    monkeypatch: pytest.MonkeyPatch,
) -> Handler:
    """The inbound function over a practice with a family of two on one number, both in a
    recall sequence, SNS's certificate served locally and the clocks frozen."""
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
    # a short acknowledgement that names when the practice checks back (replies.md)
    assert sent_sms() == [
        ("+12125550101", "No problem. Bright Smile Dental will check back with you around "
         "March 1. Reply STOP to opt out.")
    ]  # fmt: skip


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


def test_a_question_nobody_answered_pauses_the_sequence_until_staff_or_its_deadline(
    aws: Aws, inbound: Handler
) -> None:
    repository = SequenceRepository(aws.client("dynamodb"), aws.table)
    before = repository.active("bright-smile", "P-1")
    assert before is not None and sorted(due_steps(aws)) == ["P-1", "P-2"]
    post(inbound, json.dumps(envelope(aws, "do you do sedation?")))
    for patient_id in ("P-1", "P-2"):
        paused = repository.active("bright-smile", patient_id)
        assert paused is not None and paused.paused_at is not None and paused.next_step
        assert paused.paused_until == paused.paused_at + timedelta(days=7)  # never for good
        # the clock stopped: the waiting step is due its interval after the deadline
        assert paused.next_step_due_at == step_due(paused, paused.next_step, paused.paused_until)
        assert paused.next_step_due_at > before.next_step_due_at  # type: ignore[operator]
    assert history(aws).in_sequence  # the sequence is not over: staff answer, or it resumes


def test_a_question_the_faq_answered_does_not_pause(aws: Aws, inbound: Handler) -> None:
    repository = SequenceRepository(aws.client("dynamodb"), aws.table)
    before = repository.active("bright-smile", "P-1")
    post(inbound, json.dumps(envelope(aws, "what are your hours?")))
    after = repository.active("bright-smile", "P-1")
    assert after == before and after is not None and not after.paused  # its next step: booking


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
    [closed] = [h for h in repository.since("bright-smile", RUN) if h.closed_at is not None]
    assert (closed.handoff_id, closed.closed_at) == (handoff.handoff_id, RUN)


# ---------------------------------------------------------------- booking from openings
SLOTS = (
    "start,provider,category\n"
    "2026-11-26T09:00,Dr. Lee,hygiene\n"  # Thursday morning
    "2026-11-26T15:00,Dr. Lee,hygiene\n"  # Thursday afternoon
    "2026-11-27T10:30,Dr. Ruiz,hygiene\n"  # Friday morning
    "2026-12-01T09:30,Dr. Ruiz,hygiene\n"  # Tuesday morning
    "2026-12-02T11:00,Dr. Ruiz,restorative\n"  # not a cleaning: never offered for recall
)


def publish_openings(aws: Aws, text: str = SLOTS) -> None:
    parsed = parse_openings(text, "America/New_York")
    assert parsed.problems == []
    OpeningRepository(aws.client("dynamodb"), aws.table).publish("bright-smile", parsed.openings)


def booking_events(aws: Aws) -> list[dict[str, Any]]:
    """What reached the practice's system: a queue subscribed to "Booking Requested"."""
    sqs, events = aws.client("sqs"), aws.client("events")
    url = sqs.create_queue(QueueName="pms-bookings")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    bus = aws.ref("PracticeEventsBus")
    events.put_rule(Name="pms-bookings", EventBusName=bus,
                    EventPattern=json.dumps({"detail-type": ["Booking Requested"]}))  # fmt: skip
    events.put_targets(Rule="pms-bookings", EventBusName=bus,
                       Targets=[{"Id": "pms", "Arn": arn["QueueArn"]}])  # fmt: skip
    received: list[dict[str, Any]] = []

    def read() -> list[dict[str, Any]]:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            received.append(json.loads(message["Body"]))
        return received

    received.append({"read": read})
    return received


def test_a_yes_gets_two_or_three_times_that_fit_what_it_says(aws: Aws, inbound: Handler) -> None:
    publish_openings(aws)
    post(inbound, json.dumps(envelope(aws, "Yes! mornings are best")))
    assert sent_sms() == [
        (
            "+12125550101",
            "Bright Smile Dental has 1) Thu Nov 26 9:00am 2) Fri Nov 27 10:30am "
            "3) Tue Dec 1 9:30am. Reply 1, 2 or 3 to pick one, or a day that suits you.",
        )
    ]
    assert not history(aws).in_sequence  # the yes ends the sequence
    assert handoffs(aws) == []  # times were offered: nobody needs to find one
    recipient = RecipientRepository(aws.client("dynamodb"), aws.table).read(
        "bright-smile", "+12125550101"
    )
    assert recipient.offer is not None and recipient.offer.patient_id == "P-1"


def test_picking_an_offered_time_holds_it_and_tells_patient_desk_and_system(
    aws: Aws, inbound: Handler
) -> None:
    publish_openings(aws)
    events = booking_events(aws)
    post(inbound, json.dumps(envelope(aws, "yes please")))
    answer = envelope(aws, "2", "in-2", Timestamp="2026-11-24T15:07:00.000Z")
    assert post(inbound, json.dumps(answer)) == (200, {"handled": "routed"})
    assert sent_sms()[-1] == (
        "+12125550101",
        "Done! Fri Nov 27 10:30am is held for you at Bright Smile Dental. "
        "The front desk will confirm it soon.",
    )
    openings = OpeningRepository(aws.client("dynamodb"), aws.table)
    still_open = openings.upcoming("bright-smile", RUN, RUN + timedelta(days=21))
    assert at("2026-11-27 10:30") not in [o.starts_at for o in still_open]
    requests = openings.requested_between("bright-smile", RUN, RUN + timedelta(days=1))
    assert [(r.patient_id, r.opening.starts_at, r.reply_id) for r in requests] == [
        ("P-1", at("2026-11-27 10:30"), "in-2")
    ]
    [event] = [e for e in events[0]["read"]() if "detail" in e]
    assert event["detail-type"] == "Booking Requested"
    assert event["detail"] == {
        "practice_id": "bright-smile", "patient_id": "P-1",
        "starts_at": "2026-11-27T15:30:00Z", "provider": "Dr. Ruiz", "category": "hygiene",
        "reply_id": "in-2", "requested_at": "2026-11-24T15:00:00Z",
    }  # fmt: skip
    [handoff] = handoffs(aws)
    assert (handoff.reason, handoff.team) == (HandoffReason.BOOKING_REQUEST, Team.FRONT_DESK)
    email = sent_emails()[-1]
    assert email.destinations["ToAddresses"] == ["frontdesk@reactivation.test"]
    assert "Time: Fri Nov 27 10:30am with Dr. Ruiz" in email.body
    # delivered again: nothing more is sent, held or requested
    before = (len(sent_sms()), len(sent_emails()))
    assert post(inbound, json.dumps(answer)) == (200, {"handled": "duplicate"})
    assert (len(sent_sms()), len(sent_emails())) == before


def test_a_time_another_patient_took_first_is_offered_again_from_what_is_open(
    aws: Aws, inbound: Handler
) -> None:
    publish_openings(aws)
    post(inbound, json.dumps(envelope(aws, "yes")))  # offered Thu 9:00, Fri 10:30, Tue 9:30
    standing = (
        RecipientRepository(aws.client("dynamodb"), aws.table)
        .read("bright-smile", "+12125550101")
        .offer
    )
    assert standing is not None
    opening = standing.openings[0]
    repository = OpeningRepository(aws.client("dynamodb"), aws.table)
    assert repository.hold("bright-smile", opening, "P-9", RUN)  # someone else, just before
    post(inbound, json.dumps(envelope(aws, "1", "in-2", Timestamp="2026-11-24T15:07:00.000Z")))
    assert sent_sms()[-1] == (
        "+12125550101",
        "Sorry, that time was just taken. Still open: 1) Thu Nov 26 3:00pm "
        "2) Fri Nov 27 10:30am 3) Tue Dec 1 9:30am. Reply 1, 2 or 3 to pick one.",
    )
    assert repository.requested_between("bright-smile", RUN, RUN + timedelta(days=1)) == []
    post(inbound, json.dumps(envelope(aws, "the first one", "in-3",
                                      Timestamp="2026-11-24T15:08:00.000Z")))  # fmt: skip
    [request] = repository.requested_between("bright-smile", RUN, RUN + timedelta(days=1))
    assert request.opening.starts_at == at("2026-11-26 15:00")


def test_after_stop_a_number_picks_nothing(aws: Aws, inbound: Handler) -> None:
    publish_openings(aws)
    post(inbound, json.dumps(envelope(aws, "yes")))
    post(inbound, json.dumps(envelope(aws, "STOP", "in-2", Timestamp="2026-11-24T15:06:00.000Z")))
    texts = len(sent_sms())
    post(inbound, json.dumps(envelope(aws, "2", "in-3", Timestamp="2026-11-24T15:07:00.000Z")))
    assert len(sent_sms()) == texts  # opted out: no answer, no hold
    repository = OpeningRepository(aws.client("dynamodb"), aws.table)
    assert repository.requested_between("bright-smile", RUN, RUN + timedelta(days=1)) == []


def test_without_openings_that_fit_a_yes_gets_the_booking_way_and_the_desk(
    aws: Aws, inbound: Handler
) -> None:
    publish_openings(aws, "start,provider,category\n2026-12-02T11:00,Dr. Ruiz,restorative\n")
    post(inbound, json.dumps(envelope(aws, "yes")))
    assert sent_sms()[-1][1].startswith("Great! Bright Smile Dental will text or call you")
    assert [h.reason for h in handoffs(aws)] == [HandoffReason.BOOKING]


def test_a_failed_staff_email_is_sent_by_the_next_delivery_and_the_text_is_not_sent_again(
    aws: Aws, inbound: Handler, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    from reactivation.adapters.channels import SesEmail

    real = SesEmail.send

    def throttled(self: SesEmail, **kwargs: Any) -> str:
        monkeypatch.setattr(SesEmail, "send", real)  # once
        raise ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "SendEmail")

    monkeypatch.setattr(SesEmail, "send", throttled)
    body = json.dumps(envelope(aws, "Hi, is it normal that my gum is bleeding?"))
    with pytest.raises(ClientError):  # a 5xx: SNS delivers it again
        post(inbound, body)
    assert len(sent_sms()) == 1 and sent_emails() == [] and handoffs(aws) == []
    assert post(inbound, body) == (200, {"handled": "routed"})
    assert len(sent_sms()) == 1  # the patient's answer went with the first delivery
    assert len(sent_emails()) == 1 and len(handoffs(aws)) == 1


def test_a_delivery_that_died_answering_leaves_the_text_in_doubt_and_the_changes_are_written(
    aws: Aws, inbound: Handler, caplog: pytest.LogCaptureFixture
) -> None:
    # an earlier delivery of this STOP claimed its answer and died before writing anything
    recipients = RecipientRepository(aws.client("dynamodb"), aws.table)
    assert recipients.claim_answers("bright-smile", "+12125550101", "in-1", RUN)
    assert post(inbound, json.dumps(envelope(aws, "STOP"))) == (200, {"handled": "routed"})
    consent = ConsentRepository(aws.client("dynamodb"), aws.table)
    assert consent.opted_out("bright-smile", ["+12125550101"]) == {"+12125550101"}
    assert sent_sms() == []  # the confirmation may have gone: never twice
    assert "reply answers in doubt" in caplog.text
    # a claim given back (its send failed for sure) is taken again and answered
    assert not recipients.claim_answers("bright-smile", "+12125550101", "in-1", RUN)
    recipients.release_answers("bright-smile", "+12125550101", "in-1", [])
    assert recipients.claim_answers("bright-smile", "+12125550101", "in-1", RUN)


@pytest.mark.parametrize("text", ["do you have parking?", "no thanks, we found another dentist"])
def test_every_reply_marks_the_numbers_patients_as_having_answered(
    aws: Aws, inbound: Handler, text: str
) -> None:
    post(inbound, json.dumps(envelope(aws, text)))
    for patient_id in ("P-1", "P-2"):  # the family shares the number: no no-reply cooldown
        assert history(aws, patient_id).last_reply_at == at("2026-11-24 10:05")
