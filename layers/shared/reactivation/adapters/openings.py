"""A practice's openings, in time order in their own partition; a chosen one is held with a
conditional write, so that two patients can never get the same time."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from reactivation.adapters.items import (
    Keys,
    TableRepository,
    conditionally,
    iso,
    model_fields,
    model_item,
    put_new,
    query,
    to_attributes,
)
from reactivation.domain.conversation import BookingRequest, Opening

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


class OpeningRepository(TableRepository):
    """`empty_cache_seconds` > 0 remembers, for that long in this instance, that a practice
    has no upcoming openings (most practices never publish any: a yes to them then costs no
    query); a practice with openings is read fresh every time."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        *,
        empty_cache_seconds: float = 0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(client, table)
        self._empty_cache_seconds = empty_cache_seconds
        self._monotonic = monotonic
        self._none_at: dict[str, float] = {}

    @staticmethod
    def _key(practice_id: str, opening: Opening) -> dict[str, str]:
        return {
            "pk": Keys.collection(practice_id, "OPENINGS"),
            "sk": f"OPENING#{iso(opening.starts_at)}#{opening.opening_id}",
        }

    def publish(self, practice_id: str, openings: Sequence[Opening]) -> int:
        """Adds the openings (one already there, open or held, is left as it is); returns how
        many were new. Each expires a day after its start."""
        added = 0
        for opening in openings:
            item = {
                **self._key(practice_id, opening),
                "kind": "opening",
                "status": "open",
                "expires_at": int((opening.starts_at + timedelta(days=1)).timestamp()),
                **model_item(opening),
            }
            added += put_new(self._client, self._table, item)
        return added

    def upcoming(self, practice_id: str, start: datetime, end: datetime) -> list[Opening]:
        """The open ones starting in [start, end), in time order."""
        seen_none = self._none_at.get(practice_id)
        if seen_none is not None and self._monotonic() - seen_none < self._empty_cache_seconds:
            return []
        found = self._upcoming(practice_id, start, end)
        if not found and self._empty_cache_seconds > 0:
            self._none_at[practice_id] = self._monotonic()
        return found

    def _upcoming(self, practice_id: str, start: datetime, end: datetime) -> list[Opening]:
        return [
            Opening.model_validate(model_fields(Opening, item))
            for item in query(
                self._client,
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND sk BETWEEN :start AND :end",
                FilterExpression="#status = :open",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_attributes({
                    ":pk": Keys.collection(practice_id, "OPENINGS"),
                    ":start": f"OPENING#{iso(start)}", ":end": f"OPENING#{iso(end)}",
                    ":open": "open",
                }),
                ConsistentRead=True,
            )
        ]  # fmt: skip

    def hold(self, practice_id: str, opening: Opening, patient_id: str, at: datetime) -> bool:
        """Holds the opening for the patient if it is still open (or already theirs: a reply
        delivered again): of two patients choosing it at once, exactly one gets it (False for
        the other)."""
        return conditionally(
            lambda: self._client.update_item(
                TableName=self._table,
                Key=to_attributes(self._key(practice_id, opening)),
                UpdateExpression="SET #status = :held, held_by = :patient, held_at = :at",
                ConditionExpression="#status = :open OR held_by = :patient",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_attributes(
                    {":held": "held", ":open": "open", ":patient": patient_id, ":at": iso(at)}
                ),
            )
        )

    def requested_write(self, request: BookingRequest) -> TransactWriteItemTypeDef:
        """A transaction's write that records the booking request in the practice's
        `BOOKINGS` collection, in time order (what the weekly report counts)."""
        return {
            "Put": {
                "TableName": self._table,
                "Item": to_attributes({
                    "pk": Keys.collection(request.practice_id, "BOOKINGS"),
                    "sk": f"{iso(request.requested_at)}#{request.reply_id}",
                    "kind": "booking_request",
                    **model_item(request),
                }),
            }
        }  # fmt: skip

    def requested_between(
        self, practice_id: str, start: datetime, end: datetime
    ) -> list[BookingRequest]:
        """The booking requests made in [start, end), oldest first."""
        return [
            BookingRequest.model_validate(model_fields(BookingRequest, item))
            for item in query(
                self._client,
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND sk BETWEEN :start AND :end",
                ExpressionAttributeValues=to_attributes({
                    ":pk": Keys.collection(practice_id, "BOOKINGS"),
                    ":start": iso(start), ":end": iso(end),
                }),
                ConsistentRead=True,
            )
        ]  # fmt: skip
