"""The reply classifier on the labelled set: recall per intent, accuracy, the safety rules.

Run: `make bench` or `python bench/classifier_accuracy.py` (prints the table and every miss).
"""

from __future__ import annotations

import json
from pathlib import Path

from reactivation_tools.evaluation import evaluate

LABELLED = (
    Path(__file__).resolve().parent.parent / "tests/reactivation/domain/data/replies_labelled.jsonl"
)


def main() -> None:
    items = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    result = evaluate(items)
    print(f"{len(items)} labelled replies: accuracy {result.accuracy:.1%}, "
          f"handoff recall {result.handoff_recall:.1%}")  # fmt: skip
    for intent in sorted(result.totals):
        count, recall = result.totals[intent], result.recall(intent)
        print(f"  {intent:<13} {count:>4} replies, recall {recall:6.1%}")
    print(f"handoff or opt-out routed as book: {result.booked_wrongly or 'none'}")
    print(f"staff not notified though they must be: {result.staff_not_notified or 'none'}")
    for expected, got, text in result.misses:
        print(f"  miss: {expected} -> {got}: {text}")


if __name__ == "__main__":
    main()
