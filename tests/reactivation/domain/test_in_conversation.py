"""A reply read in its conversation (replies.md, "In the conversation"): a table of (last text
sent, reply) -> reading, the properties that hold whatever was sent last, and the detectors on
the reply corpus's train and dev writers (never its test writers)."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reactivation.domain.conversation import (
    Classification,
    Intent,
    LastSent,
    Offer,
    Opening,
    Reading,
    SentKind,
)
from reactivation.domain.handoffs import HandoffReason
from reactivation.domain.in_conversation import (
    already_booked,
    check_back_words,
    is_acknowledgement,
    is_plain_yes,
    is_tapback,
    read_in_conversation,
    sent_kind,
)
from reactivation.domain.messages import MessageLibrary, MessageValues
from reactivation.domain.replies import classify
from reactivation.domain.reply_plan import ReplyPlan, plan_reply
from reactivation.domain.types import Campaign, Language
from reactivation_tools.corpus import load

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[3]

OUTREACH, OFFER, CONFIRMATION, ANSWER, OPT_OUT_CONF = (
    SentKind.OUTREACH, SentKind.OFFER, SentKind.CONFIRMATION, SentKind.ANSWER,
    SentKind.OPT_OUT_CONFIRMATION,
)  # fmt: skip
ACK, YES, PICK, BOOKED, AS_IS, OPT_IN = (
    Reading.ACKNOWLEDGEMENT, Reading.YES, Reading.PICK, Reading.ALREADY_BOOKED,
    Reading.AS_CLASSIFIED, Reading.OPT_IN,
)  # fmt: skip
TAPBACK = 'Liked "Hi Ana, it\'s Bright Smile Dental. Reply YES to book."'
OFFERED = Offer(
    patient_id="P-1",
    openings=tuple(Opening(starts_at=NOW + timedelta(days=d)) for d in (2, 3, 4)),
    offered_at=NOW,
)


def sent(kind: SentKind | None, at: datetime = NOW) -> LastSent | None:
    return None if kind is None else LastSent(kind=kind, at=at, patient_id="P-1")


def read(
    kind: SentKind | None,
    text: str,
    intent: Intent,
    notify: bool = False,
    opted_out: bool = False,
    offer: Offer | None = None,
) -> tuple[Intent, Reading]:
    found = read_in_conversation(
        Classification(intent=intent, notify_staff=notify), text, sent(kind),
        opted_out=opted_out, offer=offer, now=NOW,
    )  # fmt: skip
    return found.intent, found.reading


# (last sent, text, the classifier's intent) -> (the intent acted on, the reading)
TABLE = [
    # after a confirmation or an answer, an acknowledgement changes nothing
    (CONFIRMATION, "Thanks!", Intent.OTHER, (Intent.OTHER, ACK)),
    (CONFIRMATION, "👍", Intent.OTHER, (Intent.OTHER, ACK)),
    (CONFIRMATION, "ok", Intent.BOOK, (Intent.BOOK, ACK)),
    (CONFIRMATION, "yes", Intent.BOOK, (Intent.BOOK, ACK)),  # not a second offer of times
    (CONFIRMATION, TAPBACK, Intent.OTHER, (Intent.OTHER, ACK)),
    (ANSWER, "ok thanks", Intent.OTHER, (Intent.OTHER, ACK)),
    (ANSWER, "Muchas gracias 🙏", Intent.OTHER, (Intent.OTHER, ACK)),
    (ANSWER, "got it, thank you!", Intent.OTHER, (Intent.OTHER, ACK)),
    (ANSWER, "yes", Intent.BOOK, (Intent.BOOK, AS_IS)),  # after an FAQ's answer: a yes
    (OFFER, "thanks", Intent.OTHER, (Intent.OTHER, ACK)),
    (OPT_OUT_CONF, "thank you", Intent.OTHER, (Intent.OTHER, ACK)),
    # right after an outreach message: a plain ok is a yes, a thanks or a tapback is heard
    (OUTREACH, "ok", Intent.BOOK, (Intent.BOOK, YES)),
    (OUTREACH, "👍", Intent.OTHER, (Intent.BOOK, YES)),
    (OUTREACH, "Ok 👍🏽", Intent.OTHER, (Intent.BOOK, YES)),
    (OUTREACH, "ok thanks", Intent.OTHER, (Intent.OTHER, ACK)),
    (OUTREACH, "Thank you!", Intent.OTHER, (Intent.OTHER, ACK)),
    (OUTREACH, TAPBACK, Intent.OTHER, (Intent.OTHER, ACK)),
    (OUTREACH, 'Disliked "Hi Ana ..."', Intent.OTHER, (Intent.OTHER, AS_IS)),
    (OUTREACH, 'Questioned "Hi Ana ..."', Intent.OTHER, (Intent.OTHER, AS_IS)),
    (OUTREACH, "🤔", Intent.OTHER, (Intent.OTHER, AS_IS)),
    (OUTREACH, "lol", Intent.OTHER, (Intent.OTHER, AS_IS)),
    # "already booked", in any conversation
    (OUTREACH, "Already booked", Intent.BOOK, (Intent.BOOK, BOOKED)),
    (OUTREACH, "I called and booked", Intent.OTHER, (Intent.BOOK, BOOKED)),
    (None, "just booked online", Intent.BOOK, (Intent.BOOK, BOOKED)),
    (ANSWER, "Ya hice la cita, gracias", Intent.OTHER, (Intent.BOOK, BOOKED)),
    (OUTREACH, "already booked, no thanks", Intent.DECLINE, (Intent.BOOK, BOOKED)),
    (OUTREACH, "I booked with another dentist", Intent.DECLINE, (Intent.DECLINE, AS_IS)),
    (OUTREACH, "already booked but my tooth hurts", Intent.CLINICAL, (Intent.CLINICAL, AS_IS)),
    # nothing sent that we know of: the text alone
    (None, "thanks", Intent.OTHER, (Intent.OTHER, AS_IS)),
    (None, "ok", Intent.BOOK, (Intent.BOOK, AS_IS)),
    # what a person must see is never read away
    (CONFIRMATION, "thanks, it hurts though", Intent.CLINICAL, (Intent.CLINICAL, AS_IS)),
    (ANSWER, "ok", Intent.HELP, (Intent.HELP, AS_IS)),
]


@pytest.mark.parametrize(("kind", "text", "intent", "expected"), TABLE)
def test_the_reading_of_a_reply_after_each_kind_of_text(
    kind: SentKind | None, text: str, intent: Intent, expected: tuple[Intent, Reading]
) -> None:
    assert read(kind, text, intent) == expected


def test_an_acknowledgement_notifies_nobody() -> None:
    found = read_in_conversation(
        Classification(intent=Intent.OTHER, notify_staff=True), "thanks!", sent(CONFIRMATION),
        opted_out=False,
    )  # fmt: skip
    assert (found.reading, found.notify_staff) == (ACK, False)


def test_already_booked_is_seen_by_the_front_desk() -> None:
    found = read_in_conversation(
        Classification(intent=Intent.BOOK, notify_staff=False), "Already booked online",
        sent(OUTREACH), opted_out=False,
    )  # fmt: skip
    assert (found.reading, found.notify_staff) == (BOOKED, True)


def test_a_number_while_an_offer_stands_picks_that_time() -> None:
    assert read(OFFER, "2", Intent.BOOK, offer=OFFERED) == (Intent.BOOK, PICK)
    assert read(OFFER, "the second one", Intent.OTHER, offer=OFFERED) == (Intent.BOOK, PICK)
    # after an answer to a question asked meanwhile, the offer still stands
    assert read(ANSWER, "3", Intent.BOOK, offer=OFFERED) == (Intent.BOOK, PICK)
    assert read(OFFER, "4", Intent.BOOK, offer=OFFERED) == (Intent.BOOK, AS_IS)  # not offered
    assert read(OFFER, "2", Intent.BOOK) == (Intent.BOOK, AS_IS)  # no offer stands
    expired = read_in_conversation(
        Classification(intent=Intent.BOOK, notify_staff=False), "2", sent(OFFER),
        opted_out=False, offer=OFFERED, now=NOW + timedelta(days=5),
    )  # fmt: skip
    assert expired.reading is AS_IS
    # an outreach message sent after the offer: "2" no longer answers it
    later = read_in_conversation(
        Classification(intent=Intent.BOOK, notify_staff=False), "2",
        sent(OUTREACH, NOW + timedelta(hours=1)), opted_out=False, offer=OFFERED,
        now=NOW + timedelta(hours=2),
    )  # fmt: skip
    assert later.reading is AS_IS
    assert read(OFFER, "2", Intent.BOOK, opted_out=True, offer=OFFERED)[1] is AS_IS


def test_a_yes_after_the_opt_out_confirmation_is_an_opt_in_and_an_ok_is_heard() -> None:
    # the classifier reads a bare YES (and an "ok") to an opted-out number as opt_in
    assert read(OPT_OUT_CONF, "YES", Intent.OPT_IN, opted_out=True) == (Intent.OPT_IN, AS_IS)
    assert read(OPT_OUT_CONF, "START", Intent.OPT_IN, opted_out=True) == (Intent.OPT_IN, AS_IS)
    assert read(OPT_OUT_CONF, "ok", Intent.OPT_IN, opted_out=True) == (Intent.OTHER, ACK)
    assert read(None, "okay", Intent.OPT_IN, opted_out=True) == (Intent.OTHER, ACK)
    resume = read(OPT_OUT_CONF, "please send me the reminders again", Intent.OPT_IN, opted_out=True)
    assert resume == (Intent.OPT_IN, AS_IS)  # a resubscription in words is one
    # the confirmation was the last text but the number is in (a staff's opt-in meanwhile)
    assert read(OPT_OUT_CONF, "yes", Intent.BOOK) == (Intent.OPT_IN, OPT_IN)
    assert read(CONFIRMATION, "yes", Intent.BOOK)[0] is Intent.BOOK
    # opted out since the last outreach message (a staff's or the carrier's opt-out): a
    # thumbs-up is heard, never a yes that books
    assert read(OUTREACH, "👍", Intent.OTHER, opted_out=True) == (Intent.OTHER, ACK)


def test_each_system_text_is_a_kind_of_last_text() -> None:
    assert sent_kind("opt_out_confirmation") is OPT_OUT_CONF
    assert sent_kind("booking_held") is CONFIRMATION
    assert sent_kind("opt_in_confirmation") is CONFIRMATION
    assert sent_kind("offer_times") is sent_kind("time_taken") is OFFER
    for answer in ("help", "handoff_ack", "not_now_ack", "book_link", "faq"):
        assert sent_kind(answer) is ANSWER


KINDS = st.sampled_from([None, *SentKind])
OFFERS = st.sampled_from([None, OFFERED])


@given(KINDS, st.text(max_size=30), st.sampled_from(list(Intent)), st.booleans(), OFFERS)
def test_an_opt_out_always_opts_out_whatever_was_sent_last(
    kind: SentKind | None, text: str, intent: Intent, opted_out: bool, offer: Offer | None
) -> None:
    assert read(kind, text, Intent.OPT_OUT, opted_out=opted_out, offer=offer) == (
        Intent.OPT_OUT, AS_IS
    )  # fmt: skip


@pytest.mark.parametrize("kind", [None, *SentKind])
@pytest.mark.parametrize("text", ["STOP", "stop", "Stop!!", "unsubscribe", "ALTO", "baja", "END"])
def test_an_opt_out_keyword_opts_out_in_every_conversation(
    kind: SentKind | None, text: str
) -> None:
    for opted_out in (False, True):
        classification = classify(text, opted_out=opted_out)
        found = read_in_conversation(
            classification, text, sent(kind), opted_out=opted_out, offer=OFFERED, now=NOW
        )
        assert found.intent is Intent.OPT_OUT


@given(
    KINDS,
    st.text(max_size=30),
    st.sampled_from([Intent.CLINICAL, Intent.SENSITIVE, Intent.COMPLAINT, Intent.BILLING,
                     Intent.WRONG_NUMBER]),
    st.booleans(),
    OFFERS,
)  # fmt: skip
def test_what_a_person_must_see_is_never_read_away(
    kind: SentKind | None, text: str, intent: Intent, opted_out: bool, offer: Offer | None
) -> None:
    assert read(kind, text, intent, notify=True, opted_out=opted_out, offer=offer) == (
        intent, AS_IS
    )  # fmt: skip


@given(
    KINDS,
    st.sampled_from(["thanks", "Thank you!", "ok thanks", "🙏", "got it", "gracias", TAPBACK,
                     "Perfect, thanks 😊", "ok", "👍"]),
    st.sampled_from([Intent.OTHER, Intent.BOOK, Intent.QUESTION]),
    st.booleans(),
)  # fmt: skip
def test_an_acknowledgement_never_changes_a_sequence_or_notifies_anyone(
    kind: SentKind | None, text: str, intent: Intent, opted_out: bool
) -> None:
    found = read_in_conversation(
        Classification(intent=intent, notify_staff=True), text, sent(kind), opted_out=opted_out,
    )  # fmt: skip
    if found.reading is not ACK:
        return  # not read as one here (right after outreach a plain ok is a yes)
    assert not found.notify_staff
    family = [("P-1", Campaign.RECALL_DUE), ("P-2", None)]
    for patients in (family, []):
        plan = plan_reply(
            found.intent, found.notify_staff, text, patients, number="+12125550101",
            today=date(2026, 11, 24), opted_out=opted_out, later_consent_change=False,
            reading=found.reading,
        )  # fmt: skip
        assert plan == ReplyPlan()  # no change, no answer, no handoff


def test_already_booked_ends_every_sequence_for_the_front_desk_to_confirm() -> None:
    plan = plan_reply(
        Intent.BOOK, True, "Already booked", [("P-1", Campaign.RECALL_DUE), ("P-2", None)],
        number="+12125550101", today=date(2026, 11, 24), opted_out=False,
        later_consent_change=False, reading=BOOKED,
    )  # fmt: skip
    assert [(c.patient_id, c.stop) for c in plan.changes] == [("P-1", "already_booked"),
                                                              ("P-2", None)]  # fmt: skip
    assert plan.handoff is HandoffReason.BOOKING_TO_CONFIRM
    assert plan.answer is None and plan.offer is None


def test_not_now_is_answered_with_when_the_practice_checks_back() -> None:
    plan = plan_reply(
        Intent.NOT_NOW, False, "busy, try me in March", [("P-1", Campaign.RECALL_DUE)],
        number="+12125550101", today=date(2026, 11, 24), opted_out=False,
        later_consent_change=False,
    )  # fmt: skip
    assert (plan.answer, plan.check_back) == ("not_now_ack", date(2027, 3, 1))
    quiet = plan_reply(
        Intent.NOT_NOW, False, "not now", [("P-1", None)], number="+12125550101",
        today=date(2026, 11, 24), opted_out=True, later_consent_change=False,
    )  # fmt: skip
    assert quiet.answer is None  # no text to an opted-out number


def test_the_not_now_answer_in_english_and_spanish() -> None:
    library = MessageLibrary.default()
    day = date(2027, 3, 1)
    for language, words, expected in (
        (Language.EN, "March 1", "No problem. Bright Smile will check back with you around "
                                 "March 1. Reply STOP to opt out."),
        (Language.ES, "1 de marzo", "Entendido. Le escribiremos de Bright Smile alrededor del "
                                    "1 de marzo. Responda STOP para darse de baja."),
    ):  # fmt: skip
        assert check_back_words(day, language) == words
        values = MessageValues(first_name="", practice_name="Bright Smile",
                               practice_phone="(212) 555-0100", check_back=words)  # fmt: skip
        assert library.system_sms("not_now_ack", language, values) == expected


@pytest.mark.parametrize(
    "text",
    ["thanks", "Thanks!!", "ty", "thank you so much", "ok", "OK thanks", "k", "👍", "👍🏾", "🙏",
     "Gracias", "muchas gracias!", "ok gracias", "perfecto, gracias", "got it", "sounds good",
     "Great, thanks 😊", "Noted, thank you"],
)  # fmt: skip
def test_acknowledgements(text: str) -> None:
    assert is_acknowledgement(text)


@pytest.mark.parametrize(
    "text",
    ["no thanks", "thanks but no", "ok stop", "STOP", "thanks, stop texting me", "lol",
     "wow. ok then.", "Cool story.", "🤔", "😡", "👎", "ok, is it normal to bleed?",
     "thanks, when are you open?", "yes", "ok what times?", "", "?"],
)  # fmt: skip
def test_not_acknowledgements(text: str) -> None:
    assert not is_acknowledgement(text)


def test_a_plain_ok_and_the_approving_tapbacks() -> None:
    assert all(is_plain_yes(t) for t in ("ok", "Ok!", "👍", "ok 👍", "okay", "K", "vale"))
    assert not any(is_plain_yes(t) for t in ("ok thanks", "yes", "🙏", "ok stop", ""))
    assert is_tapback(TAPBACK) and is_tapback('Reacted 👍 to "Hi"') and is_tapback('Loved "Hi"')
    assert is_tapback("Le encantó “Hola Ana”")
    assert not any(is_tapback(t) for t in ('Disliked "Hi"', 'Questioned "Hi"',
                                           'Reacted 😡 to "Hi"', "Liked it", "thanks"))  # fmt: skip


@pytest.mark.parametrize(
    "text",
    ["Already booked", "already booked!", "I called and booked", "just booked online",
     "Booked online yesterday", "I already scheduled, thanks", "Called this morning and booked",
     "already called n booked it", "Ya hice la cita", "ya tengo cita", "Ya agendé",
     "Llamé y ya reservé para el 15", "ya reservé en línea"],
)  # fmt: skip
def test_already_booked(text: str) -> None:
    assert already_booked(text)


@pytest.mark.parametrize(
    "text",
    ["Book me please", "just book me in", "can I book online?", "I haven't booked yet",
     "not booked yet", "I booked with another dentist", "already booked somewhere else",
     "I called to cancel", "nobody called me back", "I already have a dentist",
     "did I already book?", "Booked online, showed up, and you had no record of it",
     "ya tengo cita con otro dentista", "ya book me", "Ya quiero cita", "I need to reschedule"],
)  # fmt: skip
def test_not_already_booked(text: str) -> None:
    assert not already_booked(text)


#: What must never be read away as an acknowledgement or an "already booked".
MUST_BE_SEEN = frozenset(
    {"opt_out", "clinical", "complaint", "sensitive", "billing", "wrong_number", "decline",
     "not_now", "question", "help", "opt_in"}
)  # fmt: skip


@pytest.mark.parametrize("part", ["train", "dev"])  # never the test writers
def test_on_the_corpus_no_reply_that_must_be_seen_is_read_away(part: str) -> None:
    replies = load(ROOT / "corpus" / "replies", part)
    read_away = [
        (r.intent, r.text)
        for r in replies
        if r.intent in MUST_BE_SEEN
        and (is_acknowledgement(r.text) or is_tapback(r.text) or already_booked(r.text))
    ]
    assert read_away == []
    # and the replies its writers wrote as "already booked" are read as such
    said_booked = [r for r in replies if r.intent == "book" and already_booked(r.text)]
    assert said_booked, part


@pytest.mark.parametrize("part", ["train", "dev"])  # never the test writers
def test_on_the_corpus_the_classifier_and_the_conversation_never_read_away_what_must_be_seen(
    part: str,
) -> None:
    """The whole reading, whatever was sent last: none of these is an acknowledgement, a yes
    read from a thumbs-up, or an "already booked" (even where the classifier erred)."""
    read_away = []
    for r in load(ROOT / "corpus" / "replies", part):
        if r.intent not in MUST_BE_SEEN:
            continue
        classification = classify(r.text, opted_out=r.opted_out)
        for kind in (None, *SentKind):
            found = read_in_conversation(classification, r.text, sent(kind),
                                         opted_out=r.opted_out)  # fmt: skip
            if found.reading in (ACK, YES, BOOKED):
                read_away.append((r.id, kind, found.reading))
    assert read_away == []
