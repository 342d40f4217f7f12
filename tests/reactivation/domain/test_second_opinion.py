"""The second opinion's pure part (domain/second_opinion.py): which readings are unsure, the
prompt, the strict parsing of an answer, and the merge that only moves toward caution."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reactivation.domain.conversation import WITH_BARRIER, Classification, Intent
from reactivation.domain.replies import HANDOFFS, classify, read
from reactivation.domain.second_opinion import (
    ACTIONS,
    CAUTIOUS,
    MEANINGS,
    SYSTEM_PROMPT,
    Doubt,
    classify_with,
    doubt,
    merge,
    parse,
    prompt,
)
from tests.reactivation.domain.test_replies_caution import Chances


def _ask(answer: Intent | None, asked: list[str]) -> Callable[[str], Intent | None]:
    def ask(text: str) -> Intent | None:
        asked.append(text)
        return answer

    return ask


# --- which readings are unsure -----------------------------------------------------------


@pytest.mark.parametrize(
    ("chances", "expected"),
    [
        ({"book": 0.8, "opt_out": 0.15}, Doubt.OPT_OUT_GREY),
        ({"book": 0.8, "clinical": 0.15}, Doubt.HANDOFF_GREY),
        ({"book": 0.38, "decline": 0.32}, Doubt.UNSURE_ACTION),  # `other` for lack of confidence
        ({"book": 0.5, "not_now": 0.4}, Doubt.NARROW),
        ({"book": 0.9}, None),  # sure
        ({"book": 0.6, "decline": 0.05}, None),
    ],
)
def test_an_unsure_reading_is_named_from_the_model_s_chances(
    chances: dict[str, float], expected: Doubt | None
) -> None:
    local = read("sounds good maybe", model=Chances(**chances))
    assert doubt(local.classification, local.chances) is expected


@pytest.mark.parametrize("text", ["STOP", "start", "help", 'Liked "Hi Maria"', "👍"])
def test_the_deterministic_layer_is_never_second_guessed(text: str) -> None:
    local = read(text, model=Chances(book=0.3, opt_out=0.15))
    assert local.chances is None
    assert doubt(local.classification, local.chances) is None


def test_cautious_readings_are_not_sent() -> None:
    for intent in CAUTIOUS:
        reading = Classification(intent=intent, notify_staff=True)
        assert doubt(reading, {i.value: 1 / 13 for i in Intent}) is None


def test_read_gives_what_classify_gives() -> None:
    for text in ["I need to cancel my appointment", "stop texting me", "how much is it", "k"]:
        assert read(text).classification == classify(text)


# --- the prompt and the answer -----------------------------------------------------------


def test_the_prompt_names_every_intent_once_and_carries_only_the_text() -> None:
    assert set(MEANINGS) == set(Intent)
    for intent in Intent:
        assert SYSTEM_PROMPT.count(f"\n{intent.value}: ") == 1
    assert prompt("tues works") == "Reply:\n<<<\ntues works\n>>>\nIntent id:"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("opt_out", Intent.OPT_OUT),
        (" Clinical.\n", Intent.CLINICAL),
        ("`not_now`", Intent.NOT_NOW),
        ('"other"', Intent.OTHER),
        ("The intent is opt_out", None),
        ("opt_out, clinical", None),
        ("optout", None),
        ("", None),
        ("{}", None),
    ],
)
def test_an_answer_is_one_intent_id_or_ignored(answer: str, expected: Intent | None) -> None:
    assert parse(answer) is expected


# --- the merge: never away from caution --------------------------------------------------

_readings = st.builds(
    Classification,
    intent=st.sampled_from(Intent),
    notify_staff=st.booleans(),
    barrier=st.none() | st.sampled_from(["cost", "schedule", "fear"]),
)


@given(local=_readings, opinion=st.none() | st.sampled_from(Intent))
def test_a_second_opinion_never_moves_a_reading_away_from_caution(
    local: Classification, opinion: Intent | None
) -> None:
    merged = merge(local, opinion)
    assert merged.notify_staff or not local.notify_staff  # a person who saw it still does
    if merged.intent is local.intent:
        return
    assert local.intent not in CAUTIOUS  # an opt-out or a handoff is never changed
    assert merged.intent is not Intent.BOOK
    assert merged.notify_staff
    if merged.intent is Intent.OPT_OUT:
        assert opinion is Intent.OPT_OUT
    else:  # only an action is stopped, and only for a person: a handoff or `other`
        assert local.intent in ACTIONS
        assert merged.intent in {*HANDOFFS, Intent.OTHER}
        assert merged.intent is opinion or opinion not in HANDOFFS
    assert merged.barrier is None or merged.intent.value in WITH_BARRIER


@given(local=_readings)
def test_without_an_opinion_the_local_reading_stands(local: Classification) -> None:
    assert merge(local, None) == local


def test_an_opt_out_read_as_a_handoff_is_also_handed_to_staff() -> None:
    merged = merge(Classification(intent=Intent.OPT_OUT, notify_staff=False), Intent.SENSITIVE)
    assert merged == Classification(intent=Intent.OPT_OUT, notify_staff=True)


def test_a_booking_read_as_clinical_is_clinical() -> None:
    merged = merge(Classification(intent=Intent.BOOK, notify_staff=False), Intent.CLINICAL)
    assert merged == Classification(intent=Intent.CLINICAL, notify_staff=True)


def test_a_decline_read_as_a_booking_goes_to_a_person() -> None:
    local = Classification(intent=Intent.DECLINE, notify_staff=False, barrier="cost")
    assert merge(local, Intent.BOOK) == Classification(intent=Intent.OTHER, notify_staff=True)


# --- the whole reading -------------------------------------------------------------------


def test_only_an_unsure_reply_is_asked_and_the_answer_is_merged() -> None:
    asked: list[str] = []
    unsure = Chances(book=0.8, opt_out=0.15)
    merged = classify_with("ok sure", _ask(Intent.OPT_OUT, asked), model=unsure)
    assert merged == Classification(intent=Intent.OPT_OUT, notify_staff=True)
    assert asked == ["ok sure"]
    sure = Chances(book=0.95)
    local = classify("ok sure", model=sure)
    assert classify_with("ok sure", _ask(Intent.OPT_OUT, asked), model=sure) == local
    assert asked == ["ok sure"]


def test_no_answer_leaves_the_local_reading() -> None:
    unsure = Chances(book=0.5, not_now=0.4)
    local = classify("maybe tues", model=unsure)
    assert classify_with("maybe tues", _ask(None, []), model=unsure) == local
