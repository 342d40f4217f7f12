"""The repositories against moto, with the table exactly as template.yaml declares it."""

from datetime import timedelta

import pytest

from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.items import TransactionWriter, WritesRefused
from reactivation.adapters.openings import OpeningRepository
from reactivation.adapters.outbox import Claim, OutboxRepository
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.queue import SendQueue
from reactivation.adapters.recipients import RecipientRepository
from reactivation.adapters.replies import ReplyRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain import sequences, sms
from reactivation.domain.conversation import Intent, Opening, Reply
from reactivation.domain.outreach import Decision, NumberSend, PendingStep, SendStatus
from reactivation.domain.patients import Plan, PlanKind, PlanStatus
from reactivation.domain.types import Campaign, Channel
from tests.builders import at, make_patient, make_practice, visit
from tests.conftest import Aws

RUN = at("2026-11-24 10:00")


def test_practices_are_listed_and_found_by_their_sending_number(aws: Aws) -> None:
    practices = PracticeRepository(aws.client("dynamodb"), aws.table)
    practices.save(make_practice())
    practices.save(make_practice(practice_id="other", sending_number="+13105550199"))
    assert sorted(practices.all_ids()) == ["bright-smile", "other"]
    assert practices.owner_of_number("+13105550199") == "other"
    assert practices.owner_of_number("+19995550000") is None
    assert practices.get("bright-smile") == make_practice()


def test_a_patient_record_and_the_patients_sharing_a_number(aws: Aws) -> None:
    patients = PatientRepository(aws.client("dynamodb"), aws.table)
    patients.save("bright-smile", make_patient("P-1"))
    patients.save("bright-smile", make_patient("P-2", first_name="Leo"))  # same family phone
    patients.save("other", make_patient("P-9"))
    patients.save_appointment("bright-smile", visit("P-1", "2026-04-20"))
    record = patients.record("bright-smile", "P-1")
    assert record is not None and record.patient == make_patient("P-1")
    assert [a.appointment_id for a in record.appointments] == ["P-1-2026-04-20-hygiene"]
    assert sorted(patients.ids("bright-smile")) == ["P-1", "P-2"]
    assert patients.ids_with_mobile("bright-smile", "+12125550101") == ["P-1", "P-2"]
    assert patients.record("bright-smile", "P-9") is None  # another practice's patient


def test_plans_come_back_with_the_record(aws: Aws) -> None:
    patients = PatientRepository(aws.client("dynamodb"), aws.table)
    patients.save("bright-smile", make_patient("P-1"))
    series = Plan(plan_id="PL-1", patient_id="P-1", kind=PlanKind.SERIES, created_on=RUN.date(),
                  sessions_planned=6, sessions_completed=2, status=PlanStatus.OPEN)  # fmt: skip
    patients.save_plan("bright-smile", series)
    record = patients.record("bright-smile", "P-1")
    assert record is not None and record.plans == (series,)


def test_opt_out_and_opt_in_apply_in_carrier_timestamp_order(aws: Aws) -> None:
    consent = ConsentRepository(aws.client("dynamodb"), aws.table)
    number = "+12125550101"
    assert consent.record("p", number, opted_out=True, at=RUN, recorded_at=RUN)
    assert consent.opted_out("p", [number, None]) == {number}
    # a START sent before the STOP but delivered after it changes nothing
    assert not consent.record("p", number, opted_out=False, at=RUN - timedelta(minutes=1),
                              recorded_at=RUN)  # fmt: skip
    assert consent.opted_out("p", [number]) == {number}
    assert consent.record(
        "p", number, opted_out=False, at=RUN + timedelta(minutes=1), recorded_at=RUN
    )
    assert consent.opted_out("p", [number]) == frozenset()
    assert consent.opted_out("other-practice", [number]) == frozenset()


