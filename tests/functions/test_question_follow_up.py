"""question_follow_up through the segment function's follow-up run, against moto: an answered
question with nothing left to send is followed up once, by a one-step sequence the send function
guards like any other; a patient who wrote again or booked is not asked."""

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from reactivation.adapters.items import TransactionWriter
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.question_follow_ups import QuestionFollowUps
from reactivation.adapters.replies import ReplyRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain.conversation import Intent, Reply
from reactivation.domain.outreach import PendingFollowUp
from reactivation.domain.patients import AppointmentStatus
from tests.builders import at, visit
from tests.conftest import Aws
from tests.functions.helpers import queued, scheduled, seed
from tests.functions.test_segment import run_units

Handler = Callable[[dict[str, Any]], Any]
ANSWERED = at("2026-11-20 11:00")
DUE = ANSWERED + timedelta(days=5)


def pending(aws: Aws) -> PendingFollowUp:
    follow_up = PendingFollowUp(
        practice_id="bright-smile", patient_id="P-1", answered_at=ANSWERED, due_at=DUE
    )
    QuestionFollowUps(aws.client("dynamodb"), aws.table).schedule(follow_up)
    return follow_up


def follow_up_run(aws: Aws, segment: Handler, when: str) -> list[dict[str, Any]]:
    segment(scheduled("follow_ups", when))
    run_units(aws, segment)
    return [json.loads(m["Body"]) for m in queued(aws)]


def test_an_answered_question_is_followed_up_once_when_due(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    seed(aws)
    pending(aws)
    segment = load_function("SegmentFunction")
    assert follow_up_run(aws, segment, "2026-11-25T15:59:00Z") == []  # not yet: due 16:00
    [job] = follow_up_run(aws, segment, "2026-11-25T16:00:00Z")
    assert (job["patient_id"], job["campaign"], job["step"], job["channel"]) == (
        "P-1", "question_follow_up", 1, "sms"
    )  # fmt: skip
    sequence = SequenceRepository(aws.client("dynamodb"), aws.table).get(
        "bright-smile", "P-1", job["sequence_id"]
    )
    assert sequence is not None and sequence.end_reason == "completed"  # its one step queued
    assert follow_up_run(aws, segment, "2026-11-26T16:00:00Z") == []  # once, never twice


def test_a_patient_who_booked_is_not_asked(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    seed(aws)
    pending(aws)
    booked = visit("P-1", "2026-12-10", status=AppointmentStatus.SCHEDULED)
    PatientRepository(aws.client("dynamodb"), aws.table).save_appointment("bright-smile", booked)
    assert follow_up_run(aws, load_function("SegmentFunction"), "2026-11-25T16:00:00Z") == []
    assert list(QuestionFollowUps(aws.client("dynamodb"), aws.table).due("bright-smile", DUE)) == []


def test_a_patient_who_wrote_again_is_not_asked(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    seed(aws)
    pending(aws)
    reply = Reply(practice_id="bright-smile", inbound_message_id="in-2", from_number="+12125550101",
                  body="ok", received_at=ANSWERED + timedelta(hours=1), intent=Intent.OTHER,
                  notify_staff=False, patient_ids=("P-1",))  # fmt: skip
    dynamodb = aws.client("dynamodb")
    TransactionWriter(dynamodb).write(
        [ReplyRepository(dynamodb, aws.table).save_write(reply, recorded_at=reply.received_at)]
    )
    assert follow_up_run(aws, load_function("SegmentFunction"), "2026-11-25T16:00:00Z") == []
