"""Sequences and the patient state the system learned (active sequence, cooldown, snooze)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from reactivation.adapters.items import (
    Keys,
    TableRepository,
    due_items,
    from_attributes,
    is_condition_failure,
    iso,
    items_between,
    model_fields,
    model_item,
    record_index,
    to_attributes,
)
from reactivation.adapters.question_follow_ups import QuestionFollowUps
from reactivation.domain import sequences as sequences_domain
from reactivation.domain.outreach import Enrolment, PendingFollowUp
from reactivation.domain.patients import CompletedSequence, PatientHistory
from reactivation.domain.types import Campaign

#: The index attributes every update of a patient's state sets (values from `_indexed`).
STATE_INDEX = "gsi4pk = :g4pk, gsi4sk = :g4sk, patient_id = :pid"

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

    # Only a type here: the reply classifier behind it is not loaded by the functions that
    # never read a reply.
    from reactivation.domain.reply_plan import PatientChange


#: The state item's attribute of a campaign's latest sequence that sent every step.
COMPLETED = "completed_"


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def _active_campaign(sequence_id: str) -> Campaign | None:
    """The campaign of a sequence, from its id (`sequences.sequence_id`: start-campaign)."""
    _, _, campaign = sequence_id.partition("-")
    return Campaign(campaign) if campaign in Campaign._value2member_map_ else None


def history_from_state(state: Mapping[str, Any], opted_out: frozenset[str]) -> PatientHistory:
    """What the system learned about a patient, from their state item (empty: nothing yet)."""
    ended = state.get("last_sequence_ended_at")
    snoozed = state.get("snoozed_until")
    active = state.get("active_sequence_id")
    completed = {
        Campaign(key.removeprefix(COMPLETED)): CompletedSequence.model_validate(value)
        for key, value in state.items()
        if key.startswith(COMPLETED) and key.removeprefix(COMPLETED) in Campaign._value2member_map_
    }
    return PatientHistory(
        active_sequence_id=str(active) if active else None,
        active_campaign=_active_campaign(str(active)) if active else None,
        completed=completed,
        last_reply_at=_moment(state.get("last_reply_at")),
        rescued_at=_moment(state.get("rescued_at")),
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


class SequenceRepository(TableRepository):
    def _sequence_item(self, sequence: Enrolment) -> dict[str, Any]:
        item: dict[str, Any] = {
            "pk": Keys.patient(sequence.practice_id, sequence.patient_id),
            "sk": f"SEQUENCE#{sequence.sequence_id}",
            "kind": "sequence",
            # every enrolment of the practice by its start (the weekly report's)
            "gsi1pk": Keys.collection(sequence.practice_id, "ENROLMENTS"),
            "gsi1sk": f"{iso(sequence.started_at)}#{sequence.patient_id}#{sequence.sequence_id}",
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

    def started_between(self, practice_id: str, start: datetime, end: datetime) -> list[Enrolment]:
        """The practice's enrolments (holdout ones too) started in [start, end)."""
        return [
            Enrolment.model_validate(model_fields(Enrolment, item))
            for item in items_between(
                self._client, self._table, Keys.collection(practice_id, "ENROLMENTS"), start, end
            )
        ]

    def history(
        self, practice_id: str, patient_id: str, opted_out: frozenset[str]
    ) -> PatientHistory:
        response = self._client.get_item(
            TableName=self._table, Key=self._state_key(practice_id, patient_id), ConsistentRead=True
        )
        return history_from_state(from_attributes(response.get("Item", {})), opted_out)

    @staticmethod
    def _indexed(practice_id: str, patient_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """`values` with the PatientRecords index attributes the state item always carries
        (the segmentation reads it with the patient's other items)."""
        index = record_index(practice_id, patient_id, "STATE")
        return {**values, ":g4pk": index["gsi4pk"], ":g4sk": index["gsi4sk"], ":pid": patient_id}

    def _update_state(
        self,
        practice_id: str,
        patient_id: str,
        assignments: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
        add: str | None = None,
        remove: str | None = None,
    ) -> None:
        expression = f"SET {STATE_INDEX}" + (f", {assignments}" if assignments else "")
        expression += f" REMOVE {remove}" if remove else ""
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._state_key(practice_id, patient_id),
            "UpdateExpression": expression + (f" ADD {add}" if add else ""),
            "ExpressionAttributeValues": to_attributes(
                self._indexed(practice_id, patient_id, values)
            ),
        }
        if names:
            request["ExpressionAttributeNames"] = names
        self._client.update_item(**request)

    def snooze(self, practice_id: str, patient_id: str, until: date) -> None:
        self._update_state(
            practice_id, patient_id, "snoozed_until = :until", {":until": until.isoformat()}
        )

    def hold(self, practice_id: str, patient_id: str, reason: str) -> None:
        """No outreach until staff close it (service recovery)."""
        self._update_state(practice_id, patient_id, "hold_reason = :reason", {":reason": reason})

    def release_hold(self, practice_id: str, patient_id: str) -> None:
        """Staff closed the matter: outreach may resume (by the usual rules)."""
        self._update_state(practice_id, patient_id, "", {}, remove="hold_reason")

    def get(self, practice_id: str, patient_id: str, sequence_id: str) -> Enrolment | None:
        response = self._client.get_item(
            TableName=self._table,
            Key=to_attributes(
                {"pk": Keys.patient(practice_id, patient_id), "sk": f"SEQUENCE#{sequence_id}"}
            ),
            ConsistentRead=True,
        )
        if "Item" not in response:
            return None
        return Enrolment.model_validate(model_fields(Enrolment, from_attributes(response["Item"])))

    def enrol(self, sequence: Enrolment) -> bool:
        """Records the enrolment unless the patient is already in a sequence (then False)."""
        return bool(self.enrol_all([sequence]))

    def _enrolment(self, sequence: Enrolment) -> list[TransactWriteItemTypeDef]:
        """The two writes of an enrolment: the patient's state (unless already in a sequence)
        and the sequence itself."""
        practice, patient = sequence.practice_id, sequence.patient_id
        state_update: TransactWriteItemTypeDef
        # A rescue (a holdout one too) blocks another for 30 days.
        is_rescue = sequence.campaign is Campaign.MISSED_APPOINTMENT
        rescued = ", rescued_at = :rescued" if is_rescue else ""
        rescue_values = {":rescued": sequence.started_at.isoformat()} if rescued else {}
        if sequence.ended_at is None:
            state_update = {
                "Update": {
                    "TableName": self._table,
                    "Key": self._state_key(sequence.practice_id, sequence.patient_id),
                    "UpdateExpression": f"SET {STATE_INDEX}, active_sequence_id = :sid{rescued}",
                    "ConditionExpression": "attribute_not_exists(active_sequence_id)",
                    "ExpressionAttributeValues": to_attributes(
                        self._indexed(
                            practice, patient, {":sid": sequence.sequence_id, **rescue_values}
                        )
                    ),
                }
            }
        else:  # a holdout enrolment: recorded, ended at once, never contacted
            ended = {":ended": sequence.ended_at.isoformat(), **rescue_values}
            state_update = {
                "Update": {
                    "TableName": self._table,
                    "Key": self._state_key(sequence.practice_id, sequence.patient_id),
                    "UpdateExpression": (
                        f"SET {STATE_INDEX}, last_sequence_ended_at = :ended{rescued}"
                    ),
                    "ConditionExpression": "attribute_not_exists(active_sequence_id)",
                    "ExpressionAttributeValues": to_attributes(
                        self._indexed(practice, patient, ended)
                    ),
                }
            }
        put: TransactWriteItemTypeDef = {
            "Put": {
                "TableName": self._table,
                "Item": to_attributes(self._sequence_item(sequence)),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        return [state_update, put]

    def enrol_all(
        self,
        enrolments: Sequence[Enrolment],
        together: Mapping[tuple[str, str], Sequence[TransactWriteItemTypeDef]] | None = None,
        over: Mapping[str, str] | None = None,
    ) -> list[Enrolment]:
        """Records many enrolments in few requests (up to 100 writes per transaction); returns
        the ones recorded. A patient who got into a sequence meanwhile is left out (his
        condition fails, the transaction is cancelled and sent again without him).
        `together` holds, by (patient id, sequence id), other writes that go with an
        enrolment, all or nothing; `over`, by patient id, the sequence a rescue ends
        (`preempt_writes`)."""
        extra = together or {}
        replacing = over or {}
        groups = [
            [
                *(
                    self.preempt_writes(replacing[s.patient_id], s)
                    if s.patient_id in replacing
                    else self._enrolment(s)
                ),
                *extra.get((s.patient_id, s.sequence_id), ()),
            ]
            for s in enrolments
        ]
        return self._write_groups(groups, list(enrolments))

    def _write_groups[T](
        self, groups: list[list[TransactWriteItemTypeDef]], owners: list[T]
    ) -> list[T]:
        """Writes groups of actions (each group all or nothing) in transactions of up to 100
        actions; a group whose condition fails is dropped and the rest sent again. Returns the
        owners of the groups written."""
        written: list[T] = []
        start = 0
        while start < len(groups):
            batch: list[int] = []
            size = 0
            while (
                start + len(batch) < len(groups) and size + len(groups[start + len(batch)]) <= 100
            ):
                size += len(groups[start + len(batch)])
                batch.append(start + len(batch))
            pending = batch
            while pending:
                actions = [action for i in pending for action in groups[i]]
                try:
                    self._client.transact_write_items(TransactItems=actions)
                except ClientError as error:
                    if not is_condition_failure(error):
                        raise
                    failed = self._failed_groups(error, [len(groups[i]) for i in pending])
                    if not failed:
                        raise  # cancelled for another reason (a conflict): the caller retries
                    pending = [i for n, i in enumerate(pending) if n not in failed]
                    continue
                written += [owners[i] for i in pending]
                pending = []
            start += len(batch)
        return written

    @staticmethod
    def _failed_groups(error: ClientError, sizes: list[int]) -> set[int]:
        """Which groups' conditions failed, from the transaction's cancellation reasons."""
        reasons = error.response.get("CancellationReasons", [])
        failed, offset = set(), 0
        for n, size in enumerate(sizes):
            codes = [r.get("Code") for r in reasons[offset : offset + size]]
            if "ConditionalCheckFailed" in codes:
                failed.add(n)
            offset += size
        return failed

    def due(self, practice_id: str, now: datetime) -> Iterator[Enrolment]:
        """The practice's sequences whose next step is due at `now` (sparse index, no scan)."""
        # parked send jobs and question follow-ups share the index
        for item in due_items(self._client, self._table, practice_id, now, "sequence"):
            yield Enrolment.model_validate(model_fields(Enrolment, item))

    def replace(self, old: Enrolment, new: Enrolment) -> bool:
        """Moves `old` to `new` if nobody moved it first; an ended sequence frees the patient."""
        return bool(self.replace_all([(old, new)]))

    def replace_all(self, moves: Sequence[tuple[Enrolment, Enrolment]]) -> list[Enrolment]:
        """Many moves in few requests; returns the new sequences of the moves made."""
        groups = [self._replacement(old, new) for old, new in moves]
        return self._write_groups(groups, [new for _, new in moves])

    def _replacement(self, old: Enrolment, new: Enrolment) -> list[TransactWriteItemTypeDef]:
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
            update: dict[str, Any] = {
                "TableName": self._table,
                "Key": self._state_key(new.practice_id, new.patient_id),
                "UpdateExpression": "REMOVE active_sequence_id SET last_sequence_ended_at = :ended",
                "ConditionExpression": "active_sequence_id = :sid",
                "ExpressionAttributeValues": to_attributes(
                    {":ended": new.ended_at.isoformat(), ":sid": new.sequence_id}
                    | self._completed_values(new)
                ),
            }
            if new.end_reason == "completed":  # every step went: the no-reply cooldowns' facts
                update["UpdateExpression"] += ", #done = :done"
                update["ExpressionAttributeNames"] = {"#done": COMPLETED + new.campaign.value}
            items.append({"Update": update})  # type: ignore[typeddict-item]
        return items

    @staticmethod
    def _completed_values(sequence: Enrolment) -> dict[str, Any]:
        if sequence.end_reason != "completed" or sequence.ended_at is None:
            return {}
        done = CompletedSequence(started_at=sequence.started_at, last_step_at=sequence.ended_at)
        return {":done": done.model_dump(mode="json")}

    def preempt_writes(
        self, active_sequence_id: str, sequence: Enrolment
    ) -> list[TransactWriteItemTypeDef]:
        """A rescue enrolled over a sequence of lower priority (campaigns.md, "Sequences"):
        that sequence ends ("rescue") and the new one takes its place, all or nothing, if the
        patient is still in it. Written instead of `_enrolment`'s writes."""
        practice, patient, at = sequence.practice_id, sequence.patient_id, sequence.started_at
        stop: TransactWriteItemTypeDef = {
            "Update": {
                "TableName": self._table,
                "Key": to_attributes(
                    {"pk": Keys.patient(practice, patient), "sk": f"SEQUENCE#{active_sequence_id}"}
                ),
                "UpdateExpression": "SET ended_at = :at, end_reason = :reason "
                "REMOVE next_step, next_step_due_at, gsi3pk, gsi3sk",
                "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(ended_at)",
                "ExpressionAttributeValues": to_attributes(
                    {":at": model_item(sequence)["started_at"], ":reason": "rescue"}
                ),
            }
        }
        values: dict[str, Any] = {":old": active_sequence_id, ":ended": at.isoformat()}
        values[":rescued"] = at.isoformat()
        expression = f"SET {STATE_INDEX}, last_sequence_ended_at = :ended, rescued_at = :rescued"
        if sequence.ended_at is None:
            expression += ", active_sequence_id = :sid"
            values[":sid"] = sequence.sequence_id
        else:  # a holdout rescue: the patient is in no sequence after it
            expression += " REMOVE active_sequence_id"
        state: TransactWriteItemTypeDef = {
            "Update": {
                "TableName": self._table,
                "Key": self._state_key(practice, patient),
                "UpdateExpression": expression,
                "ConditionExpression": "active_sequence_id = :old",
                "ExpressionAttributeValues": to_attributes(
                    self._indexed(practice, patient, values)
                ),
            }
        }
        put: TransactWriteItemTypeDef = {
            "Put": {
                "TableName": self._table,
                "Item": to_attributes(self._sequence_item(sequence)),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        return [stop, state, put]

    def enrol_over(self, active_sequence_id: str, sequence: Enrolment) -> bool:
        """`preempt_writes` written; False if the patient moved meanwhile."""
        return bool(self._write_groups([self.preempt_writes(active_sequence_id, sequence)], [1]))

    def change_writes(
        self,
        practice_id: str,
        patient_id: str,
        active: Enrolment | None,
        change: PatientChange,
        declined_so_far: Mapping[Campaign, date],
        now: datetime,
        replied_at: datetime | None = None,
    ) -> list[TransactWriteItemTypeDef]:
        """A reply's change to one patient, as transaction writes: the active sequence ended
        or paused (if it is still where it was read), and one update of their state.
        `replied_at`: the reply's time, kept as the patient's latest reply (a sequence that
        got one is answered: no no-reply cooldown follows it)."""
        writes: list[TransactWriteItemTypeDef] = []
        assignments: list[str] = []
        values: dict[str, Any] = {}
        if replied_at is not None:
            assignments.append("last_reply_at = :replied")
            values[":replied"] = replied_at.isoformat()
        removes: list[str] = []
        condition: str | None = None
        if change.stop and active is not None:
            stopped = sequences_domain.stopped(active, now, change.stop)
            put = self._replacement(active, stopped)[0]
            writes.append(put)
            removes.append("active_sequence_id")
            assignments.append("last_sequence_ended_at = :ended")
            values[":ended"] = now.isoformat()
            condition = "active_sequence_id = :sid"
            values[":sid"] = active.sequence_id
        elif change.pause and active is not None:
            # the step waits for staff, or for the pause's deadline (then it resumes itself)
            writes += self._replacement(active, sequences_domain.paused(active, now))
        if change.follow_up_at is not None:
            follow_up = PendingFollowUp(
                practice_id=practice_id,
                patient_id=patient_id,
                answered_at=now,
                due_at=change.follow_up_at,
            )
            writes.append(QuestionFollowUps(self._client, self._table).schedule_write(follow_up))
        if change.snoozed_until is not None:
            assignments.append("snoozed_until = :until")
            values[":until"] = change.snoozed_until.isoformat()
        if change.hold is not None:
            assignments.append("hold_reason = :hold")
            values[":hold"] = change.hold
        if change.declined is not None:
            declined = {c.value: d.isoformat() for c, d in declined_so_far.items()}
            declined[change.declined.value] = now.date().isoformat()
            assignments.append("declined = :declined")
            values[":declined"] = declined
        add = None
        if change.invalid_contact is not None:
            add = "invalid_contacts :contact"
            values[":contact"] = {change.invalid_contact}
        if not (assignments or removes or add):
            return writes
        expression = f"SET {STATE_INDEX}" + "".join(f", {a}" for a in assignments)
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        if add:
            expression += f" ADD {add}"
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._state_key(practice_id, patient_id),
            "UpdateExpression": expression,
            "ExpressionAttributeValues": to_attributes(
                self._indexed(practice_id, patient_id, values)
            ),
        }
        if condition:
            update["ConditionExpression"] = condition
        writes.append({"Update": update})  # type: ignore[typeddict-item]
        return writes

    def active(self, practice_id: str, patient_id: str) -> Enrolment | None:
        response = self._client.get_item(
            TableName=self._table, Key=self._state_key(practice_id, patient_id), ConsistentRead=True
        )
        active_id = from_attributes(response.get("Item", {})).get("active_sequence_id")
        if not active_id:
            return None
        return self.get(practice_id, patient_id, str(active_id))
