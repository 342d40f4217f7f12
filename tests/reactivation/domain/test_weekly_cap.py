"""The weekly cap's two phases (domain/weekly_cap.py): each page keeps its first `limit`, the
SELECT merges them, and the practice's first are the same as ranking everyone at once."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reactivation.domain import rules, weekly_cap
from reactivation.domain.outreach import Decision
from reactivation.domain.types import Campaign, Channel

#: A due patient: his campaign, days past due, and where the fan-out put him (shard, page).
Due = tuple[Campaign, int, str, int, int]


def candidate(campaign: Campaign, overdue: int, patient_id: str) -> weekly_cap.Candidate:
    decision = Decision(patient_id=patient_id, campaign=campaign, channel=Channel.SMS)
    return weekly_cap.Candidate(weekly_cap.rank_key(campaign, overdue, patient_id), decision)


patients = st.lists(
    st.tuples(
        st.sampled_from(rules.PRIORITY),
        st.integers(0, 60),  # few values: many ties on days past due
        st.from_regex(r"P-[0-9]{1,3}", fullmatch=True),
        st.integers(0, 7),
        st.integers(0, 3),
    ),
    max_size=60,
    unique_by=lambda p: p[2],
)


def pages(due: list[Due], limit: int) -> list[weekly_cap.RankedPage]:
    split: dict[tuple[int, int], list[weekly_cap.Candidate]] = {}
    for campaign, overdue, patient_id, shard, page in due:
        split.setdefault((shard, page), []).append(candidate(campaign, overdue, patient_id))
    return [
        weekly_cap.RankedPage(shard, len(found), weekly_cap.top(found, limit))
        for (shard, _), found in split.items()
    ]


@given(patients, st.integers(1, 25), st.data())
def test_the_pages_first_merged_are_the_practices_first_ranked_at_once(
    due: list[Due], limit: int, data: st.DataObject
) -> None:
    everyone = sorted((candidate(*p[:3]) for p in due), key=lambda c: c.key)
    ranked, count = weekly_cap.merge(pages(due, limit))
    assert count == len(due)
    granted = data.draw(st.integers(0, limit))  # whatever the week's counter grants
    assert ranked[:granted] == everyone[:granted]
    assert len(ranked) >= min(limit, len(due))


@given(patients, st.integers(1, 25), st.sets(st.integers(0, 59)))
def test_a_patient_in_two_pages_is_taken_once(due: list[Due], limit: int, again: set[int]) -> None:
    # a page run again with another split: some patients are in two pages of their shard
    twice = [(c, d, p, shard, page + 4) for n, (c, d, p, shard, page) in enumerate(due)
             if n in again]  # fmt: skip
    ranked, count = weekly_cap.merge(pages(due + twice, limit))
    assert len({c.patient_id for c in ranked}) == len(ranked)
    everyone = sorted((candidate(*p[:3]) for p in due), key=lambda c: c.key)
    assert ranked[:limit] == everyone[:limit]
    assert count == len(due) + len(twice)  # counted twice: the pilot's share a little larger


def test_top_keeps_the_first_by_the_caps_order() -> None:
    found = [candidate(Campaign.RECALL_DUE, 10, "P-2"), candidate(Campaign.RECALL_DUE, 30, "P-3"),
             candidate(Campaign.MISSED_APPOINTMENT, 1, "P-9"),
             candidate(Campaign.RECALL_DUE, 10, "P-1")]  # fmt: skip
    assert [c.patient_id for c in weekly_cap.top(found, 3)] == ["P-9", "P-3", "P-1"]
    assert weekly_cap.top(found, 0) == ()
