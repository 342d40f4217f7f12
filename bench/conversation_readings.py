"""The conversation's detectors (domain/in_conversation.py) on the reply corpus, counts only.

Run: `python bench/conversation_readings.py`. For each part of the split (train, dev, test:
the test writers are counted, never printed), how many replies each detector fires on, by
their labelled intent, and how many replies that a person must see (an opt-out, a handoff, a
wrong number, a decline, a not-now, a question, HELP, an opt-in) it would read away as an
acknowledgement or as already booked: that must stay 0. Then the whole reading (the classifier,
then the conversation, after each kind of last text): the replies a person must see that
would be read as an acknowledgement, a yes from a thumbs-up or already booked.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from reactivation.domain.conversation import LastSent, Reading, SentKind
from reactivation.domain.in_conversation import (
    already_booked,
    is_acknowledgement,
    is_plain_yes,
    is_tapback,
    read_in_conversation,
)
from reactivation.domain.replies import classify
from reactivation_tools.corpus import LabelledReply, load

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "replies"
#: Labels a person must see: never read as an acknowledgement or as already booked.
MUST_BE_SEEN = frozenset(
    {"opt_out", "clinical", "complaint", "sensitive", "billing", "wrong_number", "decline",
     "not_now", "question", "help", "opt_in"}
)  # fmt: skip
READ_AWAY = frozenset({Reading.ACKNOWLEDGEMENT, Reading.YES, Reading.ALREADY_BOOKED})
DETECTORS = {
    "acknowledgement": is_acknowledgement,
    "plain ok (a yes after outreach)": is_plain_yes,
    "approving tapback": is_tapback,
    "already booked": already_booked,
}


def main() -> None:
    for part in ("train", "dev", "test"):
        replies = load(CORPUS, part)
        print(f"{part}: {len(replies)} replies")
        for name, detector in DETECTORS.items():
            fired = Counter(r.intent for r in replies if detector(r.text))
            shown = ", ".join(f"{intent} {n}" for intent, n in sorted(fired.items())) or "none"
            print(f"  {name}: {shown}")
        away = sum(
            1
            for r in replies
            if r.intent in MUST_BE_SEEN
            and (is_acknowledgement(r.text) or is_tapback(r.text) or already_booked(r.text))
        )
        print(f"  replies a person must see read away: {away}")
        print(f"  ... by the whole reading, after any kind of last text: {whole(replies)}")


def whole(replies: list[LabelledReply]) -> int:
    at = datetime(2026, 11, 24, tzinfo=UTC)
    kinds = [None, *(LastSent(kind=kind, at=at) for kind in SentKind)]
    away = 0
    for r in replies:
        if r.intent not in MUST_BE_SEEN:
            continue
        classification = classify(r.text, opted_out=r.opted_out)
        readings = {read_in_conversation(classification, r.text, last, opted_out=r.opted_out)
                    .reading for last in kinds}  # fmt: skip
        away += bool(readings & READ_AWAY)
    return away


if __name__ == "__main__":
    main()
