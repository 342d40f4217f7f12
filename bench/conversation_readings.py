"""The conversation's detectors (domain/in_conversation.py) on the reply corpus, counts only.

Run: `python bench/conversation_readings.py`. For each part of the split (train, dev, test:
the test writers are counted, never printed), how many replies each detector fires on, by
their labelled intent, and how many replies that a person must see (an opt-out, a handoff, a
wrong number, a decline, a not-now, a question, HELP, an opt-in) it would read away as an
acknowledgement or as already booked: that must stay 0.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from reactivation.domain.in_conversation import (
    already_booked,
    is_acknowledgement,
    is_plain_yes,
    is_tapback,
)
from reactivation_tools.corpus import load

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "replies"
#: Labels a person must see: never read as an acknowledgement or as already booked.
MUST_BE_SEEN = frozenset(
    {"opt_out", "clinical", "complaint", "sensitive", "billing", "wrong_number", "decline",
     "not_now", "question", "help", "opt_in"}
)  # fmt: skip
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


if __name__ == "__main__":
    main()
