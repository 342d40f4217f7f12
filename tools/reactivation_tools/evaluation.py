"""Measuring the reply classifier on a labelled set (JSON Lines: text, intent, notify_staff)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reactivation.domain.conversation import Intent
from reactivation.domain.replies import HANDOFFS, classify

NEVER_BOOK = frozenset({*(i.value for i in HANDOFFS), Intent.OPT_OUT.value})


@dataclass
class Evaluation:
    totals: Counter[str] = field(default_factory=Counter)
    hits: Counter[str] = field(default_factory=Counter)
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # expected, got, text
    booked_wrongly: list[str] = field(default_factory=list)
    staff_not_notified: list[str] = field(default_factory=list)
    #: Replies that are not opt-outs but were read as one.
    false_opt_outs: list[str] = field(default_factory=list)
    #: (expected, got) -> count.
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def accuracy(self) -> float:
        return sum(self.hits.values()) / max(1, sum(self.totals.values()))

    def recall(self, *intents: str) -> float:
        return sum(self.hits[i] for i in intents) / max(1, sum(self.totals[i] for i in intents))

    @property
    def handoff_recall(self) -> float:
        return self.recall(*(i.value for i in HANDOFFS))

    @property
    def opt_out_recall(self) -> float:
        return self.recall(Intent.OPT_OUT.value)

    @property
    def false_opt_out_rate(self) -> float:
        others = sum(self.totals.values()) - self.totals[Intent.OPT_OUT.value]
        return len(self.false_opt_outs) / max(1, others)


def evaluate(items: Iterable[Mapping[str, Any]]) -> Evaluation:
    result = Evaluation()
    for item in items:
        classification = classify(item["text"], opted_out=item.get("opted_out") is True)
        expected, got = item["intent"], classification.intent.value
        result.totals[expected] += 1
        result.confusion[(expected, got)] += 1
        if got == Intent.OPT_OUT.value and expected != got:
            result.false_opt_outs.append(item["text"])
        if got == expected:
            result.hits[expected] += 1
        else:
            result.misses.append((expected, got, item["text"]))
        if got == Intent.BOOK.value and expected in NEVER_BOOK:
            result.booked_wrongly.append(item["text"])
        if item["notify_staff"] and not classification.notify_staff:
            result.staff_not_notified.append(item["text"])
    return result
