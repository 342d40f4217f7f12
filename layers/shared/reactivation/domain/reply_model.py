"""The trained part of reading a reply: linear models over character and word n-grams.

Trained at development time with scikit-learn (`reactivation_tools.train_replies`) on the
corpus's training writers and exported to `data/reply_model.json`; scored here in plain
Python, the same arithmetic as scikit-learn's TfidfVectorizer (char_wb and word analyzers,
sublinear tf, idf, L2 norm per analyzer) and a multinomial logistic regression. The
deterministic layer (carrier keywords, the spec's override rules) stays in `replies.py`;
this module only gives each intent (and each barrier) a probability.
"""

from __future__ import annotations

import base64
import json
import math
import re
import struct
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from reactivation.domain.text import fold

_WHITE_SPACES = re.compile(r"\s\s+")


def prepare(text: str) -> str:
    """The text as the model reads it: folded as every reader of reply text folds it."""
    return fold(text)


@dataclass(frozen=True)
class Analyzer:
    """One vectorizer: how the text is cut, and each kept feature's idf and weights (one
    weight per class, the rows of `weights` in feature order)."""

    kind: str  # "char_wb" or "word"
    ngram_range: tuple[int, int]
    token_pattern: str | None
    index: Mapping[str, int]
    idf: Sequence[float]
    weights: Sequence[float]
    classes: int

    def grams(self, text: str) -> list[str]:
        low, high = self.ngram_range
        if self.kind == "char_wb":
            grams: list[str] = []
            for word in _WHITE_SPACES.sub(" ", text).split():
                padded = f" {word} "
                for n in range(low, high + 1):
                    offset = 0
                    grams.append(padded[offset : offset + n])
                    while offset + n < len(padded):
                        offset += 1
                        grams.append(padded[offset : offset + n])
                    if offset == 0:
                        break
            return grams
        tokens = re.findall(self.token_pattern or r"(?u)\b\w\w+\b", text)
        grams = []
        for n in range(low, high + 1):
            if n == 1:
                grams.extend(tokens)
            else:
                grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return grams

    def add_scores(self, text: str, scores: list[float]) -> None:
        """Adds this analyzer's part of the linear scores (tf-idf, L2-normalised) in place."""
        values: list[tuple[float, int]] = []
        for gram, count in Counter(self.grams(text)).items():
            row = self.index.get(gram)
            if row is not None:
                values.append(((1.0 + math.log(count)) * self.idf[row], row))
        norm = math.sqrt(sum(value * value for value, _ in values))
        if not norm:
            return
        width = self.classes
        for value, row in values:
            scale = value / norm
            start = row * width
            for column in range(width):
                scores[column] += scale * self.weights[start + column]


@dataclass(frozen=True)
class ReplyModel:
    classes: tuple[str, ...]
    intercepts: tuple[float, ...]
    analyzers: tuple[Analyzer, ...]

    def probabilities(self, text: str) -> dict[str, float]:
        """Each intent's probability for a reply's text."""
        prepared = prepare(text)
        scores = list(self.intercepts)
        for analyzer in self.analyzers:
            analyzer.add_scores(prepared, scores)
        top = max(scores)
        exps = [math.exp(score - top) for score in scores]
        total = sum(exps)
        return {name: value / total for name, value in zip(self.classes, exps, strict=True)}


def _floats(encoded: str, code: str) -> tuple[float, ...]:
    raw = base64.b64decode(encoded)
    return struct.unpack(f"<{len(raw) // struct.calcsize(code)}{code}", raw)


def from_mapping(data: Mapping[str, Any]) -> ReplyModel:
    """The model from its exported form (the JSON the trainer writes): per analyzer, its
    n-grams joined by newlines, their idf as float32 and their weights as float16."""
    classes = tuple(data["classes"])
    analyzers = []
    for spec in data["analyzers"]:
        grams = spec["grams"].split("\n") if spec["grams"] else []
        low, high = spec["ngram_range"]
        analyzers.append(
            Analyzer(
                kind=spec["kind"],
                ngram_range=(low, high),
                token_pattern=spec.get("token_pattern"),
                index=dict(zip(grams, range(len(grams)), strict=True)),
                idf=_floats(spec["idf"], "f"),
                weights=_floats(spec["weights"], "e"),
                classes=len(classes),
            )
        )
    return ReplyModel(
        classes=classes, intercepts=tuple(data["intercepts"]), analyzers=tuple(analyzers)
    )


def encode(values: Sequence[float], code: str) -> str:
    """Floats as the exported form stores them: little-endian `code` ("f" float32, "e"
    float16), base64."""
    return base64.b64encode(struct.pack(f"<{len(values)}{code}", *values)).decode("ascii")


@cache
def _shipped() -> dict[str, ReplyModel]:
    text = resources.files("reactivation.domain").joinpath("data/reply_model.json").read_text()
    return {head: from_mapping(data) for head, data in json.loads(text).items()}


def shipped(head: str = "intent") -> ReplyModel:
    """A model shipped with the package ("intent", or "barrier": the reason a patient gives
    for a decline, not-now, question, billing question or complaint), read once, on the
    first reply, not at import."""
    return _shipped()[head]
