"""The classifier on our labelled set of realistic replies (data/replies_labelled.jsonl).

The bars of the inbound issue: every opt-out caught, handoffs at least 95%, never a handoff
or an opt-out routed as `book`, at least 90% overall.
"""

import json
from pathlib import Path

from reactivation_tools.evaluation import evaluate

LABELLED = Path(__file__).parent / "data" / "replies_labelled.jsonl"
ITEMS = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]


def test_the_labelled_set_covers_every_intent_in_both_languages() -> None:
    intents = {item["intent"] for item in ITEMS}
    assert len(intents) == 13 and len(ITEMS) >= 300
    assert sum(1 for item in ITEMS if any(ch in item["text"] for ch in "ñáéíóú¿¡")) >= 20


def test_every_opt_out_is_caught() -> None:
    result = evaluate(ITEMS)
    assert result.recall("opt_out") == 1.0, [m for m in result.misses if m[0] == "opt_out"]


def test_handoffs_are_caught_and_never_booked() -> None:
    result = evaluate(ITEMS)
    assert result.handoff_recall >= 0.95
    assert result.booked_wrongly == []
    assert result.staff_not_notified == []


def test_overall_accuracy() -> None:
    assert evaluate(ITEMS).accuracy >= 0.90
