"""The send guarantees on the local stack: jobs on the real queue, the send function in its own
process, SNS (moto) recording what went out. Each test tries to break one guarantee."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from reactivation.adapters.outbox import OutboxRepository
from reactivation.adapters.parking import ParkedJobs
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.recipients import RecipientRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain import sequences
from reactivation.domain.outreach import Decision, PendingStep, SendJob, SendStatus
from reactivation.domain.patients import Patient
from reactivation.domain.types import Campaign, Channel
from reactivation_tools.local import invariants
from reactivation_tools.local.faults import Fault
from reactivation_tools.local.stack import LocalStack
from tests.builders import make_patient, make_practice, visit

NY = ZoneInfo("America/New_York")
#: The send queue's visibility timeout (template.yaml) and a second more.
REDELIVERY = timedelta(seconds=181)


@pytest.fixture(autouse=True)
def rules_kept(stack: LocalStack) -> Iterator[None]:
    """After each test, whatever fault it injected, the stored state keeps every rule: in
    hours, each step once, nothing after an opt-out, the caps (local.invariants)."""
    yield
    assert invariants.check(stack.client("dynamodb"), stack.outputs["PracticeTableName"]) == []


def local(text: str, zone: ZoneInfo = NY) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


class Practice:
    """The stack's table, seeded with a practice and its patients; jobs put on the queue."""

    def __init__(self, stack: LocalStack, *patients: Patient, **practice: object) -> None:
        self.stack = stack
        self.dynamodb = stack.client("dynamodb")
        self.table = stack.outputs["PracticeTableName"]
        PracticeRepository(self.dynamodb, self.table).save(make_practice(**practice))
        repository = PatientRepository(self.dynamodb, self.table)
        for patient in patients:
            repository.save("bright-smile", patient)
            repository.save_appointment("bright-smile", visit(patient.patient_id, "2026-04-20"))
        self.outbox = OutboxRepository(self.dynamodb, self.table)

    def job(self, patient: Patient, campaign: Campaign = Campaign.RECALL_DUE) -> SendJob:
        """The patient enrolled now, their first step due and marked pending on their number,
        as the segmentation does."""
        now = self.stack.clock.now()
        decision = Decision(patient_id=patient.patient_id, campaign=campaign, channel=Channel.SMS)
        sequence = sequences.start("bright-smile", decision, now)
        assert patient.mobile is not None
        step = PendingStep(patient_id=patient.patient_id, campaign=campaign, due_at=now)
        marker = RecipientRepository(self.dynamodb, self.table).pending_step(
            "bright-smile", patient.mobile, step
        )
        repository = SequenceRepository(self.dynamodb, self.table)
        together = {(patient.patient_id, sequence.sequence_id): [marker]}
        assert repository.enrol_all([sequence], together)
        repository.replace(sequence, sequences.after_step_queued(sequence))
        return sequences.job_for_due_step(sequence, now)

    def queue(self, *jobs: SendJob) -> None:
        sqs = self.stack.client("sqs")
        for job in jobs:
            sqs.send_message(QueueUrl=self.stack.outputs["SendQueueUrl"],
                             MessageBody=job.model_dump_json())  # fmt: skip

    def parked_until(self, job: SendJob) -> datetime | None:
        """When a parked job is due again (None: not parked): its place in the due index."""
        key = {"pk": {"S": f"PRACTICE#bright-smile#PATIENT#{job.patient_id}"},
               "sk": {"S": f"PARKED#{job.job_id}"}}  # fmt: skip
        item = self.dynamodb.get_item(TableName=self.table, Key=key).get("Item")
        if item is None or "gsi3sk" not in item:
            return None
        due = datetime.fromisoformat(item["gsi3sk"]["S"].split("#", 1)[0])
        assert list(ParkedJobs(self.dynamodb, self.table).due("bright-smile", due)) == [job]
        return due

    def wake_at(self, moment: datetime) -> None:
        """The clock moves to `moment`; the follow-up run queues what is due; the queue drains."""
        self.stack.clock.set(moment)
        self.stack.fire("DueFollowUps")
        self.stack.drain()


def sent_to(stack: LocalStack) -> list[str]:
    return [sms.to for sms in stack.sent_sms()]


