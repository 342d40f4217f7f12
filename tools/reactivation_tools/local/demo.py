"""The demo: one practice, its PMS export, and the whole pipe run on the local stack."""

from __future__ import annotations

import csv
import json
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from reactivation import wiring
from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.handoffs import HandoffRepository
from reactivation.adapters.imports import ExportStore, ImportRepository
from reactivation.adapters.openings import OpeningRepository
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.replies import ReplyRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain.handoffs import HandoffOutcome
from reactivation.domain.importing import ExportFile
from reactivation.domain.imports import ExportRef
from reactivation.domain.patients import Appointment, AppointmentStatus, Patient
from reactivation.domain.practice import FaqAnswer, Practice
from reactivation.domain.sending import is_us_federal_holiday
from reactivation.domain.types import ServiceCategory, Vertical
from reactivation_tools.console import counts, plural
from reactivation_tools.exports import export_id_for, upload_export
from reactivation_tools.local import simulation
from reactivation_tools.local.stack import LocalStack
from reactivation_tools.onboarding import parse_practice
from reactivation_tools.preview import run_preview

TIMEZONE = "America/New_York"
PRACTICE = Practice(
    practice_id="bright-smile",
    name="Bright Smile Dental",
    vertical=Vertical.DENTAL,
    timezone=TIMEZONE,
    phone="+12125550100",
    sending_number="+12125550199",
    from_email="frontdesk@reactivation.test",
    owner_emails=("owner@reactivation.test",),
    front_desk_email="frontdesk@reactivation.test",
    clinical_email="hygiene@reactivation.test",
    booking_link="https://book.example.com/bright-smile",
    holdout_percent=0,  # the demo contacts everyone it enrols; the control group is tested apart
    faq=(
        FaqAnswer(question="What are your hours?",
                  answer="Monday to Friday 8am-6pm, Saturday 9am-1pm."),
        FaqAnswer(question="Do you have parking?",
                  answer="Yes, free parking behind the building."),
    ),
    column_map={"Cell Phone": "mobile", "Chart #": "patient_id"},
)  # fmt: skip


def demo_patients(today: date) -> list[tuple[Patient, list[Appointment]]]:
    """Fictional patients (555-01xx numbers) whose records put each in a different place."""

    def visit(
        patient_id: str,
        n: int,
        months_ago: int,
        status: AppointmentStatus,
        category: ServiceCategory = ServiceCategory.HYGIENE,
        days: int = 0,
    ) -> Appointment:
        day = today - relativedelta(months=months_ago) + timedelta(days=days)
        return Appointment(
            appointment_id=f"{patient_id}-A{n}",
            patient_id=patient_id,
            starts_at=datetime.combine(day, time(10), ZoneInfo(TIMEZONE)),
            category=category,
            status=status,
            revenue=180.0 if status is AppointmentStatus.COMPLETED else None,
        )

    done, booked = AppointmentStatus.COMPLETED, AppointmentStatus.SCHEDULED
    return [
        (
            Patient(patient_id="P-1001", first_name="Ana", mobile="+12125550101"),
            [visit("P-1001", 1, 7, done)],
        ),
        (
            Patient(patient_id="P-1002", first_name="Ben", mobile="+12125550102", language="es"),
            [visit("P-1002", 1, 8, done)],
        ),
        (
            Patient(patient_id="P-1003", first_name="Cleo", mobile="+12125550103"),
            [visit("P-1003", 1, 8, done), visit("P-1003", 2, 0, booked, days=9)],
        ),
        (
            Patient(patient_id="P-1004", first_name="Dev", mobile="+12125550104"),
            [visit("P-1004", 1, 2, done)],
        ),
        (
            Patient(
                patient_id="P-1005", first_name="Eva", email="eva@example.com", sms_opt_in=False
            ),
            [visit("P-1005", 1, 9, done)],
        ),
        (
            Patient(patient_id="P-1006", first_name="Fay", mobile="+12125550106"),
            [visit("P-1006", 1, 10, done)],
        ),
        (
            Patient(patient_id="P-1007", first_name="Gus", mobile="+12125550107"),
            [visit("P-1007", 1, 11, done)],
        ),
    ]


