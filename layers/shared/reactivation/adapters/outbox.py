"""The record of every outbound message: claimed before it is sent, so that it is sent once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from reactivation.adapters.items import (
    Keys,
    from_attributes,
    is_condition_failure,
    iso,
    items_between,
    model_fields,
    put_new,
    to_attributes,
)
from reactivation.adapters.spend import SmsSpend
from reactivation.domain.outreach import SendJob, SendStatus
from reactivation.domain.sms import SmsEncoding
from reactivation.domain.types import Campaign, Channel

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

    from reactivation.domain.metrics import PaidText, SentMessage
    from reactivation.domain.sms import TextKind


class Claim(StrEnum):
    CLAIMED = "claimed"  # this worker may send it now
    DONE = "done"  # sent or cancelled before
    IN_DOUBT = "in_doubt"  # an earlier attempt stopped between claiming and confirming
    REFUSED = "refused"  # one of the writes claimed with it did not hold (see its position)


class OutboxRepository(SmsSpend):  # its texts' spend, for the monthly budget
    def _key(self, job: SendJob) -> dict[str, Any]:
        return {"pk": Keys.patient(job.practice_id, job.patient_id), "sk": f"MESSAGE#{job.job_id}"}

    def status(self, job: SendJob) -> SendStatus | None:
        response = self._client.get_item(
            TableName=self._table, Key=to_attributes(self._key(job)), ConsistentRead=True
        )
        status = from_attributes(response.get("Item", {})).get("status")
        return SendStatus(status) if status else None

    def claim(
        self, job: SendJob, at: datetime, together: Sequence[TransactWriteItemTypeDef] = ()
    ) -> tuple[Claim, int | None]:
        """Claims the job, in one transaction with `together` (checks and writes that must
        hold at the same moment). REFUSED comes with the position in `together` of the first
        write whose condition failed."""
        claim: TransactWriteItemTypeDef = {
            "Put": {
                "TableName": self._table,
                "Item": to_attributes(
                    {
                        **self._key(job),
                        "kind": "message",
                        "status": SendStatus.SENDING.value,
                        "claimed_at": iso(at),
                        # claimed, not yet confirmed: the confirmation moves it to SENT
                        "gsi1pk": Keys.collection(job.practice_id, "IN_FLIGHT"),
                        "gsi1sk": f"{iso(at)}#{job.job_id}",
                        **job.model_dump(mode="json"),
                    }
                ),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        try:
            self._client.transact_write_items(TransactItems=[claim, *together])
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            codes = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            failed = [n for n, code in enumerate(codes) if code == "ConditionalCheckFailed"]
            if not failed:
                raise  # cancelled by a conflict with another transaction: retried by the caller
            if failed[0] > 0:
                return Claim.REFUSED, failed[0] - 1
            status = self.status(job)
            return (Claim.IN_DOUBT if status is SendStatus.SENDING else Claim.DONE), None
        return Claim.CLAIMED, None

    def release(self, job: SendJob) -> None:
        """Gives the claim back after a send that certainly failed, so that a retry may send."""
        self._client.delete_item(
            TableName=self._table,
            Key=to_attributes(self._key(job)),
            ConditionExpression="#status = :sending",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_attributes({":sending": SendStatus.SENDING.value}),
        )

    def sent(
        self,
        job: SendJob,
        *,
        channel_message_id: str,
        at: datetime,
        encoding: SmsEncoding | None = None,
        contact: str | None = None,
        spend_month: str | None = None,
    ) -> None:
        """Confirms the send: the channel's message id and, for a text, its encoding and
        segments (what the carrier bills). A text's `contact` (the number it went to) is kept
        with its message id, in the same transaction, for its delivery receipt, and its
        segments added to its `spend_month`'s (the practice's budget month)."""
        segments = encoding.segments if encoding else 0
        update = dict(
            TableName=self._table,
            Key=to_attributes(self._key(job)),
            UpdateExpression=(
                "SET #status = :sent, channel_message_id = :mid, #segments = :segments, "
                "#encoding = :encoding, sent_at = :at, gsi1pk = :coll, gsi1sk = :order"
            ),
            ConditionExpression="#status = :sending",
            ExpressionAttributeNames={
                "#status": "status",
                "#segments": "segments",
                "#encoding": "encoding",
            },
            ExpressionAttributeValues=to_attributes(
                {
                    ":encoding": encoding.encoding if encoding else "email",
                    ":sent": SendStatus.SENT.value,
                    ":sending": SendStatus.SENDING.value,
                    ":mid": channel_message_id,
                    ":segments": segments,
                    ":at": iso(at),
                    ":coll": Keys.collection(job.practice_id, "SENT"),
                    ":order": f"{iso(at)}#{job.job_id}",
                }
            ),
        )
        if contact is None or encoding is None:
            self._client.update_item(**update)  # type: ignore[arg-type]
            return
        from reactivation.adapters.receipts import SentText, pointer_write

        text = SentText(job.practice_id, job.patient_id, job.job_id, contact)
        writes: list[TransactWriteItemTypeDef] = [
            {"Update": update},  # type: ignore[typeddict-item]
            pointer_write(self._table, channel_message_id, text, at),
        ]
        if spend_month is not None:
            writes.append(self.spend_write(job.practice_id, spend_month, segments, at))
        self._client.transact_write_items(TransactItems=writes)

    def unconfirmed(self, practice_id: str, claimed_before: datetime) -> list[SendJob]:
        """Messages claimed before `claimed_before` and never confirmed: the channel may or
        may not have taken them (a crash in between). They are never sent again on their own;
        a person checks the channel's records (by job id) and the patient's phone."""
        return [
            SendJob.model_validate(model_fields(SendJob, item))
            for item in self._collection(
                Keys.collection(practice_id, "IN_FLIGHT"),
                order="gsi1sk < :before",
                values={":before": iso(claimed_before)},
            )
        ]

    def cancelled(self, job: SendJob, *, reason: str, at: datetime) -> None:
        """Records that the job will never be sent, and why (unless it was settled before)."""
        put_new(
            self._client,
            self._table,
            {
                **self._key(job),
                "kind": "message",
                "status": SendStatus.CANCELLED.value,
                "cancel_reason": reason,
                "cancelled_at": iso(at),
                **job.model_dump(mode="json"),
            },
        )

    def messages_between(
        self, practice_id: str, start: datetime, end: datetime
    ) -> list[SentMessage]:
        """Every message sent in [start, end): to whom, of which enrolment, by which channel,
        its segments (what the carrier bills) and when."""
        # The report's metrics are the report function's: the send function never loads them.
        from reactivation.domain.metrics import SentMessage

        return [
            SentMessage(
                patient_id=str(item["patient_id"]),
                sequence_id=str(item["sequence_id"]),
                campaign=Campaign(item["campaign"]),
                channel=Channel(item["channel"]),
                segments=int(item.get("segments", 0)),
                sent_at=datetime.fromisoformat(str(item["sent_at"])),
                # the carrier's receipt, once recorded: "delivered" or "failed"
                delivered=(
                    None if item.get("delivery") is None else item.get("delivery") == "delivered"
                ),
            )
            for item in items_between(
                self._client, self._table, Keys.collection(practice_id, "SENT"), start, end
            )
        ]

    def first_sent_at(self, practice_id: str) -> datetime | None:
        """When the practice's first message went out (None: nothing yet); one small query."""
        response = self._client.query(
            TableName=self._table,
            IndexName="ByCollection",
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues=to_attributes({":pk": Keys.collection(practice_id, "SENT")}),
            ScanIndexForward=True,
            Limit=1,
        )
        items = [from_attributes(item) for item in response.get("Items", [])]
        return datetime.fromisoformat(str(items[0]["sent_at"])) if items else None

    def record_text(
        self, practice_id: str, message_id: str, kind: TextKind, segments: int, at: datetime
    ) -> None:
        """Keeps a billed text that is not outreach (an answer, a confirmation, a staff reply):
        its kind and segments only, never its number or words; once per channel message id."""
        key = {"pk": Keys.collection(practice_id, f"TEXT#{message_id}"), "sk": "TEXT"}
        self._client.update_item(  # the same text recorded twice is one text
            TableName=self._table,
            Key=to_attributes(key),
            UpdateExpression="SET kind = :kind, text_kind = :text_kind, #segments = :segments, "
            "sent_at = if_not_exists(sent_at, :at), gsi1pk = :coll, "
            "gsi1sk = if_not_exists(gsi1sk, :order)",
            ExpressionAttributeNames={"#segments": "segments"},
            ExpressionAttributeValues=to_attributes({
                ":kind": "text", ":text_kind": kind.value, ":segments": segments, ":at": iso(at),
                ":coll": Keys.collection(practice_id, "TEXTS"), ":order": f"{iso(at)}#{message_id}",
            }),
        )  # fmt: skip

    def texts_between(self, practice_id: str, start: datetime, end: datetime) -> list[PaidText]:
        """The billed texts that are not outreach, sent in [start, end)."""
        from reactivation.domain.metrics import PaidText
        from reactivation.domain.sms import TextKind

        return [
            PaidText(
                kind=TextKind(item["text_kind"]),
                segments=int(item.get("segments", 0)),
                sent_at=datetime.fromisoformat(str(item["sent_at"])),
            )
            for item in items_between(
                self._client, self._table, Keys.collection(practice_id, "TEXTS"), start, end
            )
        ]
