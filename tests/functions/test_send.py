"""The send function against moto: checks when sending, one send per job, partial batches."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.outbox import OutboxRepository
from reactivation.adapters.parking import ParkedJobs
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.recipients import RecipientRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain import sequences
from reactivation.domain.conversation import LastSent, SentKind
from reactivation.domain.outreach import Decision, Enrolment, PendingStep, SendJob, SendStatus
from reactivation.domain.patients import AppointmentStatus
from reactivation.domain.practice import MessageOverride
from reactivation.domain.types import Campaign, Channel
from tests.builders import at, make_patient, make_practice, visit
from tests.conftest import Aws
from tests.functions.helpers import queued, scheduled, seed, sent_emails, sent_sms, sqs_event
from tests.functions.test_segment import run_units

Handler = Callable[[dict[str, Any]], Any]
RUN = at("2026-11-24 10:00")


def enrolled_job(
    aws: Aws,
    patient_id: str = "P-1",
    channel: Channel = Channel.SMS,
    campaign: Campaign = Campaign.RECALL_DUE,
    pending_on: str | None = None,
) -> SendJob:
    """A patient enrolled and their first step due; `pending_on`: the step marked pending on
    that number with the enrolment, as the segmentation does for SMS."""
    decision = Decision(patient_id=patient_id, campaign=campaign, channel=channel)
    sequence = sequences.start("bright-smile", decision, RUN)
    dynamodb = aws.client("dynamodb")
    together = {}
    if pending_on is not None:
        step = PendingStep(patient_id=patient_id, campaign=campaign, due_at=RUN)
        marker = RecipientRepository(dynamodb, aws.table).pending_step(
            "bright-smile", pending_on, step
        )
        together[patient_id, sequence.sequence_id] = [marker]
    assert SequenceRepository(dynamodb, aws.table).enrol_all([sequence], together)
    return sequences.job_for_due_step(sequence, RUN)


@pytest.fixture
def send(
    aws: Aws, load_function: Callable[[str], Handler], frozen_clock: Callable[[Any], None]
) -> Handler:
    frozen_clock(RUN)
    return load_function("SendFunction")


def test_a_job_is_rendered_and_published_once(aws: Aws, send: Handler) -> None:
    seed(aws)
    job = enrolled_job(aws)
    event = sqs_event(aws, [job.model_dump_json(), job.model_dump_json()])
    assert send(event) == {"batchItemFailures": []}
    assert sent_sms() == [
        (
            "+12125550101",
            "Hi Ana, it's Bright Smile Dental. You're due for your regular checkup visit. "
            "Reply YES to book or LATER for a later date. Reply STOP to opt out.",
        )
    ]
    assert send(sqs_event(aws, [job.model_dump_json()])) == {"batchItemFailures": []}
    assert len(sent_sms()) == 1
    outbox = OutboxRepository(aws.client("dynamodb"), aws.table)
    assert outbox.status(job) is SendStatus.SENT
    item = aws.client("dynamodb").get_item(TableName=aws.table, Key={
        "pk": {"S": "PRACTICE#bright-smile#PATIENT#P-1"}, "sk": {"S": f"MESSAGE#{job.job_id}"}
    })["Item"]  # fmt: skip
    assert (item["encoding"]["S"], item["segments"]["N"]) == ("GSM-7", "1")
    assert item["channel_message_id"]["S"]  # SNS's message id


def test_an_opt_out_that_arrived_while_the_job_waited_cancels_it(aws: Aws, send: Handler) -> None:
    seed(aws)
    job = enrolled_job(aws)
    ConsentRepository(aws.client("dynamodb"), aws.table).record(
        "bright-smile", "+12125550101", opted_out=True, at=RUN, recorded_at=RUN
    )
    assert send(sqs_event(aws, [job.model_dump_json()])) == {"batchItemFailures": []}
    assert sent_sms() == []
    assert OutboxRepository(aws.client("dynamodb"), aws.table).status(job) is SendStatus.CANCELLED


def test_a_booking_that_appeared_meanwhile_cancels_it(aws: Aws, send: Handler) -> None:
    seed(aws)
    job = enrolled_job(aws)
    PatientRepository(aws.client("dynamodb"), aws.table).save_appointment(
        "bright-smile", visit("P-1", "2026-12-01", status=AppointmentStatus.SCHEDULED)
    )
    send(sqs_event(aws, [job.model_dump_json()]))
    assert sent_sms() == []


def paused_after_queueing(aws: Aws) -> tuple[SendJob, Enrolment]:
    """Ana enrolled, her first step queued at RUN, then her sequence paused by a reply."""
    seed(aws)
    job = enrolled_job(aws)
    repository = SequenceRepository(aws.client("dynamodb"), aws.table)
    (sequence,) = repository.due("bright-smile", RUN)
    queued_step = sequences.after_step_queued(sequence)
    repository.replace(sequence, queued_step)
    paused = sequences.paused(queued_step, RUN)
    repository.replace(queued_step, paused)
    return job, paused


def test_a_step_queued_before_a_question_paused_its_sequence_waits_until_staff_answer(
    aws: Aws, load_function: Callable[[str], Handler], frozen_clock: Callable[[Any], None]
) -> None:
    # step 1 queued at 10:00; before it goes out the patient asks a question (from an
    # earlier campaign's thread) and the sequence pauses: the text waits with it
    job, paused = paused_after_queueing(aws)
    repository = SequenceRepository(aws.client("dynamodb"), aws.table)
    frozen_clock(RUN + timedelta(minutes=5))
    send = load_function("SendFunction")
    assert send(sqs_event(aws, [job.model_dump_json()])) == {"batchItemFailures": []}
    assert sent_sms() == []
    parking = ParkedJobs(aws.client("dynamodb"), aws.table)
    assert list(parking.due("bright-smile", RUN + timedelta(minutes=64))) == []
    assert list(parking.due("bright-smile", RUN + timedelta(minutes=65))) == [job]  # an hour on
    outbox = OutboxRepository(aws.client("dynamodb"), aws.table)
    assert outbox.status(job) is None  # neither sent nor cancelled: it still may go
    # an hour on, still paused: it waits again
    frozen_clock(RUN + timedelta(minutes=65))
    send(sqs_event(aws, [job.model_dump_json()]))
    assert sent_sms() == []
    # staff answered and resumed the sequence: at the next look it goes
    repository.replace(paused, sequences.resumed(paused, RUN + timedelta(minutes=90)))
    frozen_clock(RUN + timedelta(minutes=125))
    send(sqs_event(aws, [job.model_dump_json()]))
    assert len(sent_sms()) == 1 and outbox.status(job) is SendStatus.SENT


def test_a_step_held_by_a_pause_goes_once_the_pause_deadline_has_passed(
    aws: Aws, load_function: Callable[[str], Handler], frozen_clock: Callable[[Any], None]
) -> None:
    job, _ = paused_after_queueing(aws)
    # nobody answered in the 7 days: it goes on by itself (a weekday morning, in hours)
    frozen_clock(RUN + sequences.PAUSE_DEADLINE)
    send = load_function("SendFunction")
    send(sqs_event(aws, [job.model_dump_json()]))
    assert len(sent_sms()) == 1


def test_outside_sending_hours_the_job_is_parked_until_the_next_opening(
    aws: Aws, load_function: Callable[[str], Handler], frozen_clock: Callable[[Any], None]
) -> None:
    frozen_clock(at("2026-11-24 20:30"))
    send = load_function("SendFunction")
    seed(aws)
    job = enrolled_job(aws)
    assert send(sqs_event(aws, [job.model_dump_json()])) == {"batchItemFailures": []}
    assert sent_sms() == []
    assert delayed(aws) == "0" and queued(aws) == []  # not cycling through the queue all night
    parking = ParkedJobs(aws.client("dynamodb"), aws.table)
    assert list(parking.due("bright-smile", at("2026-11-25 08:59"))) == []
    assert list(parking.due("bright-smile", at("2026-11-25 09:00"))) == [job]
    assert OutboxRepository(aws.client("dynamodb"), aws.table).status(job) is None


def test_the_follow_up_run_puts_a_parked_job_back_on_the_queue_once(
    aws: Aws, load_function: Callable[[str], Handler], frozen_clock: Callable[[Any], None]
) -> None:
    seed(aws)
    job = enrolled_job(aws)
    repository = SequenceRepository(aws.client("dynamodb"), aws.table)
    (sequence,) = repository.due("bright-smile", RUN)
    repository.replace(sequence, sequences.after_step_queued(sequence))  # step 1 was queued
    ParkedJobs(aws.client("dynamodb"), aws.table).park(job, at("2026-11-25 09:00"))
    segment = load_function("SegmentFunction")
    frozen_clock(at("2026-11-25 09:10"))
    segment(scheduled("follow_ups", "2026-11-25T14:10:00Z"))
    run_units(aws, segment)
    segment(scheduled("follow_ups", "2026-11-25T14:25:00Z"))  # the next run: nothing more
    run_units(aws, segment)
    bodies = [m["Body"] for m in queued(aws)]
    assert [SendJob.model_validate_json(b) for b in bodies] == [job]


def test_a_short_wait_is_a_delay_on_the_queue(
    aws: Aws, load_function: Callable[[str], Handler], frozen_clock: Callable[[Any], None]
) -> None:
    frozen_clock(at("2026-11-25 08:50"))  # ten minutes before the window opens
    send = load_function("SendFunction")
    seed(aws)
    job = enrolled_job(aws)
    send(sqs_event(aws, [job.model_dump_json()]))
    assert delayed(aws) == "1"
    parking = ParkedJobs(aws.client("dynamodb"), aws.table)
    assert list(parking.due("bright-smile", at("2026-11-26 09:00"))) == []


def delayed(aws: Aws) -> str:
    attributes = aws.client("sqs").get_queue_attributes(
        QueueUrl=aws.ref("SendQueue"), AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    return str(attributes["ApproximateNumberOfMessagesDelayed"])


def test_email_jobs_go_through_ses(aws: Aws, send: Handler) -> None:
    seed(aws, None, make_patient("P-1", mobile=None, email="ana@example.com"))
    job = enrolled_job(aws, channel=Channel.EMAIL)
    send(sqs_event(aws, [job.model_dump_json()]))
    (email,) = sent_emails()
    assert email.destinations["ToAddresses"] == ["ana@example.com"]
    assert email.subject == "Time for your regular checkup at Bright Smile Dental"


def test_a_failed_job_is_reported_alone_and_can_be_retried(
    aws: Aws, send: Handler, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(aws, None, make_patient("P-1"), make_patient("P-2", mobile="+12125550102"))
    good, flaky = enrolled_job(aws, "P-1"), enrolled_job(aws, "P-2")
    from botocore.exceptions import ClientError

    from reactivation.adapters.channels import SnsSms

    real_send = SnsSms.send
    failures = {"+12125550102": 1}

    def throttled(
        self: SnsSms, *, to: str, sender: str, body: str, identity: str | None = None
    ) -> str:
        if failures.get(to):
            failures[to] -= 1
            raise ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "Publish")
        return real_send(self, to=to, sender=sender, body=body, identity=identity)

    monkeypatch.setattr(SnsSms, "send", throttled)
    event = sqs_event(aws, [good.model_dump_json(), "{not a job", flaky.model_dump_json()])
    response = send(event)
    # the throttled job is tried again; the malformed one never could be: parked at once
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == ["m-2"]
    assert [to for to, _ in sent_sms()] == ["+12125550101"]
    (parked,) = queued(aws, "SendDeadLetterQueue")
    assert parked["Body"] == "{not a job"
    outbox = OutboxRepository(aws.client("dynamodb"), aws.table)
    assert outbox.status(flaky) is None  # the claim was given back: the retry may send
    assert send(sqs_event(aws, [flaky.model_dump_json()])) == {"batchItemFailures": []}
    assert [to for to, _ in sent_sms()] == ["+12125550101", "+12125550102"]


def test_a_send_that_stopped_mid_way_is_not_sent_again(aws: Aws, send: Handler) -> None:
    seed(aws)
    job = enrolled_job(aws)
    OutboxRepository(aws.client("dynamodb"), aws.table).claim(job, RUN - timedelta(minutes=5))
    assert send(sqs_event(aws, [job.model_dump_json()])) == {"batchItemFailures": []}
    assert sent_sms() == []


def test_the_caps_count_per_patient_and_per_number(aws: Aws, send: Handler) -> None:
    # Ana and her son Leo share the family mobile: one outreach text a day to that number
    seed(aws, None, make_patient("P-1"), make_patient("P-2", first_name="Leo"))
    first, second = enrolled_job(aws, "P-1"), enrolled_job(aws, "P-2")
    send(sqs_event(aws, [first.model_dump_json()]))
    send(sqs_event(aws, [second.model_dump_json()]))
    assert len(sent_sms()) == 1
    outbox = OutboxRepository(aws.client("dynamodb"), aws.table)
    assert outbox.status(second) is None  # held for tomorrow, not dropped
    parked = ParkedJobs(aws.client("dynamodb"), aws.table)
    assert list(parked.due("bright-smile", at("2026-11-25 09:00"))) == [second]


def test_on_a_shared_number_the_higher_priority_step_gets_the_day(aws: Aws, send: Handler) -> None:
    # Ana is due for recall, her son Leo has unscheduled treatment (a higher priority); the
    # queue happens to deliver Ana's job first: it waits, and Leo's text goes out today
    number = "+12125550101"
    seed(aws, None, make_patient("P-1"), make_patient("P-2", first_name="Leo"))
    ana = enrolled_job(aws, "P-1", pending_on=number)
    leo = enrolled_job(aws, "P-2", campaign=Campaign.UNSCHEDULED_TREATMENT, pending_on=number)
    assert send(sqs_event(aws, [ana.model_dump_json()])) == {"batchItemFailures": []}
    assert sent_sms() == []
    parked = ParkedJobs(aws.client("dynamodb"), aws.table)
    assert list(parked.due("bright-smile", at("2026-11-25 09:00"))) == [ana]
    assert send(sqs_event(aws, [leo.model_dump_json()])) == {"batchItemFailures": []}
    assert [text.split(",")[0] for _, text in sent_sms()] == ["Hi Leo"]
    recipient = RecipientRepository(aws.client("dynamodb"), aws.table).read("bright-smile", number)
    assert [p.patient_id for p in recipient.pending] == ["P-1"]  # Leo's step is no longer
    assert [s.patient_id for s in recipient.sends] == ["P-2"]


def test_a_cancelled_step_gives_the_shared_number_back(aws: Aws, send: Handler) -> None:
    number = "+12125550101"
    seed(aws, None, make_patient("P-1"), make_patient("P-2", first_name="Leo"))
    ana = enrolled_job(aws, "P-1", pending_on=number)
    leo = enrolled_job(aws, "P-2", campaign=Campaign.UNSCHEDULED_TREATMENT, pending_on=number)
    PatientRepository(aws.client("dynamodb"), aws.table).save_appointment(
        "bright-smile", visit("P-2", "2026-12-01", status=AppointmentStatus.SCHEDULED)
    )  # Leo booked meanwhile: his job is cancelled, and Ana's goes out today
    send(sqs_event(aws, [leo.model_dump_json()]))
    assert OutboxRepository(aws.client("dynamodb"), aws.table).status(leo) is SendStatus.CANCELLED
    send(sqs_event(aws, [ana.model_dump_json()]))
    assert [text.split(",")[0] for _, text in sent_sms()] == ["Hi Ana"]


def test_a_practices_own_text_is_the_one_sent(aws: Aws, send: Handler) -> None:
    own = (
        "Hi {{ first_name }}! {{ practice_name }} here: time for your visit. Reply STOP to opt out."
    )
    practice = make_practice().model_copy(
        update={"message_overrides": {"recall_due.1.en.sms": MessageOverride(text=own)}}
    )
    seed(aws, practice)
    send(sqs_event(aws, [enrolled_job(aws).model_dump_json()]))
    assert sent_sms() == [
        ("+12125550101", "Hi Ana! Bright Smile Dental here: time for your visit. "
                         "Reply STOP to opt out.")
    ]  # fmt: skip


def test_a_slow_sending_number_sends_one_text_and_delays_the_rest_of_its_batch(
    aws: Aws, send: Handler
) -> None:
    # one text every 2 s for the number, 5 instances at most: this one may send every 10 s
    seed(aws, make_practice(sms_per_second=0.5),
         *(make_patient(f"P-{n}", mobile=f"+1212555010{n}") for n in range(1, 4)))  # fmt: skip
    jobs = [enrolled_job(aws, f"P-{n}") for n in range(1, 4)]
    assert send(sqs_event(aws, [j.model_dump_json() for j in jobs])) == {"batchItemFailures": []}
    assert len(sent_sms()) == 1
    assert delayed(aws) == "2"  # back on the queue for their slots, not dropped
    outbox = OutboxRepository(aws.client("dynamodb"), aws.table)
    assert [outbox.status(j) for j in jobs[1:]] == [None, None]


def test_a_job_failing_on_its_last_try_is_parked_with_its_reason(
    aws: Aws, send: Handler, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(aws)
    job = enrolled_job(aws)
    from botocore.exceptions import ClientError

    from reactivation.adapters.channels import SnsSms

    def down(self: SnsSms, **_: object) -> str:
        raise ClientError({"Error": {"Code": "InternalError", "Message": "down"}}, "Publish")

    monkeypatch.setattr(SnsSms, "send", down)
    event = sqs_event(aws, [job.model_dump_json()])
    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = "3"  # the last try
    assert send(event) == {"batchItemFailures": []}  # parked: not tried a fourth time
    sqs = aws.client("sqs")
    (parked,) = sqs.receive_message(QueueUrl=aws.ref("SendDeadLetterQueue"),
                                    MessageAttributeNames=["All"])["Messages"]  # fmt: skip
    assert SendJob.model_validate_json(parked["Body"]) == job
    assert parked["MessageAttributes"]["reason"]["StringValue"] == "ClientError on try 3"
    assert OutboxRepository(aws.client("dynamodb"), aws.table).status(job) is None


def test_a_sent_text_is_the_numbers_last_sent_read_by_its_replies(aws: Aws, send: Handler) -> None:
    seed(aws)
    job = enrolled_job(aws)
    assert send(sqs_event(aws, [job.model_dump_json()])) == {"batchItemFailures": []}
    recipient = RecipientRepository(aws.client("dynamodb"), aws.table).read(
        "bright-smile", "+12125550101"
    )
    assert recipient.last_sent == LastSent(
        kind=SentKind.OUTREACH, at=RUN, patient_id="P-1", sequence_id=job.sequence_id, step=1
    )
    assert len(recipient.sends) == 1  # written with the send, in the same claim
