"""The reply corpus's split holds: each reply belongs to the writer its file names, no writer
is in two parts, and no test writer's reply appears in train or dev."""

import pytest

from reactivation_tools.corpus import SPLIT, load
from tests.conftest import ROOT

CORPUS = ROOT / "corpus" / "replies"
INTENTS = {
    "opt_out", "opt_in", "help", "book", "question", "clinical", "billing", "complaint",
    "sensitive", "not_now", "decline", "wrong_number", "other",
}  # fmt: skip
BARRIERS = {
    "cost", "insurance", "schedule", "fear", "moved", "health_life_event", "dissatisfaction",
    "other",
}  # fmt: skip
WITH_BARRIER = {"decline", "not_now", "question", "billing", "complaint"}


def test_no_writer_is_in_two_parts() -> None:
    writers = [writer for part in SPLIT.values() for writer in part]
    assert len(writers) == len(set(writers)) >= 8
    assert sorted(p.stem for p in CORPUS.glob("w*.jsonl")) == sorted(writers)


@pytest.mark.parametrize("part", sorted(SPLIT))
def test_each_reply_is_its_files_writers_and_labelled_by_the_spec(part: str) -> None:
    replies = load(CORPUS, part)
    assert replies
    for reply in replies:
        assert reply.writer in SPLIT[part]
        assert reply.id.startswith(f"{reply.writer}-")
        assert reply.intent in INTENTS
        assert reply.barrier is None or (reply.barrier in BARRIERS and reply.intent in WITH_BARRIER)
    assert len(replies) >= 250 * len(SPLIT[part])
    assert len({reply.id for reply in replies}) == len(replies)


def test_no_test_writer_appears_in_train_or_dev() -> None:
    """Split by writer: no reply of a test writer is in train or dev (short texts such as
    "STOP" or "yes" are written by several writers alike: they are each writer's own)."""
    test_writers = set(SPLIT["test"])
    for part in ("train", "dev"):
        assert not {r.writer for r in load(CORPUS, part)} & test_writers
        assert not {r.id for r in load(CORPUS, part)} & {r.id for r in load(CORPUS, "test")}


def test_the_corpus_is_large_enough() -> None:
    assert sum(len(load(CORPUS, part)) for part in SPLIT) >= 2000
