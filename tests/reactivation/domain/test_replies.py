"""The classifier's legal core: opt-out keywords and phrases always win; reactions never opt out."""

from datetime import date

import pytest

from reactivation.domain.conversation import Intent
from reactivation.domain.replies import classify, snooze_until


@pytest.mark.parametrize(
    "text",
    [
        "STOP", "stop.", "Stop!!!", "Stopp", "STOPALL", "Unsubscribe", "CANCEL", "end", "QUIT",
        "revoke", "OPT OUT", "opt-out", "optout", "REMOVE", "arret", "TD", "ALTO", "parar",
        "cancelar", "BAJA", "stop 🛑", "  stop  ", "please stop texting me",
        "Take me off your list", "don't text me again", "no me escriban mas",
    ],
)  # fmt: skip
def test_opt_out(text: str) -> None:
    assert classify(text).intent is Intent.OPT_OUT


@pytest.mark.parametrize(
    "text",
    [
        "I need to cancel my appointment",
        "I'll stop by tomorrow",
        'Liked "Hi Ana, it\'s Bright Smile Dental. Reply STOP to opt out."',
        "Tuesday works",
    ],
)
def test_not_opt_out(text: str) -> None:
    assert classify(text).intent is not Intent.OPT_OUT


def test_start_and_yes_after_an_opt_out() -> None:
    assert classify("START").intent is Intent.OPT_IN
    assert classify("unstop").intent is Intent.OPT_IN
    assert classify("Yes", opted_out=True).intent is Intent.OPT_IN
    assert classify("Yes").intent is not Intent.OPT_IN


def test_help_and_questions_and_the_rest_go_to_a_human() -> None:
    assert classify("HELP").intent is Intent.HELP
    question = classify("what are your hours?")
    assert question.intent is Intent.QUESTION and question.notify_staff
    other = classify("🙂")
    assert other.intent is Intent.OTHER and other.notify_staff


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("my gum is bleeding", Intent.CLINICAL),
        ("is swelling normal after filler", Intent.CLINICAL),
        ("do I still need the biopsy", Intent.CLINICAL),
        ("my husband passed away last month", Intent.SENSITIVE),
        ("I've been going through a lot", Intent.SENSITIVE),
        ("you people overcharged me and were rude", Intent.COMPLAINT),
        ("worst experience", Intent.COMPLAINT),
        ("why was I charged", Intent.BILLING),
        ("do you take Delta Dental", Intent.BILLING),
        ("how much is a cleaning", Intent.BILLING),
        ("not right now", Intent.NOT_NOW),
        ("maybe after the holidays", Intent.NOT_NOW),
        ("busy this month, try me in March", Intent.NOT_NOW),
        ("no thanks", Intent.DECLINE),
        ("we moved to Denver", Intent.DECLINE),
        ("I found another dentist", Intent.DECLINE),
        ("don't need it anymore", Intent.DECLINE),
        ("wrong number", Intent.WRONG_NUMBER),
        ("no Maria here, you have the wrong person", Intent.WRONG_NUMBER),
        ("I'm her mom, she can do Tuesday", Intent.BOOK),
        ("YES", Intent.BOOK),
        ("2", Intent.BOOK),
        ("mornings", Intent.BOOK),
        ("Tuesday works", Intent.BOOK),
        ("can I come in next week", Intent.BOOK),
        ("I need to reschedule", Intent.BOOK),
        ("sí", Intent.BOOK),
        ("who is this", Intent.QUESTION),
        ("do you have parking", Intent.QUESTION),
        ("me duele la muela", Intent.CLINICAL),
        ("¿cuánto cuesta una limpieza?", Intent.BILLING),
        ("no gracias", Intent.DECLINE),
        ("número equivocado", Intent.WRONG_NUMBER),
    ],
)
def test_the_spec_examples(text: str, intent: Intent) -> None:
    assert classify(text).intent is intent


def test_a_handoff_beats_booking_and_an_opt_out_beats_everything() -> None:
    assert classify("can I come Tuesday, my tooth really hurts").intent is Intent.CLINICAL
    both = classify("you overcharged me, take me off your list")
    assert both.intent is Intent.OPT_OUT and both.notify_staff
    assert classify("STOP. wrong number").notify_staff


@pytest.mark.parametrize(
    ("text", "until"),
    [
        ("busy this month, try me in March", date(2027, 3, 1)),
        ("after the holidays", date(2027, 1, 5)),
        ("in 2 weeks", date(2026, 12, 8)),
        ("text me again in a few months", date(2027, 2, 24)),
        ("next month", date(2026, 12, 1)),
        ("en enero", date(2027, 1, 1)),
        ("not now", date(2027, 1, 23)),
    ],
)
def test_snooze_until_the_date_given_else_sixty_days(text: str, until: date) -> None:
    assert snooze_until(text, date(2026, 11, 24)) == until
