"""The staff inbox's own items: server-side sessions, the audit trail of staff actions, and
the reads a conversation page needs (the messages sent to a patient, the times held for them).

Sessions are the table's one other exception to "every key starts with its practice": a
session belongs to a user, who may work for several practices. Its key is the SHA-256 of the
cookie's random token (the token itself is never stored), and it expires with the table's TTL.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from reactivation.adapters.items import (
    Keys,
    TableRepository,
    conditionally,
    from_attributes,
    iso,
    model_fields,
    model_item,
    to_attributes,
    with_prefix,
)
from reactivation.domain.conversation import Offer
from reactivation.domain.staff_access import AuditEntry, StaffSession


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionRepository(TableRepository):
    @staticmethod
    def _key(token: str) -> dict[str, str]:
        return {"pk": f"STAFFSESSION#{_token_hash(token)}", "sk": "SESSION"}

    def save(self, token: str, session: StaffSession) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=to_attributes({
                **self._key(token), "kind": "staff_session",
                "session": session.model_dump_json(),
                "expires_at": int(session.expires_at.timestamp()),
            }),
            ConditionExpression="attribute_not_exists(pk)",
        )  # fmt: skip

    def replace(self, token: str, session: StaffSession) -> None:
        """The session's user changed (a second factor set up): the same token, still there."""
        self._client.put_item(
            TableName=self._table,
            Item=to_attributes({
                **self._key(token), "kind": "staff_session",
                "session": session.model_dump_json(),
                "expires_at": int(session.expires_at.timestamp()),
            }),
            ConditionExpression="attribute_exists(pk)",
        )  # fmt: skip

    def get(self, token: str) -> StaffSession | None:
        if not token or len(token) > 200:
            return None
        response = self._client.get_item(
            TableName=self._table, Key=to_attributes(self._key(token)), ConsistentRead=True
        )
        item = from_attributes(response.get("Item", {}))
        if "session" not in item:
            return None
        return StaffSession.model_validate_json(str(item["session"]))

    def delete(self, token: str) -> None:
        self._client.delete_item(TableName=self._table, Key=to_attributes(self._key(token)))


class AuditRepository(TableRepository):
    """Each staff action, kept in the conversation's handoff partition, in time order."""

    @staticmethod
    def _pk(practice_id: str, handoff_id: str) -> str:
        return Keys.collection(practice_id, f"HANDOFF#{handoff_id}#AUDIT")

    def record(self, entry: AuditEntry) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=to_attributes({
                "pk": self._pk(entry.practice_id, entry.handoff_id),
                # two actions of one moment (a frozen business clock) in the order they came
                "sk": f"AUDIT#{iso(entry.at)}#{time.time_ns():020d}{uuid.uuid4().hex[:6]}",
                "kind": "audit", **model_item(entry),
            }),
        )  # fmt: skip

    def trail(self, practice_id: str, handoff_id: str) -> list[AuditEntry]:
        return [
            AuditEntry.model_validate(model_fields(AuditEntry, item))
            for item in with_prefix(
                self._client, self._table, self._pk(practice_id, handoff_id), "AUDIT#"
            )
        ]


@dataclass(frozen=True)
class SentStep:
    """A campaign's message to the patient (its words are not stored: its campaign and step)."""

    at: datetime
    campaign: str
    step: int
    channel: str
    status: str


@dataclass(frozen=True)
class HeldTime:
    opening_key: str  # the opening's sort key (a time and a provider: no patient data)
    starts_at: datetime
    provider: str | None
    patient_id: str
    status: str  # held, booked


class ConversationReads(TableRepository):
    def sent_steps(self, practice_id: str, patient_ids: Iterable[str]) -> list[SentStep]:
        steps = []
        for patient_id in patient_ids:
            for item in with_prefix(
                self._client,
                self._table,
                Keys.patient(practice_id, patient_id),
                "MESSAGE#",
                consistent=False,
            ):
                at = item.get("sent_at") or item.get("created_at")
                if not at:
                    continue
                steps.append(SentStep(
                    at=datetime.fromisoformat(str(at)), campaign=str(item.get("campaign", "")),
                    step=int(item.get("step", 0)), channel=str(item.get("channel", "")),
                    status=str(item.get("status", "")),
                ))  # fmt: skip
        return sorted(steps, key=lambda s: s.at)

    def open_offer(self, practice_id: str, number: str) -> Offer | None:
        """The times offered to the number by text and not picked yet (None: none)."""
        response = self._client.get_item(
            TableName=self._table,
            Key=to_attributes({"pk": Keys.number(practice_id, number), "sk": "OFFER"}),
            ConsistentRead=True,
        )
        item = from_attributes(response.get("Item", {}))
        return Offer.model_validate(item["offer"]) if "offer" in item else None

    def _openings_pk(self, practice_id: str) -> str:
        return Keys.collection(practice_id, "OPENINGS")

    def held_times(self, practice_id: str, patient_ids: Iterable[str]) -> list[HeldTime]:
        """The practice's openings held for (or booked by staff for) these patients."""
        wanted = set(patient_ids)
        if not wanted:
            return []
        found = []
        for item in with_prefix(
            self._client,
            self._table,
            self._openings_pk(practice_id),
            "OPENING#",
            FilterExpression="attribute_exists(held_by)",
        ):
            if item.get("held_by") in wanted:
                found.append(HeldTime(
                    opening_key=str(item["sk"]),
                    starts_at=datetime.fromisoformat(str(item["starts_at"])),
                    provider=str(item["provider"]) if item.get("provider") else None,
                    patient_id=str(item["held_by"]), status=str(item.get("status", "")),
                ))  # fmt: skip
        return found

    def settle_hold(
        self,
        practice_id: str,
        opening_key: str,
        patient_ids: Iterable[str],
        at: datetime,
        *,
        booked: bool,
    ) -> bool:
        """A held time confirmed (booked) or released (open again for anyone); only one still
        held for one of these patients (False otherwise: nothing changed)."""
        if not opening_key.startswith("OPENING#"):
            return False
        values: dict[str, object] = {":held": "held", ":at": iso(at)}
        allowed = []
        for n, patient_id in enumerate(patient_ids):
            values[f":p{n}"] = patient_id
            allowed.append(f":p{n}")
        if not allowed:
            return False
        condition = f"#status = :held AND held_by IN ({', '.join(allowed)})"
        if booked:
            expression = "SET #status = :booked, booked_at = :at"
            values.update({":booked": "booked"})
        else:
            expression = "SET #status = :open, released_at = :at REMOVE held_by, held_at"
            values.update({":open": "open"})
        return conditionally(
            lambda: self._client.update_item(
                TableName=self._table,
                Key=to_attributes({"pk": self._openings_pk(practice_id), "sk": opening_key}),
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_attributes(values),
            )
        )
