"""The classifier's legal core: opt-out keywords and phrases always win; reactions never opt out."""

import pytest

from reactivation.domain.models import Intent
from reactivation.domain.replies import classify


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


def test_help_and_the_rest_goes_to_a_human() -> None:
    assert classify("HELP").intent is Intent.HELP
    other = classify("what are your hours?")
    assert other.intent is Intent.OTHER and other.notify_staff
