"""Opt-outs, per contact (a mobile number or an email address) and per practice."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from reactivation.adapters.items import (
    Keys,
    TableRepository,
    from_attributes,
    is_condition_failure,
    iso,
    to_attributes,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


class ConsentRepository(TableRepository):
    def _key(self, practice_id: str, contact: str) -> dict[str, object]:
        return {"pk": Keys.number(practice_id, contact), "sk": "CONSENT"}

    def opted_out(self, practice_id: str, contacts: Iterable[str | None]) -> frozenset[str]:
        """Which of these contacts have opted out of this practice's messages."""
        wanted = sorted({c for c in contacts if c})
        if not wanted:
            return frozenset()
        response = self._client.batch_get_item(
            RequestItems={
                self._table: {
                    "Keys": [to_attributes(self._key(practice_id, c)) for c in wanted],
                    "ConsistentRead": True,
                }
            }
        )
        found = set()
        for attributes in response.get("Responses", {}).get(self._table, []):
            item = from_attributes(attributes)
            if item.get("status") == "opted_out":
                found.add(str(item["contact"]))
        if response.get("UnprocessedKeys"):
            raise RuntimeError("opt-out lookup incomplete; refusing to guess")
        return frozenset(found)

    def all_opted_out(self, practice_id: str) -> frozenset[str]:
        """Every contact opted out of this practice (one query: opt-outs are few), for a
        segmentation that decides for thousands of patients at once."""
        return frozenset(
            str(item["contact"])
            for item in self._collection(
                Keys.collection(practice_id, "CONSENTS"),
                values={":out": "opted_out"},
                FilterExpression="#status = :out",
                ExpressionAttributeNames={"#status": "status"},
            )
        )

    def change_writes(
        self, practice_id: str, contact: str, *, opted_out: bool, at: datetime,
        recorded_at: datetime, changes: bool,
    ) -> list[TransactWriteItemTypeDef]:  # fmt: skip
        """An opt-out or opt-in as transaction writes, applied only if no later one (by the
        carrier's clock) was; `changes`: it changes the status (an opt-out is then logged for
        the weekly counts)."""
        status = "opted_out" if opted_out else "opted_in"
        writes: list[TransactWriteItemTypeDef] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": to_attributes(self._key(practice_id, contact)),
                    "UpdateExpression": "SET #status = :status, changed_at = :at, "
                    "contact = :contact, gsi1pk = :consents, gsi1sk = :contact",
                    "ConditionExpression": "attribute_not_exists(changed_at) OR changed_at < :at",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": to_attributes({
                        ":status": status, ":at": iso(at), ":contact": contact,
                        ":consents": Keys.collection(practice_id, "CONSENTS"),
                    }),
                }
            }
        ]  # fmt: skip
        if changes and opted_out:
            writes.append({"Put": {"TableName": self._table, "Item": to_attributes(
                self._opt_out_log(practice_id, contact, at, recorded_at))}})  # fmt: skip
        return writes

    @staticmethod
    def _opt_out_log(
        practice_id: str, contact: str, at: datetime, recorded_at: datetime
    ) -> dict[str, object]:
        return {
            "pk": Keys.number(practice_id, contact),
            "sk": f"OPTOUT#{iso(at)}",
            "gsi1pk": Keys.collection(practice_id, "OPTOUTS"),
            "gsi1sk": f"{iso(recorded_at)}#{contact}",
            "kind": "opt_out",
        }

    def record(
        self,
        practice_id: str,
        contact: str,
        *,
        opted_out: bool,
        at: datetime,
        recorded_at: datetime,
    ) -> bool:
        """Applies an opt-out or opt-in in the carrier's timestamp order (`at`). True if it changed.

        An opt-out is also logged, by `recorded_at`, for the weekly counts.
        """
        status = "opted_out" if opted_out else "opted_in"
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=to_attributes(self._key(practice_id, contact)),
                UpdateExpression="SET #status = :status, changed_at = :at, contact = :contact, "
                "gsi1pk = :consents, gsi1sk = :contact",
                ConditionExpression="attribute_not_exists(changed_at) OR changed_at < :at",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_attributes(
                    {
                        ":status": status,
                        ":at": iso(at),
                        ":contact": contact,
                        ":consents": Keys.collection(practice_id, "CONSENTS"),
                    }
                ),
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False  # a later change already applies
            raise
        previous = from_attributes(response.get("Attributes", {})).get("status", "opted_in")
        changed: bool = previous != status
        if changed and opted_out:
            self._client.put_item(
                TableName=self._table,
                Item=to_attributes(self._opt_out_log(practice_id, contact, at, recorded_at)),
            )
        return changed
