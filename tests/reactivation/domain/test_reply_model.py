"""The reply model scored in plain Python: the same n-grams and arithmetic as scikit-learn's
tf-idf and logistic regression (the trainer checks the probabilities on every training reply;
these tests pin the pieces), read lazily from the shipped file."""

import math

import pytest

from reactivation.domain import reply_model
from reactivation.domain.conversation import Intent


def test_char_wb_grams_are_scikit_learns() -> None:
    analyzer = reply_model.Analyzer("char_wb", (2, 3), None, {}, (), (), 1)
    # scikit-learn's _char_wb_ngrams pads each word with one space and slides within it
    assert analyzer.grams("no  ya") == [
        " n", "no", "o ", " no", "no ", " y", "ya", "a ", " ya", "ya ",
    ]  # fmt: skip
    # a word shorter than n is counted once, whole
    assert reply_model.Analyzer("char_wb", (4, 5), None, {}, (), (), 1).grams("y") == [" y "]


def test_word_grams_are_unigrams_then_bigrams() -> None:
    analyzer = reply_model.Analyzer("word", (1, 2), r"[a-z0-9']+|[^\sa-z0-9]", {}, (), (), 1)
    assert analyzer.grams("don't text 👍") == ["don't", "text", "👍", "don't text", "text 👍"]


def test_scores_are_tf_idf_l2_normalised_then_softmax() -> None:
    encoded = {
        "classes": ["a", "b"],
        "intercepts": [0.0, 0.5],
        "analyzers": [
            {
                "kind": "word",
                "ngram_range": [1, 1],
                "token_pattern": r"[a-z]+",
                "grams": "stop\nyes",
                "idf": reply_model.encode([2.0, 1.0], "f"),
                "weights": reply_model.encode([3.0, -1.0, -1.0, 2.0], "e"),
            }
        ],
    }
    model = reply_model.from_mapping(encoded)
    # "stop stop yes": tf stop = 1 + ln 2, yes = 1; times idf; L2 normalised
    stop, yes = (1 + math.log(2)) * 2.0, 1.0
    norm = math.hypot(stop, yes)
    a = 0.0 + (stop * 3.0 + yes * -1.0) / norm
    b = 0.5 + (stop * -1.0 + yes * 2.0) / norm
    expected_a = math.exp(a) / (math.exp(a) + math.exp(b))
    got = model.probabilities("Stop stop YES")
    assert got["a"] == pytest.approx(expected_a, abs=1e-3)
    assert sum(got.values()) == pytest.approx(1.0)
    # no known n-gram: the intercepts alone
    assert model.probabilities("hola")["b"] == pytest.approx(1 / (1 + math.exp(-0.5)))


def test_the_shipped_model_knows_every_intent_and_reads_plain_replies() -> None:
    model = reply_model.shipped()
    assert set(model.classes) == {intent.value for intent in Intent}
    assert max(model.probabilities("please stop texting me").items(), key=lambda kv: kv[1])[0] == (
        "opt_out"
    )
    assert reply_model.shipped() is model  # read once


def test_the_shipped_barrier_model_knows_every_barrier() -> None:
    barriers = set(reply_model.shipped("barrier").classes)
    assert barriers == {
        "none", "cost", "insurance", "schedule", "fear", "moved", "health_life_event",
        "dissatisfaction", "other",
    }  # fmt: skip