def test_the_same_job_delivered_three_times_is_one_message(stack: LocalStack) -> None:
    stack.clock.set(local("2026-11-24T10:00"))
    ana = make_patient("P-1")
    practice = Practice(stack, ana)
    job = practice.job(ana)
    practice.queue(job, job, job)
    stack.drain()
    assert sent_to(stack) == ["+12125550101"]
    stack.advance(REDELIVERY)
    stack.drain()
    assert sent_to(stack) == ["+12125550101"]
    assert practice.outbox.status(job) is SendStatus.SENT


def test_a_crash_after_the_provider_accepted_and_before_recording_is_one_message(
    stack: LocalStack,
) -> None:
    stack.clock.set(local("2026-11-24T10:00"))
    ana = make_patient("P-1")
    practice = Practice(stack, ana)
    job = practice.job(ana)
    stack.inject_faults("SendFunction", [Fault(call="sns.Publish", effect="crash")])
    practice.queue(job)
    stack.drain()  # SNS took the text, then the process died before recording it
    assert sent_to(stack) == ["+12125550101"]
    assert stack.queue_depth("SendQueue") == 1  # not deleted: it comes round again
    stack.advance(REDELIVERY)
    stack.drain()  # the redelivery finds the claim unconfirmed: in doubt, never sent again
    assert sent_to(stack) == ["+12125550101"]
    assert stack.queue_depth("SendQueue") == 0
    assert practice.outbox.status(job) is SendStatus.SENDING  # left for a person to look at
    later = stack.clock.now() + timedelta(minutes=10)
    assert practice.outbox.unconfirmed("bright-smile", later) == [job]  # and listed for them
    log = (stack.state_dir / "logs" / "SendFunction.log").read_text()
    assert '"outcome":"in_doubt"' in log


def test_stop_while_fifty_jobs_for_the_number_wait_gives_no_message(stack: LocalStack) -> None:
    stack.clock.set(local("2026-11-24T10:00"))
    family = [make_patient(f"P-{n:02d}", first_name=f"Kid{n}") for n in range(50)]
    practice = Practice(stack, *family)
    practice.queue(*(practice.job(patient) for patient in family))
    stop = {"originationNumber": "+12125550101", "destinationNumber": "+12125550199",
            "messageBody": "STOP", "inboundMessageId": "stop-1"}  # fmt: skip
    stack.client("sns").publish(TopicArn=stack.outputs["InboundSmsTopicArn"],
                                Message=json.dumps(stop))  # fmt: skip
    confirmation = stack.sent_sms()
    assert [sms.body.split(".")[0] for sms in confirmation] == [
        "You are unsubscribed from Bright Smile Dental"
    ]
    stack.drain()
    assert len(stack.sent_sms()) == 1  # the confirmation, and not one of the 50
    assert stack.queue_depth("SendQueue") == 0


@pytest.mark.parametrize(
    ("due", "opens"),
    [
        ("2026-11-24T20:30", "2026-11-25T09:00"),  # Tuesday evening: Wednesday morning
        ("2026-11-28T20:30", "2026-11-30T09:00"),  # Saturday night: never Sunday, Monday
        ("2028-07-03T20:30", "2028-07-05T09:00"),  # the evening before July 4th: July 5th
        ("2028-07-04T11:00", "2028-07-05T09:00"),  # July 4th itself
    ],
)
def test_a_job_outside_sending_hours_waits_for_the_next_allowed_morning(
    stack: LocalStack, due: str, opens: str
) -> None:
    stack.clock.set(local(due))
    ana = make_patient("P-1")
    practice = Practice(stack, ana)
    job = practice.job(ana)
    practice.queue(job)
    stack.drain()
    assert sent_to(stack) == []
    assert practice.parked_until(job) == local(opens).astimezone(UTC)
    practice.wake_at(local(opens) - timedelta(minutes=1))
    assert sent_to(stack) == []  # never early
    practice.wake_at(local(opens))
    assert sent_to(stack) == ["+12125550101"]