def test_enrolment_is_once_per_patient_and_due_steps_come_from_the_index(aws: Aws) -> None:
    repository = SequenceRepository(aws.client("dynamodb"), aws.table)
    decision = Decision(patient_id="P-1", campaign=Campaign.RECALL_DUE, channel=Channel.SMS)
    sequence = sequences.start("bright-smile", decision, RUN)
    assert repository.enrol(sequence)
    assert not repository.enrol(sequences.start("bright-smile", decision, RUN + timedelta(days=7)))
    assert repository.history("bright-smile", "P-1", frozenset()).in_sequence
    assert [s.sequence_id for s in repository.due("bright-smile", RUN)] == [sequence.sequence_id]
    moved = sequences.after_step_queued(sequence)
    assert repository.replace(sequence, moved)
    assert not repository.replace(sequence, moved)  # someone else moved it first
    assert list(repository.due("bright-smile", RUN + timedelta(days=3))) == []
    assert [s.next_step for s in repository.due("bright-smile", RUN + timedelta(days=4))] == [2]
    assert repository.replace(moved, sequences.stopped(moved, RUN, "opt_out"))
    history = repository.history("bright-smile", "P-1", frozenset())
    assert not history.in_sequence and history.last_sequence_ended_at == RUN
    assert repository.active("bright-smile", "P-1") is None


def test_the_outbox_claims_a_job_once(aws: Aws) -> None:
    outbox = OutboxRepository(aws.client("dynamodb"), aws.table)
    decision = Decision(patient_id="P-1", campaign=Campaign.RECALL_DUE, channel=Channel.SMS)
    job = sequences.job_for_due_step(sequences.start("bright-smile", decision, RUN), RUN)
    assert outbox.claim(job, RUN) == (Claim.CLAIMED, None)
    assert outbox.claim(job, RUN) == (Claim.IN_DOUBT, None)
    assert outbox.unconfirmed("bright-smile", RUN + timedelta(minutes=10)) == [job]
    assert outbox.unconfirmed("bright-smile", RUN) == []  # claimed later than that
    outbox.release(job)
    assert outbox.unconfirmed("bright-smile", RUN + timedelta(minutes=10)) == []
    assert outbox.status(job) is None
    assert outbox.claim(job, RUN) == (Claim.CLAIMED, None)
    outbox.sent(job, channel_message_id="m-1", at=RUN, encoding=sms.encode("x" * 200))
    assert outbox.unconfirmed("bright-smile", RUN + timedelta(minutes=10)) == []
    assert outbox.claim(job, RUN) == (Claim.DONE, None)
    assert outbox.status(job) is SendStatus.SENT
    week = (RUN - timedelta(days=1), RUN + timedelta(days=1))
    [message] = outbox.messages_between("bright-smile", *week)
    assert (message.patient_id, message.sequence_id, message.campaign) == (
        "P-1",
        job.sequence_id,
        Campaign.RECALL_DUE,
    )
    assert (message.channel, message.segments, message.sent_at) == (Channel.SMS, 2, RUN)
    assert outbox.messages_between("bright-smile", RUN + timedelta(seconds=1), week[1]) == []


def test_replies_are_stored_once_and_counted_by_week(aws: Aws) -> None:
    replies = ReplyRepository(aws.client("dynamodb"), aws.table)
    reply = Reply(practice_id="p", inbound_message_id="in-1", from_number="+12125550101",
                  body="hello", received_at=RUN, intent=Intent.OTHER, notify_staff=True,
                  patient_ids=("P-1",))  # fmt: skip
    writer = TransactionWriter(aws.client("dynamodb"))
    writer.write([replies.save_write(reply, recorded_at=RUN)])
    with pytest.raises(WritesRefused):  # stored once: a second write of it is refused
        writer.write([replies.save_write(reply, recorded_at=RUN + timedelta(seconds=5))])
    recipient = RecipientRepository(aws.client("dynamodb"), aws.table).read("p", "+12125550101")
    assert recipient.has_reply("in-1") and recipient.replies == ((RUN, "in-1", "hello"),)
    [stored] = replies.between("p", RUN - timedelta(days=1), RUN + timedelta(days=1))
    assert (stored.inbound_message_id, stored.recorded_at) == ("in-1", RUN)


