"""How the classifier acts on the model's chances (replies.py): the deterministic layer first,
recall first for opt-outs, a plausible handoff never read as book, doubt left to a person.
The model is a stand-in here, so each rule is seen on its own."""

from __future__ import annotations

import pytest

from reactivation.domain.conversation import Intent
from reactivation.domain.replies import (
    HANDOFF_CHANCE,
    OPT_OUT_CHANCE,
    SURE,
    WORDING_CHANCE,
    barrier_of,
    classify,
)


class Chances:
    """A model that gives every reply the same chances (the rest spread over `other`)."""

    def __init__(self, **chances: float) -> None:
        rest = 1.0 - sum(chances.values())
        self.chances = {intent.value: 0.0 for intent in Intent} | {"other": rest} | chances

    def probabilities(self, text: str) -> dict[str, float]:
        return dict(self.chances)


def test_keywords_are_decided_before_the_model() -> None:
    sure_book = Chances(book=0.99)
    assert classify("STOP!!", model=sure_book).intent is Intent.OPT_OUT
    assert classify("stahp", model=sure_book).intent is Intent.OPT_OUT
    assert classify("START", model=sure_book).intent is Intent.OPT_IN
    assert classify("yes", opted_out=True, model=sure_book).intent is Intent.OPT_IN
    assert classify("HELP", model=sure_book).intent is Intent.HELP
    quoted = 'Liked "Hi Ana, time for a visit. Reply STOP to opt out"'
    assert classify(quoted, model=Chances(opt_out=0.9)).intent is Intent.OTHER


def test_a_bare_yes_is_never_an_opt_in_to_a_number_that_is_not_opted_out() -> None:
    model = Chances(opt_in=0.7, book=0.25)
    assert classify("yes", model=model).intent is Intent.BOOK
    assert classify("please add me back to your texts", model=model).intent is Intent.OPT_IN


@pytest.mark.parametrize("chance", [OPT_OUT_CHANCE, 0.3, 0.49])
def test_a_real_chance_of_opt_out_is_an_opt_out(chance: float) -> None:
    result = classify("we are done here", model=Chances(opt_out=chance, book=1 - chance))
    assert result.intent is Intent.OPT_OUT and not result.notify_staff


def test_wording_that_asks_to_stop_needs_only_a_small_chance() -> None:
    small = Chances(opt_out=WORDING_CHANCE, book=0.9)
    assert classify("don't text me, I'll call", model=small).intent is Intent.OPT_OUT
    assert classify("i'll call you tomorrow", model=small).intent is Intent.BOOK


def test_an_opt_out_that_carries_a_matter_for_staff_is_handed_to_them_too() -> None:
    with_complaint = Chances(opt_out=0.6, complaint=HANDOFF_CHANCE)
    assert classify("rude people, lose my number", model=with_complaint).notify_staff
    assert classify("STOP texting. wrong number", model=Chances(opt_out=0.9)).notify_staff


def test_a_plausible_handoff_beats_book_and_the_spec_order_breaks_ties() -> None:
    model = Chances(book=0.6, clinical=HANDOFF_CHANCE, billing=HANDOFF_CHANCE - 0.01)
    assert classify("yes but it hurts", model=model).intent is Intent.CLINICAL
    unlikely = Chances(book=0.8, clinical=HANDOFF_CHANCE - 0.01)
    assert classify("yes tuesday", model=unlikely).intent is Intent.BOOK
    tie = Chances(sensitive=0.3, billing=0.3, book=0.4)
    assert classify("my husband passed, what do I owe", model=tie).intent is Intent.SENSITIVE


def test_an_action_in_doubt_goes_to_a_person() -> None:
    doubtful = Chances(book=SURE - 0.01, question=0.3, not_now=0.3)
    result = classify("hmm maybe", model=doubtful)
    assert result.intent is Intent.OTHER and result.notify_staff
    sure = Chances(book=SURE, question=0.3, not_now=0.3)
    assert classify("tuesday works", model=sure).intent is Intent.BOOK


def test_an_emoji_alone_is_read_in_its_conversation_unless_it_may_be_an_opt_out() -> None:
    assert classify("👍", model=Chances(book=0.9)).intent is Intent.OTHER
    assert classify("🛑", model=Chances(opt_out=0.5)).intent is Intent.OPT_OUT


def test_barriers_come_with_the_intents_that_carry_one() -> None:
    assert barrier_of("too expensive for me right now, no thanks", Intent.DECLINE) == "cost"
    assert barrier_of("we moved to Denver last year", Intent.DECLINE) == "moved"
    assert barrier_of("too expensive for me", Intent.BOOK) is None
    result = classify("no thanks, we moved to Denver")
    assert result.intent is Intent.DECLINE and result.barrier == "moved"