def test_a_florida_number_with_a_patient_in_los_angeles_keeps_both_windows(
    stack: LocalStack,
) -> None:
    # 10:00 in Miami is 07:00 in Los Angeles: the text waits for 09:00 there (12:00 in Miami)
    stack.clock.set(local("2026-11-24T10:00"))
    ana = make_patient("P-1", mobile="+13055550101", timezone="America/Los_Angeles")
    practice = Practice(stack, ana)
    job = practice.job(ana)
    practice.queue(job)
    stack.drain()
    opens = local("2026-11-24T09:00", ZoneInfo("America/Los_Angeles"))
    assert practice.parked_until(job) == opens.astimezone(UTC)
    practice.wake_at(opens)
    assert sent_to(stack) == ["+13055550101"]
    # and at 19:30 in Los Angeles it is 22:30 in Miami: the next day's noon in Miami
    ana2 = make_patient("P-2", mobile="+13055550102", timezone="America/Los_Angeles")
    PatientRepository(practice.dynamodb, practice.table).save("bright-smile", ana2)
    stack.clock.set(local("2026-11-24T19:30", ZoneInfo("America/Los_Angeles")))
    late = practice.job(ana2)
    practice.queue(late)
    stack.drain()
    assert practice.parked_until(late) == local("2026-11-25T12:00").astimezone(UTC)


def test_the_third_text_in_seven_days_to_a_shared_number_waits(stack: LocalStack) -> None:
    # Ana and Leo share the family mobile: Tuesday Ana's text, Thursday Leo's; Friday Ana's
    # second step would be the third in 7 days: it waits until a week after Tuesday's
    stack.clock.set(local("2026-11-24T10:00"))
    ana, leo = make_patient("P-1"), make_patient("P-2", first_name="Leo")
    practice = Practice(stack, ana, leo)
    first = practice.job(ana)
    practice.queue(first)
    stack.drain()
    stack.clock.set(local("2026-11-26T10:00") + timedelta(days=1))  # Friday (Thursday: holiday)
    practice.queue(practice.job(leo))
    stack.drain()
    assert sent_to(stack) == ["+12125550101", "+12125550101"]
    stack.clock.set(local("2026-11-28T10:00"))  # Saturday
    second = first.model_copy(update={"step": 2, "job_id": first.job_id[:-1] + "2"})
    practice.queue(second)
    stack.drain()
    assert len(stack.sent_sms()) == 2
    assert practice.parked_until(second) == local("2026-12-01T10:00").astimezone(UTC)


def test_an_email_unsubscribe_link_works_over_http_and_a_complaint_suppresses_an_address(
    stack: LocalStack,
) -> None:
    import re
    import urllib.request

    stack.clock.set(local("2026-11-24T10:00"))
    eva = make_patient("P-1", mobile=None, email="eva@example.com")
    mia = make_patient("P-2", mobile=None, email="mia@example.com", first_name="Mia")
    practice = Practice(stack, eva, mia)
    sequence_repository = SequenceRepository(practice.dynamodb, practice.table)
    jobs = []
    for patient in (eva, mia):
        decision = Decision(patient_id=patient.patient_id, campaign=Campaign.RECALL_DUE,
                            channel=Channel.EMAIL)  # fmt: skip
        sequence = sequences.start("bright-smile", decision, stack.clock.now())
        assert sequence_repository.enrol(sequence)
        jobs.append(sequences.job_for_due_step(sequence, stack.clock.now()))
    practice.queue(*jobs)
    stack.drain()
    emails = stack.sent_emails()
    assert len(emails) == 2
    eva_email = next(e for e in emails if e.to == ("eva@example.com",))
    link = re.search(r'href="(http[^"]+/unsubscribe\?t=[^"]+)"', eva_email.body)
    assert link is not None
    url = link.group(1).replace("&amp;", "&")
    with urllib.request.urlopen(url, timeout=60) as page:  # opened: asks, records nothing
        assert b"<form" in page.read()
    one_click = urllib.request.Request(url, data=b"List-Unsubscribe=One-Click", method="POST")
    with urllib.request.urlopen(one_click, timeout=60) as done:
        assert b"You are unsubscribed" in done.read()
    # Mia marks hers as spam: SES reports it through the topic and the queue
    complaint = {"eventType": "Complaint", "mail": {"tags": {"practice_id": ["bright-smile"]}},
                 "complaint": {"complainedRecipients": [{"emailAddress": "mia@example.com"}],
                               "timestamp": "2026-11-24T15:30:00Z"}}  # fmt: skip
    stack.client("sns").publish(TopicArn=stack.resources["EmailFeedbackTopic"].ref,
                                Message=json.dumps(complaint))  # fmt: skip
    stack.drain()
    recipients = RecipientRepository(practice.dynamodb, practice.table)
    assert recipients.read("bright-smile", "eva@example.com").opted_out
    assert recipients.read("bright-smile", "mia@example.com").opted_out
