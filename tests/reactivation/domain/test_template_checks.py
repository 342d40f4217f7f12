"""The template lint: the shipped library passes in both languages; each kind of bad
override is refused with a reason that says what to change."""

import pytest

from reactivation.domain.messages import MessageLibrary
from reactivation.domain.practice import MessageOverride
from reactivation.domain.template_checks import (
    check_all,
    check_practice,
    check_template,
    denied_terms,
)
from reactivation.domain.types import Language
from tests.builders import make_practice

LIBRARY = MessageLibrary.default()


def test_the_shipped_library_passes_every_check_in_both_languages() -> None:
    templates = LIBRARY.templates()
    languages = {key.split(".")[-2 if key.endswith(("sms", "subject", "text")) else -1]
                 for key, _ in templates}  # fmt: skip
    assert languages == {language.value for language in Language}
    assert len(templates) > 200
    assert check_all(templates) == []


GOOD = "Hi {{ first_name }}, it's {{ practice_name }}. Time for a visit. Reply STOP to opt out."


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("Hi {{ first_name }} {{ last_name }}. Reply STOP to opt out.",
         "uses last_name: a message may only use booking_link, check_back, choices, first_name, "
         "offered_times, practice_name, practice_phone"),
        ("Hi {{ first_name }}, time for your Botox touch-up. Reply STOP to opt out.",
         "names a diagnosis, procedure, drug or product (botox)"),
        ("Hola {{ first_name }}, le toca su limpieza. Responda STOP para darse de baja.",
         "names a diagnosis, procedure, drug or product (limpieza)"),
        ("Hi {{ first_name }}, your skin cancer check is due. Reply STOP to opt out.",
         "names a diagnosis, procedure, drug or product (cancer)"),
        ("Hi {{ first_name }}, it's {{ practice_name }}. You're due for a visit.",
         "is the first message of a sequence and lacks the opt-out line"),
        ("Hi {{ first_name }}, it's {{ practice_name }}. " + "We miss you! " * 8
         + "Reply STOP to opt out.",
         "is 176 characters with the longest realistic values (first name 'Maximilianus', "
         "practice 'Bright Smile Family Dental'); an SMS may have at most 160"),
        ("Hi {{ first_name }}, it\u2019s {{ practice_name }}. Reply STOP to opt out.",
         "has characters outside GSM-7: '\u2019' (U+2019)"),
        ("Hi {{ first_name }, Reply STOP to opt out.", "is not a valid template: unexpected '}'"),
        ("Hi {{ first_name.__class__ }}. Reply STOP to opt out.",
         "does something a message may not: access to attribute '__class__'"),
    ],
)  # fmt: skip
def test_each_kind_of_bad_sms_is_refused_with_its_reason(source: str, reason: str) -> None:
    problems = check_template("recall_due.1.en.sms", source, is_sms=True, first_message=True)
    assert len(problems) == 1, problems
    assert problems[0].reason.startswith(reason)
    assert str(problems[0]).startswith("recall_due.1.en.sms: ")


def test_a_good_sms_passes_and_an_intended_accent_is_allowed() -> None:
    assert check_template("k", GOOD, is_sms=True, first_message=True) == []
    emoji = GOOD.replace("Time", "Time 🙂")
    assert check_template("k", emoji, is_sms=True, allow_unicode=True, first_message=True) == []


def test_the_deny_list_ignores_accents_and_case_and_only_whole_words() -> None:
    assert denied_terms("Su DIAGNÓSTICO") == ["diagnostico"]
    assert denied_terms("a molecule, a crowning moment, a peeled orange") == []
    assert denied_terms("Laser hair removal") == ["hair removal", "laser"]


def test_a_practice_override_is_checked_with_its_own_name_and_only_for_library_keys() -> None:
    long_name = "The Very Long Named Family & Cosmetic Dental Studio"
    practice = make_practice(name=long_name).model_copy(
        update={
            "message_overrides": {
                "recall_due.1.en.sms": MessageOverride(
                    text=GOOD + " We look forward to seeing you again at the practice!"),
                "recall_due.9.en.sms": MessageOverride(text=GOOD),
                "system.help.es": MessageOverride(text="{{ practice_name }}: llame al "
                                                  "{{ practice_phone }}. Mande STOP."),
            }
        }
    )  # fmt: skip
    problems = check_practice(practice, LIBRARY.keys())
    assert [(p.where, p.reason.split(" ")[0:2]) for p in problems] == [
        ("recall_due.9.en.sms", ["is", "not"]),
        ("recall_due.1.en.sms", ["is", "168"]),
    ]
    assert (
        check_practice(
            make_practice().model_copy(
                update={
                    "message_overrides": {
                        "recall_due.1.en.sms": practice.message_overrides["recall_due.1.en.sms"]
                    }
                }
            ),
            LIBRARY.keys(),
        )
        == []
    )  # the same text fits a practice with a shorter name


def test_overrides_replace_only_their_own_text() -> None:
    override = "Hi {{ first_name }}! {{ practice_name }} here. Reply STOP to opt out."
    library = LIBRARY.with_overrides({"recall_due.1.en.sms": override})
    from reactivation.domain.messages import MessageValues
    from reactivation.domain.types import Campaign

    values = MessageValues("Ana", "Bright Smile", "(212) 555-0100")
    assert library.sms(Campaign.RECALL_DUE, 1, Language.EN, values) == (
        "Hi Ana! Bright Smile here. Reply STOP to opt out."
    )
    assert library.sms(Campaign.RECALL_DUE, 1, Language.ES, values) == LIBRARY.sms(
        Campaign.RECALL_DUE, 1, Language.ES, values
    )
    assert LIBRARY.with_overrides({"recall_due.1.en.sms": override}) is library  # cached