def test_the_queue_sends_in_batches_of_ten(aws: Aws) -> None:
    sqs = aws.client("sqs")
    queue = SendQueue(sqs, aws.ref("SendQueue"))
    decision = Decision(patient_id="P-1", campaign=Campaign.RECALL_DUE, channel=Channel.SMS)
    jobs = [
        sequences.job_for_due_step(sequences.start(f"p{i}", decision, RUN), RUN) for i in range(23)
    ]
    queue.enqueue(jobs)
    attributes = sqs.get_queue_attributes(
        QueueUrl=aws.ref("SendQueue"), AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "23"


def test_a_sequence_after_its_last_step_reads_back(aws: Aws) -> None:
    """The last step's send reads its ended sequence (found by the demo: it failed to parse)."""
    repository = SequenceRepository(aws.client("dynamodb"), aws.table)
    decision = Decision(patient_id="P-1", campaign=Campaign.MISSED_APPOINTMENT, channel=Channel.SMS)
    sequence = sequences.start("bright-smile", decision, RUN)
    assert repository.enrol(sequence)
    first = sequences.after_step_queued(sequence)
    assert repository.replace(sequence, first)
    last = sequences.after_step_queued(first)  # missed_appointment has two steps
    assert last.ended_at is not None and last.next_step is None
    assert repository.replace(first, last)
    assert repository.get("bright-smile", "P-1", sequence.sequence_id) == last


def test_a_claim_is_refused_by_an_opt_out_and_by_a_send_to_the_number_in_between(
    aws: Aws,
) -> None:
    client = aws.client("dynamodb")
    outbox, recipients = OutboxRepository(client, aws.table), RecipientRepository(client, aws.table)
    number = "+12125550101"
    jobs = [
        sequences.job_for_due_step(
            sequences.start(
                "bright-smile",
                Decision(patient_id=p, campaign=Campaign.RECALL_DUE, channel=Channel.SMS),
                RUN,
            ),
            RUN,
        )
        for p in ("P-1", "P-2", "P-3")
    ]
    step = PendingStep(patient_id="P-2", campaign=Campaign.RECALL_DUE, due_at=RUN)
    client.transact_write_items(
        TransactItems=[recipients.pending_step("bright-smile", number, step)]
    )
    seen = recipients.read("bright-smile", number)  # two workers read the same state
    assert seen.pending == (step,) and seen.version == 0 and not seen.opted_out

    def together(job_index: int) -> list:  # type: ignore[type-arg]
        job = jobs[job_index]
        send = NumberSend(at=RUN, patient_id=job.patient_id, job_id=job.job_id)
        return [
            recipients.not_opted_out("bright-smile", number),
            *recipients.take_slot(seen, "bright-smile", send),
        ]

    assert outbox.claim(jobs[1], RUN, together(1)) == (Claim.CLAIMED, None)
    after = recipients.read("bright-smile", number)
    assert after.version == 1 and after.pending == ()  # P-2's step is no longer pending
    assert [s.patient_id for s in after.sends] == ["P-2"]
    # the second worker decided on the old state: its claim is refused, nothing written
    assert outbox.claim(jobs[0], RUN, together(0)) == (Claim.REFUSED, 1)
    assert outbox.status(jobs[0]) is None
    ConsentRepository(client, aws.table).record(
        "bright-smile", number, opted_out=True, at=RUN, recorded_at=RUN
    )
    assert outbox.claim(jobs[2], RUN, together(2)) == (Claim.REFUSED, 0)
    assert recipients.read("bright-smile", number).opted_out


def test_openings_a_practice_lacks_are_remembered_briefly_and_those_it_has_never(
    aws: Aws,
) -> None:
    clock = [0.0]
    repository = OpeningRepository(aws.client("dynamodb"), aws.table, empty_cache_seconds=60,
                                   monotonic=lambda: clock[0])  # fmt: skip
    window = (RUN, RUN + timedelta(days=21))
    assert repository.upcoming("bright-smile", *window) == []
    opening = Opening(starts_at=RUN + timedelta(days=2))
    OpeningRepository(aws.client("dynamodb"), aws.table).publish("bright-smile", [opening])
    assert repository.upcoming("bright-smile", *window) == []  # remembered: none, a minute
    clock[0] = 60.0
    assert repository.upcoming("bright-smile", *window) == [opening]
    assert repository.hold("bright-smile", opening, "P-1", RUN)
    assert repository.upcoming("bright-smile", *window) == []  # read fresh: held now
