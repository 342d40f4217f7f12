"""Patients' replies, stored with their classification (per number: the number is the recipient)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from reactivation.adapters.items import (
    Keys,
    TableRepository,
    count_between,
    iso,
    items_between,
    model_fields,
    model_item,
    to_attributes,
    with_prefix,
)
from reactivation.domain.conversation import Intent, Reply

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


class ReplyRepository(TableRepository):
    def _item(self, reply: Reply, recorded_at: datetime) -> dict[str, object]:
        return {
            "pk": Keys.number(reply.practice_id, reply.from_number),
            "sk": f"REPLY#{iso(reply.received_at)}#{reply.inbound_message_id}",
            "gsi1pk": Keys.collection(reply.practice_id, "REPLIES"),
            "gsi1sk": f"{iso(recorded_at)}#{reply.inbound_message_id}",
            "kind": "reply",
            **model_item(reply),
            "recorded_at": iso(recorded_at),
        }

    def save_write(self, reply: Reply, recorded_at: datetime) -> TransactWriteItemTypeDef:
        """The reply stored once, as a transaction's write (it fails if it was stored)."""
        return {
            "Put": {
                "TableName": self._table,
                "Item": to_attributes(self._item(reply, recorded_at)),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def conversation(self, practice_id: str, number: str) -> list[Reply]:
        """A number's replies to this practice, oldest first (what staff read)."""
        return [
            Reply.model_validate(model_fields(Reply, item))
            for item in with_prefix(
                self._client, self._table, Keys.number(practice_id, number), "REPLY#"
            )
        ]

    def find(self, practice_id: str, inbound_message_id: str) -> Reply | None:
        """A reply by its inbound message id (for staff tools: reads the practice's replies)."""
        for item in self._collection(
            Keys.collection(practice_id, "REPLIES"),
            values={":id": inbound_message_id},
            FilterExpression="inbound_message_id = :id",
        ):
            return Reply.model_validate(model_fields(Reply, item))
        return None

    def correct(self, reply: Reply, intent: Intent, at: datetime) -> bool:
        """Staff's correction of a reply's intent: kept with the classifier's, and counted
        (by when it was made) for the weekly report. False: it already had that intent."""
        if reply.intent is intent:
            return False
        self._client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": to_attributes(
                            {
                                "pk": Keys.number(reply.practice_id, reply.from_number),
                                "sk": f"REPLY#{iso(reply.received_at)}#{reply.inbound_message_id}",
                            }
                        ),
                        "UpdateExpression": "SET intent = :new, corrected_from = "
                        "if_not_exists(corrected_from, :old), corrected_at = :at",
                        "ExpressionAttributeValues": to_attributes(
                            {":new": intent.value, ":old": reply.intent.value, ":at": iso(at)}
                        ),
                    }
                },
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_attributes(
                            {
                                "pk": Keys.practice(reply.practice_id),
                                "sk": f"CORRECTION#{iso(at)}#{reply.inbound_message_id}",
                                "gsi1pk": Keys.collection(reply.practice_id, "CORRECTIONS"),
                                "gsi1sk": f"{iso(at)}#{reply.inbound_message_id}",
                                "kind": "correction",
                                "from_intent": reply.intent.value,
                                "to_intent": intent.value,
                            }
                        ),
                    }
                },
            ]
        )
        return True

    def corrections(self, practice_id: str, start: datetime, end: datetime) -> int:
        return count_between(
            self._client, self._table, Keys.collection(practice_id, "CORRECTIONS"), start, end
        )

    def between(self, practice_id: str, start: datetime, end: datetime) -> list[Reply]:
        """The practice's replies recorded in [start, end), oldest first."""
        return [
            Reply.model_validate(model_fields(Reply, item))
            for item in items_between(
                self._client, self._table, Keys.collection(practice_id, "REPLIES"), start, end
            )
        ]
