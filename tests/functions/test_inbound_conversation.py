"""Replies read in their conversation (replies.md, "In the conversation"), through the inbound
function against moto: a reply after each kind of last text sent, and what it changes (the
sequences, the handoffs, the texts and emails sent)."""

import json
from collections.abc import Callable
from typing import Any

import pytest

from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.recipients import RecipientRepository
from reactivation.domain.conversation import LastSent, Reading, SentKind
from reactivation.domain.handoffs import HandoffReason, Team
from reactivation.domain.outreach import NumberSend, Recipient
from tests.conftest import Aws
from tests.functions.helpers import sent_emails, sent_sms
from tests.functions.test_inbound import (
    RUN,
    Handler,
    envelope,
    family_in_recall,
    handoffs,
    history,
    post,
    publish_openings,
)

NUMBER = "+12125550101"


@pytest.fixture
def inbound(
    aws: Aws,
    load_function: Callable[[str], Handler],
    frozen_clock: Callable[[Any], None],
    frozen_wall_clock: Callable[[Any], None],
    monkeypatch: pytest.MonkeyPatch,
) -> Handler:
    """test_inbound's practice: a family of two on one number, both in a recall sequence."""
    return family_in_recall(aws, load_function, frozen_clock, frozen_wall_clock, monkeypatch)


def recipient(aws: Aws) -> Recipient:
    return RecipientRepository(aws.client("dynamodb"), aws.table).read("bright-smile", NUMBER)


def outreach_sent(aws: Aws, step: int = 1) -> None:
    """A campaign's step went to the number, recorded as the send service records it."""
    repository = RecipientRepository(aws.client("dynamodb"), aws.table)
    send = NumberSend(at=RUN, patient_id="P-1", job_id=f"J-{step}")
    last = LastSent(kind=SentKind.OUTREACH, at=RUN, patient_id="P-1", sequence_id="S-1", step=step)
    writes = repository.take_slot(recipient(aws), "bright-smile", send, last)
    aws.client("dynamodb").transact_write_items(TransactItems=writes)


def reply(aws: Aws, inbound: Handler, body: str, number: int) -> None:
    """The patient's `number`th text (each a minute after the last)."""
    stamp = f"2026-11-24T15:{5 + number:02d}:00.000Z"
    message = envelope(aws, body, f"in-{number}", Timestamp=stamp)
    assert post(inbound, json.dumps(message)) == (200, {"handled": "routed"})


def stored(aws: Aws, message_id: str) -> dict[str, Any]:
    """The stored reply, as its item says."""
    items = aws.client("dynamodb").scan(
        TableName=aws.table,
        FilterExpression="kind = :reply AND inbound_message_id = :id",
        ExpressionAttributeValues={":reply": {"S": "reply"}, ":id": {"S": message_id}},
    )["Items"]
    [item] = items
    return {
        "intent": item["intent"]["S"],
        "notify_staff": item["notify_staff"]["BOOL"],
        "reading": item["reading"]["S"] if "reading" in item else None,
    }


def state(aws: Aws, patient_id: str = "P-1") -> Any:
    """The patient's state but the time of their latest reply (every reply, a thanks too,
    is kept as one: no no-reply cooldown follows it)."""
    return history(aws, patient_id).model_copy(update={"last_reply_at": None})


def everything_sent() -> tuple[int, int]:
    return len(sent_sms()), len(sent_emails())


@pytest.mark.parametrize("thanks", ["Thanks!", "👍", "ok thanks", "Muchas gracias 🙏"])
def test_thanks_after_a_held_time_changes_nothing_and_notifies_nobody(
    aws: Aws, inbound: Handler, thanks: str
) -> None:
    publish_openings(aws)
    reply(aws, inbound, "yes please", 1)
    assert recipient(aws).last_sent == LastSent(kind=SentKind.OFFER, at=RUN, patient_id="P-1")
    reply(aws, inbound, "2", 2)  # picks the second time: held, the front desk is told
    last = recipient(aws).last_sent
    assert last is not None and last.kind is SentKind.CONFIRMATION
    before = (everything_sent(), handoffs(aws), state(aws), state(aws, "P-2"))
    reply(aws, inbound, thanks, 3)
    assert (everything_sent(), handoffs(aws), state(aws), state(aws, "P-2")) == before
    assert stored(aws, "in-3") == {
        "intent": stored(aws, "in-3")["intent"], "notify_staff": False,
        "reading": Reading.ACKNOWLEDGEMENT.value,
    }  # fmt: skip


def test_ok_thanks_after_an_faq_answer_changes_nothing(aws: Aws, inbound: Handler) -> None:
    reply(aws, inbound, "what are your hours?", 1)  # answered from the practice's FAQ
    last = recipient(aws).last_sent
    assert last is not None and last.kind is SentKind.ANSWER
    before = (everything_sent(), handoffs(aws), state(aws), state(aws, "P-2"))
    reply(aws, inbound, "ok thanks", 2)
    assert (everything_sent(), handoffs(aws), state(aws), state(aws, "P-2")) == before
    assert stored(aws, "in-2")["reading"] == Reading.ACKNOWLEDGEMENT.value


@pytest.mark.parametrize("yes", ["👍", "ok", "Ok 👍"])
def test_a_plain_ok_right_after_an_outreach_message_is_a_yes(
    aws: Aws, inbound: Handler, yes: str
) -> None:
    outreach_sent(aws)
    publish_openings(aws)
    reply(aws, inbound, yes, 1)
    assert not history(aws).in_sequence  # ended like any book: the offer of times takes over
    [(to, text)] = sent_sms()
    assert to == NUMBER and text.startswith("Bright Smile Dental has 1) ")
    assert handoffs(aws) == [] and sent_emails() == []
    assert stored(aws, "in-1") == {"intent": "book", "notify_staff": False, "reading": "yes"}


