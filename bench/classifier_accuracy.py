"""The reply classifier on text nobody here wrote, beside text it was tuned on.

Run: `make bench` or `python bench/classifier_accuracy.py [--misses]`. Prints, for the
corpus's test writers (never read while tuning), its dev writer, its training writers and the
project's own labelled set, side by side: accuracy, opt-out recall, false opt-outs, handoff
recall, handoffs or opt-outs read as `book`; then the confusion table of the test writers.
`--timing` also prints what the classifier costs the inbound function: reading the model in
a fresh process (median of 5) and one classification (median and 95th percentile over the dev
writer's replies). `--misses` lists the misses of the training and dev writers and of the
own set (never those of the test writers: their texts stay unread while tuning).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from reactivation.domain.conversation import Intent
from reactivation.domain.replies import classify
from reactivation_tools.corpus import load
from reactivation_tools.evaluation import Evaluation, evaluate

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "replies"
OWN = ROOT / "tests/reactivation/domain/data/replies_labelled.jsonl"


def main() -> None:
    own = [json.loads(line) for line in OWN.read_text(encoding="utf-8").splitlines()]
    parts: dict[str, Evaluation] = {
        part: evaluate(asdict(reply) for reply in load(CORPUS, part))
        for part in ("test", "dev", "train")
    }
    parts["own set"] = evaluate(own)
    print(f"{'figure':<34}" + "".join(f"{name:>12}" for name in parts))
    rows: dict[str, Callable[[Evaluation], str]] = {
        "replies": lambda e: f"{sum(e.totals.values())}",
        "accuracy": lambda e: f"{e.accuracy:.1%}",
        "opt-out recall": lambda e: f"{e.opt_out_recall:.1%}",
        "false opt-outs": lambda e: f"{e.false_opt_out_rate:.1%}",
        "handoff recall": lambda e: f"{e.handoff_recall:.1%}",
        "handoff or opt-out read as book": lambda e: f"{len(e.booked_wrongly)}",
        "staff not notified (must be)": lambda e: f"{len(e.staff_not_notified)}",
    }
    for label, figure in rows.items():
        print(f"{label:<34}" + "".join(f"{figure(e):>12}" for e in parts.values()))
    intents = [intent.value for intent in Intent]
    print("\ntest writers' confusion (rows: labelled, columns: read as)")
    print(f"{'':<13}" + "".join(f"{intent[:6]:>7}" for intent in intents))
    for expected in intents:
        counts = [parts["test"].confusion[(expected, got)] for got in intents]
        print(f"{expected:<13}" + "".join(f"{count or '.':>7}" for count in counts))
    if "--timing" in sys.argv:
        timing()
    if "--misses" in sys.argv:
        for name in ("dev", "train", "own set"):
            for expected, got, text in parts[name].misses:
                print(f"  {name} miss: {expected} -> {got}: {text}")


READ_MODEL = (
    "import time; t = time.perf_counter(); from reactivation.domain import reply_model as m; "
    "m.shipped(); m.shipped('barrier'); print((time.perf_counter() - t) * 1000)"
)


def timing() -> None:
    reads = [
        float(subprocess.run([sys.executable, "-c", READ_MODEL], capture_output=True,  # noqa: S603
                             text=True, check=True).stdout)
        for _ in range(5)
    ]  # fmt: skip
    texts = [reply.text for reply in load(CORPUS, "dev")]
    classify("warm up")
    times = []
    for text in texts:
        start = time.perf_counter()
        classify(text)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(f"\nreading the model in a fresh process: median {statistics.median(reads):.0f} ms "
          f"({min(reads):.0f}-{max(reads):.0f}, 5 runs)")  # fmt: skip
    print(
        f"one classification: median {statistics.median(times):.2f} ms, "
        f"95th percentile {times[int(len(times) * 0.95)]:.2f} ms ({len(times)} replies)"
    )


if __name__ == "__main__":
    main()
