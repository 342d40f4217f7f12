"""The weekly enrolment's ranked candidates, between its two phases (domain/weekly_cap.py): each
shard's pages write theirs, the run's item counts the shards that finished, and the SELECT
marks the run selected before it reads them all (from then on no page's are accepted).

Items, in the practice's partition, kept two weeks (`expires_at`):
  ENROLMENT_RUN#<run start>                           shards (finished), pages, selected
  ENROLMENT_CANDIDATES#<run start>#<shard>#<page>     due, last, the first candidates
  ENROLMENT_CANDIDATES#<run start>#<shard>#<page>#<attempt>#<n>   more of them (a large page)
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from reactivation.adapters.items import (
    Keys,
    TableRepository,
    conditionally,
    from_attributes,
    iso,
    to_attributes,
    with_prefix,
)
from reactivation.domain.outreach import Decision
from reactivation.domain.types import Campaign, Channel
from reactivation.domain.weekly_cap import Candidate, RankedPage

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

#: Candidates per item (about 90 bytes each: well under DynamoDB's 400 KB an item).
CHUNK = 2000
#: The run's items outlive the run by this much, then DynamoDB's TTL removes them.
KEPT = timedelta(days=14)
CANDIDATES = "ENROLMENT_CANDIDATES#"
#: `items.iso`'s form, read back.
ISO = "%Y-%m-%dT%H:%M:%S.%fZ"


class RunState(NamedTuple):
    finished: frozenset[int]
    selected: bool


def run_tag(run_start: datetime) -> str:
    """A run's name in an attribute's (the week's grant to it)."""
    return run_start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def page_tag(after: str | None) -> str:
    """A page's name: the same page run again writes the same item."""
    return hashlib.sha256((after or "").encode()).hexdigest()[:12]


def _encode(candidates: tuple[Candidate, ...]) -> str:
    """Compact: a list per candidate (the key, the decision, the mobile, the ended sequence)."""
    rows = []
    for c in candidates:
        decision = c.decision
        rows.append([*c.key, decision.campaign, decision.channel, int(decision.holdout),
                     c.mobile, c.preempts])  # fmt: skip
    return json.dumps(rows, separators=(",", ":"))


def _decode(text: str) -> list[Candidate]:
    found = []
    for priority, overdue, patient_id, campaign, channel, holdout, mobile, preempts in json.loads(
        text
    ):
        decision = Decision(patient_id=patient_id, campaign=Campaign(campaign),
                            channel=Channel(channel), holdout=bool(holdout))  # fmt: skip
        found.append(Candidate((priority, overdue, patient_id), decision, mobile, preempts))
    return found


class EnrolmentCandidates(TableRepository):
    @classmethod
    def beside(cls, repository: TableRepository) -> EnrolmentCandidates:
        """The candidates in the same table as `repository`'s items."""
        return cls(repository._client, repository._table)

    def _run_key(self, practice_id: str, run_start: datetime) -> dict[str, Any]:
        return to_attributes(
            {"pk": Keys.practice(practice_id), "sk": f"ENROLMENT_RUN#{iso(run_start)}"}
        )

    def write(
        self, practice_id: str, run_start: datetime, page: RankedPage, after: str | None, last: bool
    ) -> bool:
        """Writes one page's candidates (its last page also adds the shard to the run's
        finished ones), unless the run is already selected: False then (the page is late, a
        retry; its patients wait for next week)."""
        pk = Keys.practice(practice_id)
        sk = f"{CANDIDATES}{iso(run_start)}#{page.shard:02d}#{page_tag(after)}"
        expires = int((run_start + KEPT).timestamp())
        chunks = [page.candidates[i : i + CHUNK] for i in range(0, len(page.candidates), CHUNK)]
        attempt = uuid.uuid4().hex[:12]
        for n, chunk in enumerate(chunks[1:], 1):  # a large page: never overwritten, only named
            self._client.put_item(
                TableName=self._table,
                Item=to_attributes({"pk": pk, "sk": f"{sk}#{attempt}#{n:04d}",
                                    "candidates": _encode(chunk), "expires_at": expires}),
            )  # fmt: skip
        header = {
            **{"pk": pk, "sk": sk, "shard": page.shard, "due": page.due, "last": last},
            **{"attempt": attempt, "chunks": max(len(chunks), 1), "expires_at": expires},
            "candidates": _encode(chunks[0] if chunks else ()),
        }
        values: dict[str, Any] = {":one": 1, ":expires": expires}
        add = "pages :one"
        if last:
            add += ", shards :shard"
            values[":shard"] = {page.shard}
        writes: list[TransactWriteItemTypeDef] = [
            {"Put": {"TableName": self._table, "Item": to_attributes(header)}},
            {
                "Update": {
                    "TableName": self._table,
                    "Key": self._run_key(practice_id, run_start),
                    "UpdateExpression": f"ADD {add} SET expires_at = :expires",
                    "ConditionExpression": "attribute_not_exists(selected)",
                    "ExpressionAttributeValues": to_attributes(values),
                }
            },
        ]
        return conditionally(lambda: self._client.transact_write_items(TransactItems=writes))

    def run(self, practice_id: str, run_start: datetime) -> RunState:
        """The shards whose last page is written, and whether the run is selected."""
        response = self._client.get_item(
            TableName=self._table,
            Key=self._run_key(practice_id, run_start),
            ConsistentRead=True,
            ProjectionExpression="shards, selected",
        )
        item = from_attributes(response.get("Item", {}))
        shards = frozenset(int(n) for n in item.get("shards", ()))
        return RunState(shards, bool(item.get("selected", False)))

    def unselected(self, practice_id: str) -> list[datetime]:
        """The starts of the practice's runs (of the last two weeks) not selected yet."""
        runs = with_prefix(self._client, self._table, Keys.practice(practice_id),
                           "ENROLMENT_RUN#", ProjectionExpression="sk, selected")  # fmt: skip
        return [
            datetime.strptime(str(item["sk"]).removeprefix("ENROLMENT_RUN#"), ISO).replace(
                tzinfo=UTC
            )
            for item in runs
            if not item.get("selected", False)
        ]

    def select(self, practice_id: str, run_start: datetime) -> list[RankedPage]:
        """Marks the run selected (no page is accepted after it), then reads its pages: the
        same answer however often it is asked."""
        self._client.update_item(
            TableName=self._table,
            Key=self._run_key(practice_id, run_start),
            UpdateExpression="SET selected = :yes, expires_at = :expires",
            ExpressionAttributeValues=to_attributes(
                {":yes": True, ":expires": int((run_start + KEPT).timestamp())}
            ),
        )
        prefix = f"{CANDIDATES}{iso(run_start)}#"
        items = list(with_prefix(self._client, self._table, Keys.practice(practice_id), prefix))
        by_key = {item["sk"]: item for item in items}
        pages = []
        for item in items:
            if "attempt" not in item:
                continue  # a large page's further chunk: read through its page below
            candidates = _decode(str(item["candidates"]))
            for n in range(1, int(item["chunks"])):
                chunk = by_key.get(f"{item['sk']}#{item['attempt']}#{n:04d}")
                if chunk is None:
                    raise RuntimeError("a ranked page lacks one of its chunks")
                candidates += _decode(str(chunk["candidates"]))
            pages.append(RankedPage(int(item["shard"]), int(item["due"]), tuple(candidates)))
        return pages
