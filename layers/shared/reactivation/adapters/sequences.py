"""Sequences and the patient state the system learned (active sequence, cooldown, snooze)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from reactivation.adapters.items import (
    Keys,
    from_attributes,
    is_condition_failure,
    iso,
    model_fields,
    model_item,
    query,
    to_attributes,
)
from reactivation.domain.models import Campaign, PatientHistory, Sequence

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


class SequenceRepository:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def _sequence_item(self, sequence: Sequence) -> dict[str, Any]:
        item: dict[str, Any] = {
            "pk": Keys.patient(sequence.practice_id, sequence.patient_id),
            "sk": f"SEQUENCE#{sequence.sequence_id}",
            "kind": "sequence",
            **model_item(sequence),
        }
        if sequence.next_step_due_at is not None:
            item["gsi3pk"] = Keys.collection(sequence.practice_id, "DUE")
            item["gsi3sk"] = (
                f"{iso(sequence.next_step_due_at)}#{sequence.patient_id}#{sequence.sequence_id}"
            )
        return item

    def _state_key(self, practice_id: str, patient_id: str) -> dict[str, Any]:
        return to_attributes({"pk": Keys.patient(practice_id, patient_id), "sk": "STATE"})

    def history(
        self, practice_id: str, patient_id: str, opted_out: frozenset[str]
    ) -> PatientHistory:
        response = self._client.get_item(
            TableName=self._table, Key=self._state_key(practice_id, patient_id), ConsistentRead=True
        )
        state = from_attributes(response.get("Item", {}))
        ended = state.get("last_sequence_ended_at")
        snoozed = state.get("snoozed_until")
        return PatientHistory(
            opted_out=opted_out,
            in_sequence="active_sequence_id" in state,
            last_sequence_ended_at=datetime.fromisoformat(ended) if ended else None,
            snoozed_until=date.fromisoformat(snoozed) if snoozed else None,
            service_recovery="hold_reason" in state,
            declined={
                Campaign(campaign): date.fromisoformat(day)
                for campaign, day in state.get("declined", {}).items()
            },
            invalid_contacts=frozenset(state.get("invalid_contacts", set())),
        )

    def _update_state(
        self,
        practice_id: str,
        patient_id: str,
        expression: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
    ) -> None:
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._state_key(practice_id, patient_id),
            "UpdateExpression": expression,
            "ExpressionAttributeValues": to_attributes(values),
        }
        if names:
            request["ExpressionAttributeNames"] = names
        self._client.update_item(**request)

    def snooze(self, practice_id: str, patient_id: str, until: date) -> None:
        self._update_state(
            practice_id, patient_id, "SET snoozed_until = :until", {":until": until.isoformat()}
        )

    def hold(self, practice_id: str, patient_id: str, reason: str) -> None:
        """No outreach until staff close it (service recovery)."""
        self._update_state(
            practice_id, patient_id, "SET hold_reason = :reason", {":reason": reason}
        )

    def record_decline(
        self, practice_id: str, patient_id: str, campaign: Campaign, on: date
    ) -> None:
        self._client.update_item(  # the map must exist before one of its keys is set
            TableName=self._table,
            Key=self._state_key(practice_id, patient_id),
            UpdateExpression="SET declined = if_not_exists(declined, :empty)",
            ExpressionAttributeValues=to_attributes({":empty": {}}),
        )
        self._update_state(
            practice_id, patient_id, "SET declined.#campaign = :on",
            {":on": on.isoformat()}, {"#campaign": campaign.value},
        )  # fmt: skip

    def invalidate_contact(self, practice_id: str, patient_id: str, contact: str) -> None:
        """The contact reaches someone else: never used for this patient again."""
        self._update_state(
            practice_id, patient_id, "ADD invalid_contacts :contact", {":contact": {contact}}
        )

    def pause(self, sequence: Sequence, at: datetime) -> bool:
        """No further step until staff answer: the sequence leaves the due index, keeps its step."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=to_attributes(
                    {
                        "pk": Keys.patient(sequence.practice_id, sequence.patient_id),
                        "sk": f"SEQUENCE#{sequence.sequence_id}",
                    }
                ),
                UpdateExpression="REMOVE gsi3pk, gsi3sk SET paused_at = :at",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=to_attributes({":at": iso(at)}),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def get(self, practice_id: str, patient_id: str, sequence_id: str) -> Sequence | None:
        response = self._client.get_item(
            TableName=self._table,
            Key=to_attributes(
                {"pk": Keys.patient(practice_id, patient_id), "sk": f"SEQUENCE#{sequence_id}"}
            ),
            ConsistentRead=True,
        )
        if "Item" not in response:
            return None
        return Sequence.model_validate(model_fields(Sequence, from_attributes(response["Item"])))

    def enrol(self, sequence: Sequence) -> bool:
        """Records the enrolment unless the patient is already in a sequence (then False)."""
        state_update: TransactWriteItemTypeDef
        if sequence.ended_at is None:
            state_update = {
                "Update": {
                    "TableName": self._table,
                    "Key": self._state_key(sequence.practice_id, sequence.patient_id),
                    "UpdateExpression": "SET active_sequence_id = :sid",
                    "ConditionExpression": "attribute_not_exists(active_sequence_id)",
                    "ExpressionAttributeValues": to_attributes({":sid": sequence.sequence_id}),
                }
            }
        else:  # a holdout enrolment: recorded, ended at once, never contacted
            state_update = {
                "Update": {
                    "TableName": self._table,
                    "Key": self._state_key(sequence.practice_id, sequence.patient_id),
                    "UpdateExpression": "SET last_sequence_ended_at = :ended",
                    "ConditionExpression": "attribute_not_exists(active_sequence_id)",
                    "ExpressionAttributeValues": to_attributes(
                        {":ended": sequence.ended_at.isoformat()}
                    ),
                }
            }
        try:
            self._client.transact_write_items(
                TransactItems=[
                    state_update,
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_attributes(self._sequence_item(sequence)),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def due(self, practice_id: str, now: datetime) -> Iterator[Sequence]:
        """The practice's sequences whose next step is due at `now` (sparse index, no scan)."""
        for item in query(
            self._client,
            TableName=self._table,
            IndexName="DueSteps",
            KeyConditionExpression="gsi3pk = :pk AND gsi3sk <= :upto",
            ExpressionAttributeValues=to_attributes(
                {":pk": Keys.collection(practice_id, "DUE"), ":upto": f"{iso(now)}#\uffff"}
            ),
        ):
            yield Sequence.model_validate(model_fields(Sequence, item))

    def replace(self, old: Sequence, new: Sequence) -> bool:
        """Moves `old` to `new` if nobody moved it first; an ended sequence frees the patient."""
        # The sequence must still be where the caller saw it: a concurrent run moves it once.
        put: dict[str, Any] = {
            "TableName": self._table,
            "Item": to_attributes(self._sequence_item(new)),
            "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(next_step)",
        }
        if old.next_step is not None:
            put["ConditionExpression"] = "attribute_exists(pk) AND next_step = :step"
            put["ExpressionAttributeValues"] = to_attributes({":step": old.next_step})
        items: list[TransactWriteItemTypeDef] = [{"Put": put}]  # type: ignore[typeddict-item]
        if new.ended_at is not None and old.ended_at is None:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": self._state_key(new.practice_id, new.patient_id),
                        "UpdateExpression": (
                            "REMOVE active_sequence_id SET last_sequence_ended_at = :ended"
                        ),
                        "ConditionExpression": "active_sequence_id = :sid",
                        "ExpressionAttributeValues": to_attributes(
                            {":ended": new.ended_at.isoformat(), ":sid": new.sequence_id}
                        ),
                    }
                }
            )
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def active(self, practice_id: str, patient_id: str) -> Sequence | None:
        response = self._client.get_item(
            TableName=self._table, Key=self._state_key(practice_id, patient_id), ConsistentRead=True
        )
        active_id = from_attributes(response.get("Item", {})).get("active_sequence_id")
        if not active_id:
            return None
        return self.get(practice_id, patient_id, str(active_id))