@pytest.mark.parametrize(
    "tapback",
    [
        "Liked \"Hi Ana, it's Bright Smile Dental. You're due for your regular checkup visit.\"",
        'Reacted 👍 to "Hi Ana, it\'s Bright Smile Dental."',
        "Le gustó “Hola Ana, es Bright Smile Dental.”",
    ],
)
def test_a_tapback_right_after_an_outreach_message_lets_the_sequence_go_on(
    aws: Aws, inbound: Handler, tapback: str
) -> None:
    outreach_sent(aws)
    before = state(aws)
    assert before.in_sequence
    reply(aws, inbound, tapback, 1)
    assert state(aws) == before  # the sequence goes on
    assert history(aws).last_reply_at is not None  # a reply all the same
    assert everything_sent() == (0, 0) and handoffs(aws) == []
    assert stored(aws, "in-1")["reading"] == Reading.ACKNOWLEDGEMENT.value


def test_a_disliked_tapback_is_still_seen_by_a_person(aws: Aws, inbound: Handler) -> None:
    outreach_sent(aws)
    reply(aws, inbound, 'Disliked "Hi Ana, it\'s Bright Smile Dental."', 1)
    assert [h.reason for h in handoffs(aws)] == [HandoffReason.OTHER]


@pytest.mark.parametrize(
    "booked",
    ["Already booked", "I called and booked already, thx", "just booked online!",
     "Ya hice la cita, gracias", "Llamé y ya reservé para el 15"],
)  # fmt: skip
def test_already_booked_ends_the_sequence_and_gives_the_desk_a_booking_to_confirm(
    aws: Aws, inbound: Handler, booked: str
) -> None:
    outreach_sent(aws, step=2)
    reply(aws, inbound, booked, 1)
    for patient_id in ("P-1", "P-2"):  # the family shares the number: both sequences end
        assert not history(aws, patient_id).in_sequence
    [handoff] = handoffs(aws)
    assert (handoff.reason, handoff.team, handoff.urgent) == (
        HandoffReason.BOOKING_TO_CONFIRM, Team.FRONT_DESK, False
    )  # fmt: skip
    [email] = sent_emails()
    assert email.destinations["ToAddresses"] == ["frontdesk@reactivation.test"]
    assert "already booked" in email.body
    assert sent_sms() == []  # no offer of times, no text
    assert stored(aws, "in-1")["reading"] == Reading.ALREADY_BOOKED.value


def test_a_number_after_an_offer_picks_that_time(aws: Aws, inbound: Handler) -> None:
    publish_openings(aws)
    reply(aws, inbound, "yes", 1)
    reply(aws, inbound, "3", 2)
    assert sent_sms()[-1] == (
        NUMBER,
        "Done! Tue Dec 1 9:30am is held for you at Bright Smile Dental. "
        "The front desk will confirm it soon.",
    )
    assert stored(aws, "in-2")["reading"] == Reading.PICK.value


def test_after_stop_an_ok_is_heard_and_a_yes_resubscribes(aws: Aws, inbound: Handler) -> None:
    consent = ConsentRepository(aws.client("dynamodb"), aws.table)
    reply(aws, inbound, "STOP", 1)
    last = recipient(aws).last_sent
    assert last is not None and last.kind is SentKind.OPT_OUT_CONFIRMATION
    assert len(sent_sms()) == 1
    reply(aws, inbound, "ok", 2)  # "ok" to "You are unsubscribed": heard, not a resubscription
    assert consent.opted_out("bright-smile", [NUMBER]) == {NUMBER}
    assert everything_sent() == (1, 0)
    assert stored(aws, "in-2")["reading"] == Reading.ACKNOWLEDGEMENT.value
    reply(aws, inbound, "YES", 3)
    assert consent.opted_out("bright-smile", [NUMBER]) == set()
    assert sent_sms()[-1][1].startswith("You are subscribed again")
    assert stored(aws, "in-3")["intent"] == "opt_in"


def test_an_opt_out_always_opts_out_whatever_was_sent_last(aws: Aws, inbound: Handler) -> None:
    publish_openings(aws)
    reply(aws, inbound, "yes", 1)  # an offer of times stands
    reply(aws, inbound, "ok thanks but stop texting me", 2)
    consent = ConsentRepository(aws.client("dynamodb"), aws.table)
    assert consent.opted_out("bright-smile", [NUMBER]) == {NUMBER}


def test_not_now_is_answered_with_the_check_back_date_and_read_as_an_answer(
    aws: Aws, inbound: Handler
) -> None:
    outreach_sent(aws)
    reply(aws, inbound, "busy this month, try me in March", 1)
    assert sent_sms() == [
        (NUMBER, "No problem. Bright Smile Dental will check back with you around March 1. "
         "Reply STOP to opt out."),
    ]  # fmt: skip
    last = recipient(aws).last_sent
    assert last is not None and last.kind is SentKind.ANSWER
    reply(aws, inbound, "thank you!", 2)
    assert everything_sent() == (1, 0) and handoffs(aws) == []


def test_thanks_while_an_offer_stands_leaves_the_offer_and_tells_nobody(
    aws: Aws, inbound: Handler
) -> None:
    publish_openings(aws)
    reply(aws, inbound, "yes", 1)
    offer = recipient(aws).offer
    before = (everything_sent(), handoffs(aws))
    reply(aws, inbound, "ok thanks", 2)  # not a pick, not a second yes
    assert (everything_sent(), handoffs(aws)) == before
    assert recipient(aws).offer == offer  # still open to a pick
    reply(aws, inbound, "1", 3)
    assert sent_sms()[-1][1].startswith("Done! Thu Nov 26 9:00am is held for you")
