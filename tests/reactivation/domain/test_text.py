"""One way to fold a patient's text (case, accents, apostrophes, punctuation, repeated letters),
and every reader of reply text folds with it."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reactivation.domain import openings
from reactivation.domain.handoffs import faq_answer
from reactivation.domain.openings import choice, preference_from
from reactivation.domain.practice import FaqAnswer
from reactivation.domain.replies import classify
from reactivation.domain.text import fold, squeeze, words


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Miércoles", "miercoles"),
        ("MAÑANA", "manana"),
        ("Don\u2019t text me", "don't text me"),
        ("¿Sábado?", "¿sabado?"),  # punctuation is kept: a question mark means something
        ("ﬁne", "fine"),  # compatibility forms
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_words_drop_punctuation_and_squeeze_drops_repeats() -> None:
    assert words("¿Mañana, a las 9?") == ["manana", "a", "las", "9"]
    assert words("STOP!!! 🙏") == ["stop"]
    assert squeeze("stoooopp") == "stop"


@given(st.text(max_size=60))
def test_folding_twice_is_folding_once(text: str) -> None:
    assert fold(fold(text)) == fold(text)
    assert words(fold(text)) == words(text)


ACCENTED = [
    ("mañana por la mañana", "manana por la manana"),
    ("el miércoles", "el miercoles"),
    ("el sábado por la tarde", "el sabado por la tarde"),
    ("opción 2", "opcion 2"),
    ("STOP", "stop"),
    ("¿Cuánto cuesta?", "cuanto cuesta?"),
    ("Sí, el Miércoles", "si, el miercoles"),
]


@pytest.mark.parametrize(("accented", "plain"), ACCENTED)
def test_every_reader_reads_accents_and_case_alike(accented: str, plain: str) -> None:
    providers = ["Dra. Núñez", "Dr. Lee"]
    assert classify(accented) == classify(plain)
    assert preference_from(accented, providers) == preference_from(plain, providers)
    assert choice(accented, 3) == choice(plain, 3)


def test_a_provider_is_named_with_or_without_accents() -> None:
    for said in ("con la dra Núñez", "con la dra nunez", "CON LA DRA NUÑEZ"):
        assert preference_from(said, ["Dra. Núñez", "Dr. Lee"]).provider == "Dra. Núñez"


def test_spanish_days_and_mornings_with_accents() -> None:
    assert preference_from("Mañana por la MAÑANA").parts_of_day == {"morning"}
    assert preference_from("el Sábado").weekdays == {5}
    assert preference_from("after 5pm works").parts_of_day == {"evening"}
    assert choice("Opción 2", 3) == 2
    assert choice("the SECOND one!", 3) == 2


def test_the_word_lists_hold_folded_words_only_once() -> None:
    """The lists readers match against are written as the normaliser leaves words: an
    accented spelling beside a plain one would be dead (the old "manana"/"mañana")."""
    for table in (openings._WEEKDAYS, openings._PARTS, openings._ORDINALS):
        assert all(key == " ".join(words(key)) for key in table), table


def test_an_faq_question_matches_with_or_without_accents() -> None:
    faq = (FaqAnswer(question="¿Dónde están ubicados?", answer="Main St 1."),)
    assert faq_answer("donde estan ubicados", faq) == "Main St 1."
    assert faq_answer("DÓNDE ESTÁN UBICADOS?", faq) == "Main St 1."
