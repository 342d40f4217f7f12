"""A contact as one recipient of a practice: its opt-out, the outreach it got lately and the
steps queued for it, all in the contact's own partition, read in one query.

Items of `PRACTICE#<practice>#NUMBER#<contact>`:
- `CONSENT`: opt-out / opt-in (written by the consent repository);
- `SENDS`: the outreach sent to the number in the last 31 days, and a version bumped by each
  send (the claim that takes the number's daily slot is conditional on it); and `last_sent`,
  the last text of any kind (outreach, an offer, a confirmation, an answer) a reply is read
  against, written with the send or with the reply it answered;
- `PENDING#<patient>`: a step queued for that patient on this number and not yet sent;
- `REPLY#<carrier time>#<inbound id>`: its replies (written by the reply repository);
- `OFFER`: the open times it was last offered, until one is picked;
- `ANSWERS#<inbound id>`: the claim on a reply's answers (each goes out at most once).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from reactivation.adapters.items import Keys, TableRepository, iso, query, to_attributes
from reactivation.domain.conversation import AnswerClaim, LastSent, Offer
from reactivation.domain.outreach import NumberSend, PendingStep, Recipient

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

#: How long a reply's answer claim is kept (SNS gives up on a delivery within an hour).
ANSWER_MEMORY = timedelta(days=7)

#: How long a send is remembered on the number (the longest cap is 4 in any 30 days).
SEND_MEMORY = timedelta(days=31)


class RecipientRepository(TableRepository):
    def read(self, practice_id: str, contact: str) -> Recipient:
        opted_out, version = False, 0
        changed_at: datetime | None = None
        sends: list[NumberSend] = []
        pending: list[PendingStep] = []
        replies: list[tuple[datetime, str, str]] = []
        offer: Offer | None = None
        answers: dict[str, AnswerClaim] = {}
        last_sent: LastSent | None = None
        for item in query(
            self._client,
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_attributes({":pk": Keys.number(practice_id, contact)}),
            ConsistentRead=True,
        ):
            sk = str(item["sk"])
            if sk == "CONSENT":
                opted_out = item.get("status") == "opted_out"
                if item.get("changed_at"):
                    changed_at = datetime.fromisoformat(item["changed_at"])
            elif sk.startswith("REPLY#"):
                replies.append((datetime.fromisoformat(item["received_at"]),
                                str(item["inbound_message_id"]), str(item["body"])))  # fmt: skip
            elif sk == "SENDS":
                version = int(item.get("version", 0))
                sends = [NumberSend.model_validate(s) for s in item.get("sent", [])]
                if item.get("last_sent"):
                    last_sent = LastSent.model_validate(item["last_sent"])
            elif sk.startswith("PENDING#"):
                pending.append(PendingStep.model_validate(item["step"]))
            elif sk == "OFFER":
                offer = Offer.model_validate(item["offer"])
            elif sk.startswith("ANSWERS#"):
                answers[sk.removeprefix("ANSWERS#")] = AnswerClaim(
                    released=item.get("status") == "released", done=frozenset(item.get("done", []))
                )
        return Recipient(
            contact=contact,
            opted_out=opted_out,
            sends=tuple(sends),
            pending=tuple(pending),
            version=version,
            consent_changed_at=changed_at,
            replies=tuple(replies),
            offer=offer,
            answers=answers,
            last_sent=last_sent,
        )

    def claim_answers(
        self, practice_id: str, contact: str, inbound_message_id: str, now: datetime
    ) -> bool:
        """Takes the claim on a reply's answers: False if another delivery has it, or had it
        and did not give it back."""
        key = {"pk": Keys.number(practice_id, contact), "sk": f"ANSWERS#{inbound_message_id}"}
        try:
            self._client.update_item(
                TableName=self._table,
                Key=to_attributes(key),
                UpdateExpression="SET kind = :kind, #status = :claimed, claimed_at = :now, "
                "done = if_not_exists(done, :none), expires_at = :expires",
                ConditionExpression="attribute_not_exists(pk) OR #status = :released",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_attributes({
                    ":kind": "answers", ":claimed": "claimed", ":released": "released",
                    ":now": iso(now), ":none": [],
                    ":expires": int((now + ANSWER_MEMORY).timestamp()),
                }),
            )  # fmt: skip
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release_answers(
        self, practice_id: str, contact: str, inbound_message_id: str, done: Sequence[str]
    ) -> None:
        """Gives the claim back after a send failed for sure, with what had gone out."""
        key = {"pk": Keys.number(practice_id, contact), "sk": f"ANSWERS#{inbound_message_id}"}
        self._client.update_item(
            TableName=self._table,
            Key=to_attributes(key),
            UpdateExpression="SET #status = :released, done = :done",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_attributes({":released": "released",
                                                     ":done": sorted(set(done))}),
        )  # fmt: skip

    def offer_write(self, practice_id: str, contact: str, offer: Offer) -> TransactWriteItemTypeDef:
        """A transaction's write that keeps the times offered to the contact (in place of any
        earlier offer); it expires with the offer's lifetime's end, a day late."""
        return {
            "Put": {
                "TableName": self._table,
                "Item": to_attributes({
                    "pk": Keys.number(practice_id, contact), "sk": "OFFER", "kind": "offer",
                    "offer": offer.model_dump(mode="json"),
                    "expires_at": int((offer.offered_at + timedelta(days=4)).timestamp()),
                }),
            }
        }  # fmt: skip

    def offer_taken_write(self, practice_id: str, contact: str) -> TransactWriteItemTypeDef:
        """A transaction's write that ends the contact's offer (a time was picked)."""
        return {
            "Delete": {
                "TableName": self._table,
                "Key": to_attributes({"pk": Keys.number(practice_id, contact), "sk": "OFFER"}),
            }
        }

    def pending_step(
        self, practice_id: str, contact: str, step: PendingStep
    ) -> TransactWriteItemTypeDef:
        """The write that marks a step queued for this contact (part of a transaction)."""
        return {
            "Put": {
                "TableName": self._table,
                "Item": to_attributes(
                    {
                        "pk": Keys.number(practice_id, contact),
                        "sk": f"PENDING#{step.patient_id}",
                        "kind": "pending_step",
                        "step": step.model_dump(mode="json"),
                    }
                ),
            }
        }

    def not_opted_out(self, practice_id: str, contact: str) -> TransactWriteItemTypeDef:
        """A transaction's check that the contact has not opted out (at the moment it runs)."""
        return {
            "ConditionCheck": {
                "TableName": self._table,
                "Key": to_attributes({"pk": Keys.number(practice_id, contact), "sk": "CONSENT"}),
                "ConditionExpression": "attribute_not_exists(#status) OR #status <> :out",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": to_attributes({":out": "opted_out"}),
            }
        }

    def last_sent_write(
        self, practice_id: str, contact: str, last: LastSent
    ) -> TransactWriteItemTypeDef:
        """A transaction's write that keeps the last text sent to the contact (an answer to
        its reply); the outreach sends and their version are left as they are."""
        return {
            "Update": {
                "TableName": self._table,
                "Key": to_attributes({"pk": Keys.number(practice_id, contact), "sk": "SENDS"}),
                "UpdateExpression": "SET last_sent = :last",
                "ExpressionAttributeValues": to_attributes(
                    {":last": last.model_dump(mode="json", exclude_none=True)}
                ),
            }
        }

    def take_slot(
        self,
        recipient: Recipient,
        practice_id: str,
        send: NumberSend,
        last_sent: LastSent | None = None,
    ) -> list[TransactWriteItemTypeDef]:
        """A transaction's writes that record `send` on the number (and, with it, the last text
        sent to it), conditional on nobody having sent to it since `recipient` was read, and
        clear the patient's pending step."""
        kept = [
            s for s in recipient.sends if s.at > send.at - SEND_MEMORY and s.job_id != send.job_id
        ]
        pk = Keys.number(practice_id, recipient.contact)
        values: dict[str, Any] = {
            ":sent": [s.model_dump(mode="json") for s in (*kept, send)],
            ":next": recipient.version + 1,
            ":at": iso(send.at),
        }
        update = "SET sent = :sent, version = :next, last_sent_at = :at"
        if last_sent is not None:
            update += ", last_sent = :last"
            values[":last"] = last_sent.model_dump(mode="json", exclude_none=True)
        condition = "attribute_not_exists(version)"
        if recipient.version:
            condition = "version = :version"
            values[":version"] = recipient.version
        return [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": to_attributes({"pk": pk, "sk": "SENDS"}),
                    "UpdateExpression": update,
                    "ConditionExpression": condition,
                    "ExpressionAttributeValues": to_attributes(values),
                }
            },
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": to_attributes({"pk": pk, "sk": f"PENDING#{send.patient_id}"}),
                }
            },
        ]

    def clear_pending(self, practice_id: str, contact: str, patient_ids: Sequence[str]) -> None:
        """Removes these patients' pending steps (their jobs were cancelled)."""
        for patient_id in patient_ids:
            self._client.delete_item(
                TableName=self._table,
                Key=to_attributes(
                    {"pk": Keys.number(practice_id, contact), "sk": f"PENDING#{patient_id}"}
                ),
            )
