"""Answered questions waiting for their follow-up (campaigns.md, `question_follow_up`): one
item per patient, in the sparse DueSteps index until its moment, then taken out by the
frequent follow-up run (which sends the follow-up or records why not)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from reactivation.adapters.items import (
    Keys,
    TableRepository,
    conditionally,
    due_items,
    iso,
    model_fields,
    model_item,
    to_attributes,
)
from reactivation.domain.outreach import PendingFollowUp

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

KIND = "question_follow_up"
SORT_KEY = "FOLLOW_UP#QUESTION"


class QuestionFollowUps(TableRepository):
    @staticmethod
    def _key(practice_id: str, patient_id: str) -> dict[str, str]:
        return {"pk": Keys.patient(practice_id, patient_id), "sk": SORT_KEY}

    def schedule_write(self, follow_up: PendingFollowUp) -> TransactWriteItemTypeDef:
        """The write that schedules it (with the reply or the staff action that answered):
        a later answered question moves the moment, so one question gets one prompt."""
        practice_id, patient_id = follow_up.practice_id, follow_up.patient_id
        item = {
            **self._key(practice_id, patient_id),
            "kind": KIND,
            "gsi3pk": Keys.collection(practice_id, "DUE"),
            "gsi3sk": f"{iso(follow_up.due_at)}#{patient_id}#{KIND}",
            **model_item(follow_up),
        }
        return {"Put": {"TableName": self._table, "Item": to_attributes(item)}}

    def schedule(self, follow_up: PendingFollowUp) -> None:
        put = self.schedule_write(follow_up)["Put"]
        self._client.put_item(TableName=put["TableName"], Item=put["Item"])

    def due(self, practice_id: str, now: datetime) -> Iterator[PendingFollowUp]:
        """The practice's follow-ups whose moment has come."""
        for item in due_items(self._client, self._table, practice_id, now, KIND):
            yield PendingFollowUp.model_validate(model_fields(PendingFollowUp, item))

    def done(self, follow_up: PendingFollowUp, at: datetime, outcome: str) -> bool:
        """Out of the index, with what came of it (`outcome`: enrolled, or the skip reason);
        False when another run took it first, or a newer question moved it meanwhile."""
        return conditionally(
            lambda: self._client.update_item(
                TableName=self._table,
                Key=to_attributes(self._key(follow_up.practice_id, follow_up.patient_id)),
                UpdateExpression="REMOVE gsi3pk, gsi3sk SET done_at = :at, outcome = :outcome",
                ConditionExpression="due_at = :due AND attribute_exists(gsi3pk)",
                ExpressionAttributeValues=to_attributes(
                    {":at": iso(at), ":outcome": outcome, ":due": model_item(follow_up)["due_at"]}
                ),
            )
        )
