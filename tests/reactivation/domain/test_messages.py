"""The approved library: every SMS fits one message's bound, names the practice and opts out."""

import re

import pytest
from jinja2 import UndefinedError
from jinja2.exceptions import SecurityError

from reactivation.domain import sms
from reactivation.domain.messages import (
    ALLOWED_VARIABLES,
    MessageLibrary,
    MessageValues,
    format_phone,
)
from reactivation.domain.sequences import STEPS as SEQUENCE_STEPS
from reactivation.domain.types import Campaign, Language

LIBRARY = MessageLibrary.default()


def sequence_steps(campaign: Campaign) -> int:
    return SEQUENCE_STEPS[campaign]


#: The longest realistic values: a long first name and practice name, a long booking link.
LONGEST = MessageValues(
    first_name="Maximilianus",
    practice_name="Bright Smile Family Dental",
    practice_phone="(212) 555-0100",
    booking_link="https://book.example.com/bright-smile-dental",
)
STEPS = [
    (campaign, step, lang)
    for campaign in Campaign
    for step in range(1, sequence_steps(campaign) + 1)
    for lang in Language
]
DENIED = re.compile(r"botox|biopsy|implant|accutane|filler|cleaning|root canal|crown", re.I)


@pytest.mark.parametrize(("campaign", "step", "language"), STEPS)
def test_every_sms_fits_160_gsm7_characters_and_names_no_procedure(
    campaign: Campaign, step: int, language: Language
) -> None:
    for values in (LONGEST, MessageValues("Ana", "Bright Smile Dental", "(212) 555-0100")):
        text = LIBRARY.sms(campaign, step, language, values)
        assert len(text) <= sms.MAX_SMS_CHARACTERS, text
        assert sms.is_gsm7(text), text
        assert not DENIED.search(text)
        assert "{" not in text and "}" not in text


SYSTEM = ["opt_out_confirmation", "opt_in_confirmation", "help", "book_link", "handoff_ack"]


@pytest.mark.parametrize("kind", SYSTEM)
@pytest.mark.parametrize("language", list(Language))
def test_every_system_text_fits_one_gsm7_message(kind: str, language: Language) -> None:
    for values in (LONGEST, MessageValues("Ana", "Bright Smile Dental", "(212) 555-0100")):
        text = LIBRARY.system_sms(kind, language, values)
        assert len(text) <= sms.MAX_SMS_CHARACTERS and sms.is_gsm7(text), text
        assert values.practice_name in text or kind == "book_link"


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("campaign", list(Campaign))
def test_the_first_message_names_the_practice_and_how_to_opt_out(
    campaign: Campaign, language: Language
) -> None:
    text = LIBRARY.sms(campaign, 1, language, LONGEST)
    assert LONGEST.practice_name in text
    assert "STOP" in text


@pytest.mark.parametrize(("campaign", "step", "language"), STEPS)
def test_every_step_has_an_email(campaign: Campaign, step: int, language: Language) -> None:
    email = LIBRARY.email(campaign, step, language, LONGEST)
    assert email.subject and email.text and "<html" in email.html
    assert not DENIED.search(email.subject + email.text)


def test_email_has_subject_text_and_escaped_html() -> None:
    values = MessageValues("<Ana>", "Bright & Co", "(212) 555-0100", booking_link=None)
    email = LIBRARY.email(Campaign.RECALL_DUE, 1, Language.EN, values)
    assert "Bright & Co" in email.subject
    assert "&lt;Ana&gt;" in email.html and "<Ana>" not in email.html
    assert "Hi <Ana>," in email.text
    assert "pick a time" not in email.text  # no booking link, no empty promise


def test_templates_use_only_the_allowed_variables() -> None:
    used = set()
    for _name, source in LIBRARY.templates():
        used |= set(re.findall(r"{{\s*(\w+)", source)) | set(re.findall(r"{%\s*if\s+(\w+)", source))
    assert used <= ALLOWED_VARIABLES


def test_unknown_variables_and_unsafe_templates_are_refused() -> None:
    library = MessageLibrary.from_toml(
        '[recall_due.1.en]\nsms = "Hi {{ last_name }}"\n'
        '[recall_due.2.en]\nsms = "{{ first_name.__class__.__mro__ }}"\n'
    )
    with pytest.raises(UndefinedError):
        library.sms(Campaign.RECALL_DUE, 1, Language.EN, LONGEST)
    with pytest.raises(SecurityError):
        library.sms(Campaign.RECALL_DUE, 2, Language.EN, LONGEST)


def test_a_missing_language_falls_back_to_english() -> None:
    library = MessageLibrary.from_toml('[recall_due.1.en]\nsms = "Hi {{ first_name }}"\n')
    assert library.sms(Campaign.RECALL_DUE, 1, Language.ES, LONGEST) == "Hi Maximilianus"


def test_format_phone() -> None:
    assert format_phone("+12125550100") == "(212) 555-0100"
    assert format_phone("+442071838750") == "+442071838750"


def test_only_campaigns_with_every_step_written_are_sendable() -> None:
    assert LIBRARY.campaigns() == set(Campaign)
    partial = MessageLibrary.from_toml('[missed_appointment.1.en]\nsms = "Hi"\n')
    assert partial.campaigns() == frozenset()  # step 2 is missing


def test_help_says_who_how_often_what_it_costs_and_how_to_stop() -> None:
    values = MessageValues("", "Bright Smile Dental", "(212) 555-0100")
    assert LIBRARY.system_sms("help", Language.EN, values) == (
        "Bright Smile Dental: call (212) 555-0100. Up to 4 msgs/month. Msg&data rates may apply. "
        "Reply STOP to opt out."
    )
    spanish = LIBRARY.system_sms("help", Language.ES, values)
    assert "(212) 555-0100" in spanish and "4 msjs/mes" in spanish and "STOP" in spanish