#: What the demo's PMS export holds beyond the patients above: a clinical column the import
#: never reads, and a row the import rejects (no first name).
DIAGNOSES = {"P-1003": "gingivitis", "P-1006": "caries"}
BAD_ROW = {"Chart #": "P-1099", "first_name": "", "last_name": "Nobody", "Cell Phone": "2125550109"}


def write_export(directory: Path, today: date) -> Path:
    """The demo practice's PMS export, as its system writes it: its own names for two columns
    (the column map of examples/bright-smile.yaml), US phone formats, a Diagnosis column."""
    directory.mkdir(parents=True, exist_ok=True)
    people = demo_patients(today)
    patient_columns = ["Chart #", "first_name", "last_name", "Cell Phone", "email",
                       "sms_opt_in", "language", "Diagnosis"]  # fmt: skip
    with (directory / "patients.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, patient_columns, restval="")
        writer.writeheader()
        for patient, _ in people:
            mobile = patient.mobile or ""
            writer.writerow({
                "Chart #": patient.patient_id,
                "first_name": patient.first_name,
                "last_name": "Demo",
                "Cell Phone": f"({mobile[2:5]}) {mobile[5:8]}-{mobile[8:]}" if mobile else "",
                "email": patient.email or "",
                "sms_opt_in": "no" if patient.sms_opt_in is False else "",
                "language": patient.language.value,
                "Diagnosis": DIAGNOSES.get(patient.patient_id, ""),
            })  # fmt: skip
        writer.writerow(BAD_ROW)
    with (directory / "appointments.csv").open("w", newline="", encoding="utf-8") as out:
        rows = csv.writer(out)
        rows.writerow(["appointment_id", "patient_id", "starts_at", "category", "status",
                         "revenue"])  # fmt: skip
        for _, appointments in people:
            for a in appointments:
                local = a.starts_at.astimezone(ZoneInfo(TIMEZONE)).strftime("%Y-%m-%dT%H:%M")
                revenue = "" if a.revenue is None else f"{a.revenue:.2f}"
                rows.writerow([a.appointment_id, a.patient_id, local, a.category.value,
                                 a.status.value, revenue])  # fmt: skip
    (directory / "plans.csv").write_text(
        "plan_id,patient_id,kind,category,created_on,due_on,sessions_planned,"
        "sessions_completed,status\n",
        encoding="utf-8",
    )
    return directory


def seed(
    dynamodb: Any, table: str, today: date, patients: int = 7, practice: Practice = PRACTICE
) -> None:
    """Writes the demo practice and its first `patients` patients, with their visits."""
    PracticeRepository(dynamodb, table).save(practice)
    repository = PatientRepository(dynamodb, table)
    for patient, appointments in demo_patients(today)[:patients]:
        repository.save(PRACTICE.practice_id, patient)
        for appointment in appointments:
            repository.save_appointment(PRACTICE.practice_id, appointment)


#: Who replies what, in the demo, in order (Fay picks one of the times she is offered, and
#: thanks for the confirmation: an acknowledgement, which changes nothing and tells nobody).
REPLIES = [
    ("+12125550101", "STOP"),
    ("+12125550106", "Tuesday works"),
    ("+12125550107", "busy this month, try me in March"),
    ("+12125550106", "2"),
    ("+12125550106", "Thanks!"),
]


def question_followed_up(stack: LocalStack, topic_arn: str, say: Callable[[str], None]) -> None:
    """Ben asks what the FAQ cannot answer: his sequence pauses and the front desk gets it. They
    call him and close the handoff as answered and ended, through the staff's own use case (as
    `reactivation handoffs close --outcome end` does): five days later, with nothing left to
    send, the follow-up run asks him once whether he would like to book."""
    dynamodb, table = stack.client("dynamodb"), stack.outputs["PracticeTableName"]
    ben = "+12125550102"
    question = {
        "originationNumber": ben,
        "destinationNumber": PRACTICE.sending_number,
        "messageBody": "do you do sedation?",
        "inboundMessageId": "demo-question",
    }
    stack.client("sns").publish(TopicArn=topic_arn, Message=json.dumps(question))
    sequences = SequenceRepository(dynamodb, table)
    paused = sequences.active(PRACTICE.practice_id, "P-1002")
    staff = wiring.staff_service_for(dynamodb, table)
    closed = staff.close_handoff(
        PRACTICE.practice_id, "demo-question", stack.clock.now(), HandoffOutcome.END,
        "called him back", by="demo",
    )  # fmt: skip
    say(
        f'9b. Ben asks "do you do sedation?": no approved answer, so the front desk gets it and '
        f"his sequence {'pauses (7 days at most)' if paused and paused.paused else 'waits'}. "
        "They call him and close it as answered and ended (`reactivation handoffs close "
        f"--outcome end`): {'a follow-up is due in 5 days' if closed.follow_up else 'none'}."
    )
    local = stack.clock.now().astimezone(ZoneInfo(TIMEZONE)).date() + timedelta(days=5)
    stack.clock.set(datetime.combine(local, time(10), ZoneInfo(TIMEZONE)).astimezone(UTC))
    before = len(stack.sent_sms())
    stack.fire("DueFollowUps")
    stack.drain()
    for sms in stack.sent_sms()[before:]:
        say(f"    Five days later, DueFollowUps asks him once (question_follow_up): SMS to "
            f"{mask(sms.to)}: {sms.body}")  # fmt: skip


def publish_openings(stack: LocalStack, start: datetime) -> int:
    """The practice's system publishes its open times for the coming week ("Openings
    Published" on the practice events bus -> queue -> AppointmentsFunction)."""
    day = start.astimezone(ZoneInfo(TIMEZONE)).date()
    times = [(1, 9, 0, "Dr. Lee"), (2, 15, 30, "Dr. Lee"), (7, 9, 0, "Dr. Patel"),
             (7, 14, 0, "Dr. Lee")]  # fmt: skip
    openings = [
        {"starts_at": datetime.combine(day + timedelta(days=d), time(h, m), ZoneInfo(TIMEZONE))
         .isoformat(), "provider": provider, "category": "hygiene"}
        for d, h, m, provider in times
    ]  # fmt: skip
    stack.client("events").put_events(Entries=[{
        "EventBusName": stack.outputs["PracticeEventsBusName"],
        "Source": f"reactivation.pms.{PRACTICE.practice_id}",
        "DetailType": "Openings Published",
        "Detail": json.dumps({"practice_id": PRACTICE.practice_id, "openings": openings}),
    }])  # fmt: skip
    stack.drain()
    return len(openings)


def mask(number: str) -> str:
    return number[:2] + "*" * (len(number) - 6) + number[-4:]


@dataclass
class DemoResult:
    sms: int
    emails: int
    opted_out: bool
    report_html: Path
    #: Each practice's last weekly report (the simulated weeks'), by practice id.
    reports: dict[str, Path]
    #: The Tuesday 10:00 the scripted week began (its report is that ISO week's).
    start: datetime


def next_tuesday_morning(now: datetime) -> datetime:
    """10:00 on the next Tuesday in the practice's timezone whose week lets the demo send: the
    Tuesday (first messages) and the Saturday after it (follow-ups) are not federal holidays."""
    local = now.astimezone(ZoneInfo(TIMEZONE))
    day = local.date() + timedelta(days=(1 - local.weekday()) % 7 or 7)
    while is_us_federal_holiday(day) or is_us_federal_holiday(day + timedelta(days=4)):
        day += timedelta(days=7)
    return datetime.combine(day, time(10), ZoneInfo(TIMEZONE))


def segment_unit_log(stack: LocalStack, since: int = 0) -> dict[str, Any]:
    """The segment units' counts, added up from what each logged (as an operator reads them)
    after the log's first `since` characters (an earlier run's lines): the shards' units rank
    the due patients, the SELECT unit enrols the practice's first by the weekly cap."""
    log = stack.state_dir / "logs" / "SegmentFunction.log"
    totals: dict[str, Any] = {"units": Counter(), "ranked": 0, "enrolled": Counter(),
                              "skipped": Counter(), "queued": 0, "held": 0}  # fmt: skip
    for line in log.read_text(encoding="utf-8")[since:].splitlines():
        if '"segment unit finished"' in line:
            unit = json.loads(line)
            totals["units"][unit.get("run", "enrolment")] += 1
            totals["ranked"] += unit.get("ranked", 0)
            totals["enrolled"].update(unit["enrolled"])
            totals["skipped"].update(unit["skipped"])
            totals["queued"] += unit["queued"]
            totals["held"] += unit.get("held_for_next_week", 0)
    return {k: dict(v) if isinstance(v, Counter) else v for k, v in totals.items()}


def missed_visit(stack: LocalStack, start: datetime) -> datetime:
    """Dev's visit at 11:30 today, marked a no-show at 11:40; the rescue goes out at the next
    DueFollowUps run after 11:45 (the clock is 12:00 here)."""
    visit_at = start.replace(hour=11, minute=30)
    stack.client("events").put_events(
        Entries=[{
            "EventBusName": stack.outputs["PracticeEventsBusName"],
            "Source": f"reactivation.pms.{PRACTICE.practice_id}",
            "DetailType": "Appointment Changed",
            "Detail": json.dumps({
                "practice_id": PRACTICE.practice_id,
                "changed_at": (visit_at + timedelta(minutes=10)).isoformat(),
                "appointment": {"appointment_id": "P-1004-A2", "patient_id": "P-1004",
                                "starts_at": visit_at.strftime("%Y-%m-%dT%H:%M"),
                                "category": "hygiene", "status": "no_show"},
            }),
        }]
    )  # fmt: skip
    stack.drain()
    stack.fire("DueFollowUps")
    stack.drain()
    return visit_at


#: How many weeks the demo simulates after its scripted one.
SIMULATED_WEEKS = 4


def post(url: str, body: bytes) -> tuple[int, str]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"content-type": "text/plain; charset=UTF-8"}
    )
    try:
        # B310: local API
        with urllib.request.urlopen(request, timeout=60) as response:  # nosec B310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def run(stack: LocalStack, say: Callable[[str], None] = print) -> DemoResult:
    outputs = stack.outputs
    table = outputs["PracticeTableName"]
    dynamodb = stack.client("dynamodb")
    start = next_tuesday_morning(datetime.now(UTC))
    stack.clock.set(start.astimezone(UTC))
    say(f"Local stack built from {stack.template.path.name}: AWS on {stack.moto_url} (moto),")
    say(f"  inbound SMS webhook {outputs['InboundSmsWebhookUrl']}")
    say(f"  table {table}, send queue with dead-letter queue, topics, bucket, email identity")
    say(f"  function logs in {stack.state_dir / 'logs'}")
    say(f"Clock set to {start:%a %Y-%m-%d %H:%M} {TIMEZONE}\n")

    example = stack.template.root / "examples" / "bright-smile.yaml"
    practice = parse_practice(example.read_text(encoding="utf-8"), yaml_file=True)
    PracticeRepository(dynamodb, table).save(practice)
    export = write_export(stack.state_dir / "export", start.date())
    ref = ExportRef(practice.practice_id, export_id_for(start))
    upload_export(ExportStore(stack.client("s3"), outputs["ImportsBucketName"]), ref, export)
    stack.drain()
    record = ImportRepository(dynamodb, table).get(ref)
    say(f"1. {practice.name} onboarded from {example.name} (validated as `reactivation practice "
        f"put` does); its PMS export ({export}) dropped in the imports bucket as "
        f"{ref.key(ExportFile.PATIENTS).rsplit('/', 1)[0]}/; S3 -> EventBridge -> import queue -> "
        "IngestFunction:")  # fmt: skip
    for line in (record.summary() if record else "   the import did not run").splitlines()[1:]:
        say(f"   {line}")
    for issue in record.issues if record else []:
        say(f"   {issue}")
    for key in record.results if record else []:
        say(f"   result: s3://{outputs['ImportsBucketName']}/{key}")

    preview = run_preview(export, start.date(), practice=practice)
    say(f"2. Before anything is sent, the preview of that export as of {start.date()} (what "
        "`reactivation preview --summary` prints, with the practice's settings):")  # fmt: skip
    for line in preview.table().splitlines():
        say(f"   {line}")
    segment_log = stack.state_dir / "logs" / "SegmentFunction.log"
    since = len(segment_log.read_text(encoding="utf-8")) if segment_log.exists() else 0
    stack.fire("WeeklyEnrolment")
    stack.drain()
    unit = segment_unit_log(stack, since)
    units = unit.get("units", {})
    say(
        f"3. The hourly WeeklyEnrolment schedule finds it is {practice.practice_id}'s enrolment "
        f"hour ({practice.enrolment.weekday.value} {practice.enrolment.hour}:00, "
        f"{practice.timezone}): {units.get('enrolment', 0)} units on the segment queue (one "
        f"per shard of its patients) rank {plural(unit.get('ranked', 0), 'due patient')} and "
        f"skip {counts(unit.get('skipped'))}; then {plural(units.get('select', 0), 'SELECT unit')} "
        f"takes the week's slots (at most {practice.weekly_new_sequences}) for the practice's "
        f"first by the cap's order: enrolled {counts(unit.get('enrolled'))} "
        f"({unit.get('held', 0)} still due for next week); "
        f"queued {plural(unit.get('queued', 0), 'job')}."
    )
    say("4. Send queue -> SendFunction (SQS batch, partial failures):")
    for sms in stack.sent_sms():
        say(f"   SMS to {mask(sms.to)}: {sms.body}")
    for email in stack.sent_emails():
        say(f"   email to {email.to[0].split('@')[0][:1]}***: {email.subject}")

    stack.advance(timedelta(hours=2))
    replies = ReplyRepository(dynamodb, table)
    published = publish_openings(stack, start)
    say(f"5. The practice's system publishes {published} open times (\"Openings Published\" on the "
        "practice events bus -> AppointmentsFunction). Patients reply by SMS; SNS signs each "
        "and posts it to the webhook -> InboundFunction:")  # fmt: skip
    for number, (name, text) in enumerate(REPLIES, start=1):
        before = len(stack.sent_sms())
        reply = {
            "originationNumber": name,
            "destinationNumber": PRACTICE.sending_number,
            "messageBody": text,
            "inboundMessageId": f"demo-inbound-{number}",
        }
        stack.client("sns").publish(
            TopicArn=outputs["InboundSmsTopicArn"], Message=json.dumps(reply)
        )
        stored = replies.conversation(PRACTICE.practice_id, name)
        intent = stored[-1].intent.value if stored else "not stored"
        if stored and stored[-1].reading is not None:  # read in its conversation
            intent += f" ({stored[-1].reading.value})"
        answers = [f'"{sms.body}"' for sms in stack.sent_sms()[before:]]
        say(f'   {mask(name)} "{text}" -> {intent}; answered: {", ".join(answers) or "nothing"}')
    opted_out = "+12125550101" in ConsentRepository(dynamodb, table).opted_out(
        PRACTICE.practice_id, ["+12125550101"]
    )
    say(f"   Ana's number is {'now opted out: nothing more is sent to it' if opted_out else
                                'NOT opted out (it should be)'}")  # fmt: skip
    for handoff in HandoffRepository(dynamodb, table).open_ones(PRACTICE.practice_id):
        urgent = "urgent " if handoff.urgent else ""
        detail = f" ({handoff.detail})" if handoff.detail else ""
        say(f"   handoff {handoff.handoff_id}: {urgent}{handoff.reason.value}{detail} -> "
            f"{handoff.team.value}, emailed (`reactivation handoffs list|close`)")  # fmt: skip
    for request in OpeningRepository(dynamodb, table).requested_between(
        PRACTICE.practice_id, start, start + timedelta(days=1)
    ):
        say(
            f'   "Booking Requested" on the practice events bus for the PMS: chart '
            f"{request.patient_id}, {request.opening.starts_at:%a %b %d %H:%M}, held for them"
        )
    status, body = post(outputs["InboundSmsWebhookUrl"], b'{"Type": "Notification", "Message": 1}')
    say(f"6. A malformed request to the webhook is refused: HTTP {status} {body}")

    rescue = missed_visit(stack, start)
    say(f"7. Dev misses his {rescue:%H:%M} visit; the front desk marks it a no-show and the PMS "
        "puts an \"Appointment Changed\" event on the practice events bus -> queue -> "
        "AppointmentsFunction starts the missed-appointment rescue; the next DueFollowUps "
        "run queues it:")  # fmt: skip
    for sms in stack.sent_sms()[-1:]:
        say(f"   SMS to {mask(sms.to)}: {sms.body}")

    stack.advance(timedelta(days=4))
    before = len(stack.sent_sms())
    before_emails = len(stack.sent_emails())
    stack.fire("DueFollowUps")
    stack.drain()
    step_sms = stack.sent_sms()[before:]
    step_emails = stack.sent_emails()[before_emails:]
    sequence = SequenceRepository(dynamodb, table).active(PRACTICE.practice_id, "P-1001")
    say(
        f"8. Four days later, DueFollowUps (a unit per practice) queues the steps that fell "
        f"due, {plural(len(step_sms), 'text')} and {plural(len(step_emails), 'email')}: "
        f"Ana's sequence is {'still active' if sequence else 'stopped'}, Fay's and Gus's ended "
        "with their replies; Ben (silent), Eva (email) and Dev (the rescue's next-morning step) "
        "hear from us again."
    )
    for sms in step_sms:
        say(f"   SMS to {mask(sms.to)}: {sms.body}")
    for email in step_emails:
        say(f"   email to {email.to[0].split('@')[0][:1]}***: {email.subject}")

    monday = start.date() + timedelta(days=(7 - start.weekday()) % 7 or 7)
    stack.clock.set(datetime.combine(monday, time(7), ZoneInfo(TIMEZONE)).astimezone(UTC))
    report = stack.fire("WeeklyReport")
    emails = [e for e in stack.sent_emails() if e.sender.startswith("reports@")]
    outbox = stack.state_dir / "outbox"
    outbox.mkdir(parents=True, exist_ok=True)
    report_html = outbox / "weekly-report.html"
    if emails:
        report_html.write_text(emails[-1].body, encoding="utf-8")
        say(
            f"9. Monday 07:00, WeeklyReport -> ReportFunction emails the owner: "
            f'"{emails[-1].subject}"'
        )
        say(f"   Read it: {report_html.resolve()}")
    else:
        say(f"9. The weekly report was not sent: {report.error or report.payload}")

    question_followed_up(stack, outputs["InboundSmsTopicArn"], say)

    say(f"10. {SIMULATED_WEEKS} simulated weeks at two more practices, through the same "
        "functions: patients fall due week after week, read their texts, reply, pick offered "
        "times, book by phone, come or miss their visits; a holdout group is never contacted. "
        "Each Monday at 07:00 local time every owner gets the report:")  # fmt: skip
    reports = simulation.run(stack, stack.clock.now(), SIMULATED_WEEKS, say)
    for _, path in sorted(reports.items()):
        text = path.with_suffix(".txt").read_text(encoding="utf-8")
        say(f"   {text.splitlines()[0]}")
        proof = text.split("Proof it was the outreach:")[1].split("\n\n")[0]
        say("   " + " ".join(proof.split()))
        for line in (ln for ln in text.splitlines() if ln.startswith("Still due:")):
            say(f"   {line}")  # the weekly cap held these for next week
        say(f"   Read it: {path.resolve()} (and .txt, .csv)")
    return DemoResult(
        sms=len(stack.sent_sms()),
        emails=len(stack.sent_emails()),
        opted_out=opted_out,
        report_html=report_html,
        reports=reports,
        start=start,
    )
