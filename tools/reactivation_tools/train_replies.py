"""Training the reply model (development time only: scikit-learn is not in the layer).

    python -m reactivation_tools.train_replies [--out PATH]

Fits tf-idf over character (2-5, within words) and word (1-2) n-grams and a multinomial
logistic regression, for the intent (on the corpus's training writers and the project's own
labelled set) and for the barrier (on the training writers' replies that can carry one),
exports both as JSON for `reactivation.domain.reply_model`, and checks that the plain
Python scorer gives the same probabilities as scikit-learn on every training reply. The
dev and test writers are never read here.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reactivation.domain import reply_model
from reactivation_tools.corpus import load

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus" / "replies"
OWN = ROOT / "tests" / "reactivation" / "domain" / "data" / "replies_labelled.jsonl"
MODEL = ROOT / "layers" / "shared" / "reactivation" / "domain" / "data" / "reply_model.json"
WORD_TOKENS = r"[a-z0-9']+|[^\sa-z0-9]"
#: Regularisation (inverse strength), chosen on the dev writer.
C = 10.0
#: Features whose largest weight is below this are dropped from the export.
PRUNE = 1e-3


#: The intents whose replies carry a barrier (replies.md, "In the conversation").
WITH_BARRIER = frozenset({"decline", "not_now", "question", "billing", "complaint"})


def training_set() -> tuple[list[str], list[str]]:
    """The intents' training replies: the training writers' and the project's own set."""
    train = load(CORPUS, "train")
    texts = [reply.text for reply in train]
    intents = [reply.intent for reply in train]
    with OWN.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            texts.append(row["text"])
            intents.append(row["intent"])
    return texts, intents


def barrier_set() -> tuple[list[str], list[str]]:
    """The barriers' training replies: the training writers' replies that can carry one,
    labelled with it or "none"."""
    replies = [reply for reply in load(CORPUS, "train") if reply.intent in WITH_BARRIER]
    return [reply.text for reply in replies], [reply.barrier or "none" for reply in replies]


def train(texts: Sequence[str], labels: Sequence[str]) -> tuple[dict[str, Any], Any]:
    """The exported model, and a function giving scikit-learn's own probabilities."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    folded = [reply_model.prepare(text) for text in texts]
    vectorizers = [
        ("char_wb", (2, 5), None, TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)),
        ("word", (1, 2), WORD_TOKENS, TfidfVectorizer(
            analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=WORD_TOKENS)),
    ]  # fmt: skip
    matrix = hstack([vectorizer.fit_transform(folded) for *_, vectorizer in vectorizers]).tocsr()
    model = LogisticRegression(C=C, max_iter=5000, class_weight="balanced")
    model.fit(matrix, list(labels))
    exported: dict[str, Any] = {
        "classes": [str(name) for name in model.classes_],
        "intercepts": [round(float(b), 6) for b in model.intercept_],
        "analyzers": [],
    }
    column = 0
    for kind, ngram_range, pattern, vectorizer in vectorizers:
        grams: list[str] = []
        idf: list[float] = []
        weights: list[float] = []
        for gram, index in sorted(vectorizer.vocabulary_.items()):
            row = model.coef_[:, column + index]
            if abs(row).max() >= PRUNE:
                grams.append(gram)
                idf.append(float(vectorizer.idf_[index]))
                weights.extend(float(w) for w in row)
        column += len(vectorizer.vocabulary_)
        exported["analyzers"].append(
            {
                "kind": kind,
                "ngram_range": list(ngram_range),
                "token_pattern": pattern,
                "grams": "\n".join(grams),
                "idf": reply_model.encode(idf, "f"),
                "weights": reply_model.encode(weights, "e"),
            }
        )

    def sklearn_probabilities(batch: Sequence[str]) -> list[dict[str, float]]:
        rows = [reply_model.prepare(text) for text in batch]
        stacked = hstack([v.transform(rows) for *_, v in vectorizers]).tocsr()
        return [
            dict(zip(exported["classes"], map(float, p), strict=True))
            for p in model.predict_proba(stacked)
        ]

    return exported, sklearn_probabilities


def check_export(exported: dict[str, Any], reference: Any, texts: Sequence[str]) -> float:
    """The largest difference between the plain scorer's and scikit-learn's probabilities."""
    scorer = reply_model.from_mapping(exported)
    worst = 0.0
    for text, expected in zip(texts, reference(texts), strict=True):
        got = scorer.probabilities(text)
        worst = max(worst, *(abs(got[name] - expected[name]) for name in expected))
    return worst


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=MODEL)
    args = parser.parse_args(argv)
    heads = {}
    for head, (texts, labels) in (("intent", training_set()), ("barrier", barrier_set())):
        exported, reference = train(texts, labels)
        worst = check_export(exported, reference, texts)
        if worst > 0.01:
            raise SystemExit(f"the exported {head} model differs from scikit-learn's by {worst}")
        heads[head] = exported
        features = sum(a["grams"].count("\n") + 1 for a in exported["analyzers"])
        print(f"{head}: trained on {len(texts)} replies, {features} features kept; largest "
              f"difference from scikit-learn's probabilities {worst:.5f}")  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(heads, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
