"""The weekly enrolment's ranked candidates between its phases, against moto."""

from __future__ import annotations

import pytest

from reactivation.adapters import enrolment_candidates
from reactivation.adapters.enrolment_candidates import EnrolmentCandidates, RunState
from reactivation.domain.outreach import Decision
from reactivation.domain.types import Campaign, Channel
from reactivation.domain.weekly_cap import Candidate, RankedPage, rank_key
from tests.builders import at
from tests.conftest import Aws

RUN = at("2026-11-24 10:00")


def candidate(n: int, **more: str) -> Candidate:
    patient_id = f"P-{n:04d}"
    decision = Decision(patient_id=patient_id, campaign=Campaign.RECALL_DUE,
                        channel=Channel.SMS, holdout=n % 10 == 0)  # fmt: skip
    return Candidate(rank_key(Campaign.RECALL_DUE, n, patient_id), decision, **more)


def test_a_page_reads_back_as_written_and_its_last_page_finishes_the_shard(aws: Aws) -> None:
    store = EnrolmentCandidates(aws.client("dynamodb"), aws.table)
    rescue = Candidate(
        rank_key(Campaign.MISSED_APPOINTMENT, 2, "P-7"),
        Decision(patient_id="P-7", campaign=Campaign.MISSED_APPOINTMENT, channel=Channel.EMAIL),
        preempts="recall_due#2026-11-17T15:00:00Z",
    )
    first = RankedPage(3, 12, (rescue, candidate(1, mobile="+12125550101")))
    assert store.write("bright-smile", RUN, first, None, last=False)
    assert store.run("bright-smile", RUN) == RunState(frozenset(), selected=False)
    second = RankedPage(3, 1, (candidate(20),))
    assert store.write("bright-smile", RUN, second, "P-0001", last=True)
    assert store.write("bright-smile", RUN, RankedPage(5, 0, ()), None, last=True)
    assert store.run("bright-smile", RUN) == RunState(frozenset({3, 5}), selected=False)
    assert sorted(store.select("bright-smile", RUN), key=lambda p: p.due) == [
        RankedPage(5, 0, ()), second, first
    ]  # fmt: skip
    assert store.run("bright-smile", RUN).selected
    assert store.select("bright-smile", at("2026-12-01 10:00")) == []  # another run's


def test_a_page_after_the_select_is_refused_and_changes_nothing(aws: Aws) -> None:
    store = EnrolmentCandidates(aws.client("dynamodb"), aws.table)
    page = RankedPage(0, 2, (candidate(1), candidate(2)))
    assert store.write("bright-smile", RUN, page, None, last=True)
    assert store.select("bright-smile", RUN) == [page]
    again = RankedPage(0, 1, (candidate(2),))  # the same page run again, later
    assert not store.write("bright-smile", RUN, again, None, last=True)
    assert store.select("bright-smile", RUN) == [page]


def test_a_large_page_is_written_in_chunks_and_a_retry_never_mixes_them(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(enrolment_candidates, "CHUNK", 3)
    store = EnrolmentCandidates(aws.client("dynamodb"), aws.table)
    big = RankedPage(1, 40, tuple(candidate(n) for n in range(8)))
    assert store.write("bright-smile", RUN, big, None, last=True)
    smaller = RankedPage(1, 39, tuple(candidate(n) for n in range(1, 5)))  # run again
    assert store.write("bright-smile", RUN, smaller, None, last=True)
    assert store.select("bright-smile", RUN) == [smaller]
