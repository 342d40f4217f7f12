"""Simulated weeks on the local stack, for the demo: practices whose patients fall due for
recall week after week, and who, when texted, reply, book, come (or not) or ignore the
message at realistic rates, while a holdout group that is never contacted books on its own at
a lower base rate. Everything goes through the real functions: the hourly enrolment, the send
queue, signed replies to the webhook, the practice's system's events (openings, bookings,
completed visits), staff closing handoffs, and Monday's reports. The lift the reports show is
what these draws produced, nothing typed in."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from reactivation import wiring
from reactivation.adapters.openings import OpeningRepository
from reactivation.adapters.outbox import OutboxRepository
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.replies import ReplyRepository
from reactivation.domain.conversation import Intent
from reactivation.domain.handoffs import HandoffOutcome, HandoffReason
from reactivation.domain.patients import Appointment, AppointmentStatus, Patient
from reactivation.domain.practice import Practice
from reactivation.domain.types import ServiceCategory, Vertical
from reactivation_tools.console import plural
from reactivation_tools.local.stack import LocalStack

#: What a patient does with a text that reaches them (each text, until they answer).
REPLY_RATES = {
    "yes": 0.15,  # "yes": offered times, then picks one
    "call": 0.04,  # books by phone: the practice's system reports the appointment
    "not_now": 0.04,
    "stop": 0.02,
    "question": 0.02,
    "unclear": 0.01,  # a reply staff re-classify
}
#: The fractional part of the golden ratio: the step of `Simulation._action`'s draws.
GOLDEN = 0.6180339887498949
#: Of those offered times, the share who pick one.
PICKS = 0.85
#: A holdout patient (never contacted) books on their own with this chance each day.
HOLDOUT_DAILY = 0.0025
#: Booked visits that happen; their bill (some visits bill nothing: a warranty recheck).
SHOWS = 0.88
UNBILLED = 0.1

#: Harbor's weekly cap on new sequences (the default is 150): the demo shows patients held.
HARBOR_WEEKLY_CAP = 6

FIRST_NAMES = ["Ava", "Ben", "Cara", "Dan", "Eli", "Fern", "Gil", "Hana", "Ivo", "Jade", "Kai",
               "Lena", "Milo", "Nia", "Omar", "Pia", "Quin", "Rosa", "Sam", "Tess"]  # fmt: skip


def practices() -> list[tuple[Practice, int, list[str]]]:
    """The simulated practices, their patient count and the area codes of their numbers (the
    fictional 555-01xx block: 100 numbers an area code). Lakeside holds back more patients
    than a practice would (35%, the default is 10%) so that the demo's few weeks can measure
    the lift; Harbor's group stays too small to say, and its weekly cap is small."""

    def practice(practice_id: str, name: str, timezone: str, area: str, holdout: int) -> Practice:
        return Practice.model_validate({
            "practice_id": practice_id, "name": name, "vertical": Vertical.DENTAL,
            "timezone": timezone, "phone": f"+1{area}5550100", "sending_number": f"+1{area}5550199",
            "from_email": "frontdesk@reactivation.test", "front_desk_email":
            "frontdesk@reactivation.test", "owner_emails": ["owner@reactivation.test"],
            "holdout_percent": holdout,
            "enrolment": {"weekday": "tuesday", "hour": 10},
        })  # fmt: skip

    lakeside = practice("lakeside-dental", "Lakeside Dental", "America/Chicago", "312", 35)
    harbor = practice("harbor-dental", "Harbor Family Dental", "America/Denver", "303", 20)
    # No blasts: Harbor's small weekly cap holds some of its due patients for the next week.
    harbor = harbor.model_copy(update={"weekly_new_sequences": HARBOR_WEEKLY_CAP})
    return [(lakeside, 100, ["312"]), (harbor, 40, ["303"])]


@dataclass
class SimPatient:
    practice: Practice
    patient: Patient
    answered: bool = False
    enrolled: bool = False


@dataclass
class Booked:
    practice: Practice
    patient_id: str
    appointment: Appointment
    settled: bool = False


@dataclass
class WeekResult:
    number: int
    texts: int = 0
    replies: dict[str, int] = field(default_factory=dict)
    bookings: int = 0
    holdout_bookings: int = 0
    visits: int = 0
    #: The patients who read a text this week (the reports' base: patients messaged a week).
    readers: set[str] = field(default_factory=set)


class Simulation:
    def __init__(self, stack: LocalStack, seed: int = 7) -> None:
        self.stack = stack
        # B311: a seeded simulation
        self.rng = random.Random(seed)  # noqa: S311  # nosec B311
        self.table = stack.outputs["PracticeTableName"]
        self.dynamodb = stack.client("dynamodb")
        self.sns, self.events = stack.client("sns"), stack.client("events")
        self.by_number: dict[str, SimPatient] = {}
        self.patients: list[SimPatient] = []
        self.booked: list[Booked] = []
        self.holdout: dict[str, Practice] = {}  # patient id -> practice
        self.by_id: dict[tuple[str, str], SimPatient] = {}
        self.looked = stack.clock.now()
        self.inbound = 0
        self._draw = self.rng.random()

    # -- setup --------------------------------------------------------------------------
    def seed(self, first_tuesday: date, weeks: int) -> None:
        """Each practice and its patients, whose last cleaning turns six months old on days
        spread over the simulated weeks (a quarter are due at once)."""
        for practice, count, areas in practices():
            PracticeRepository(self.dynamodb, self.table).save(practice)
            repository = PatientRepository(self.dynamodb, self.table)
            zone = ZoneInfo(practice.timezone)
            for n in range(count):
                mobile = f"+1{areas[n // 100]}55501{n % 100:02d}"
                patient = Patient(patient_id=f"S-{n + 1:04d}", mobile=mobile,
                                  first_name=self.rng.choice(FIRST_NAMES))  # fmt: skip
                offset = self.rng.randint(-14, 7 * weeks - 10)
                last = first_tuesday - relativedelta(months=6) + timedelta(days=offset)
                repository.save(practice.practice_id, patient)
                repository.save_appointment(practice.practice_id, Appointment(
                    appointment_id=f"{patient.patient_id}-H1", patient_id=patient.patient_id,
                    starts_at=datetime.combine(last, time(9 + n % 8), zone),
                    category=ServiceCategory.HYGIENE, status=AppointmentStatus.COMPLETED,
                    revenue=round(self.rng.uniform(140, 260), 2),
                ))  # fmt: skip
                sim = SimPatient(practice, patient)
                self.patients.append(sim)
                self.by_number[mobile] = sim
                self.by_id[(practice.practice_id, patient.patient_id)] = sim

    # -- the practice's system, through the practice events bus --------------------------
    def _event(self, detail_type: str, detail: dict[str, object]) -> None:
        self.events.put_events(Entries=[{
            "EventBusName": self.stack.outputs["PracticeEventsBusName"],
            "Source": f"reactivation.pms.{detail['practice_id']}", "DetailType": detail_type,
            "Detail": json.dumps(detail, default=str),
        }])  # fmt: skip

    def publish_openings(self, monday: datetime) -> None:
        """Three weeks of open times from `monday`: four a weekday (9:00, 11:00, 14:00, 16:00)."""
        for practice, _, _ in practices():
            zone = ZoneInfo(practice.timezone)
            day0 = monday.astimezone(zone).date()
            openings = [
                {"starts_at": datetime.combine(day0 + timedelta(days=d), time(h), zone).isoformat(),
                 "provider": "Dr. Reyes" if h < 12 else "Dr. Okafor", "category": "hygiene"}
                for d in range(21) if (day0 + timedelta(days=d)).weekday() < 5
                for h in (9, 11, 14, 16)
            ]  # fmt: skip
            self._event("Openings Published",
                        {"practice_id": practice.practice_id, "openings": openings})  # fmt: skip
        self.stack.drain()

    def _appointment(self, practice: Practice, patient_id: str, starts: datetime) -> None:
        appointment = Appointment(
            appointment_id=f"{patient_id}-B{len(self.booked) + 1}",
            patient_id=patient_id, starts_at=starts, category=ServiceCategory.HYGIENE,
            status=AppointmentStatus.SCHEDULED, provider="Dr. Reyes",
        )  # fmt: skip
        self.booked.append(Booked(practice, patient_id, appointment))
        self._change(practice, appointment)

    def _change(self, practice: Practice, appointment: Appointment) -> None:
        row = {"appointment_id": appointment.appointment_id, "patient_id": appointment.patient_id,
               "starts_at": appointment.starts_at.isoformat(), "category": "hygiene",
               "status": appointment.status.value, "provider": appointment.provider,
               "revenue": appointment.revenue}  # fmt: skip
        self._event("Appointment Changed", {
            "practice_id": practice.practice_id, "changed_at": self.stack.clock.now().isoformat(),
            "appointment": {k: v for k, v in row.items() if v is not None},
        })  # fmt: skip

    # -- patients -----------------------------------------------------------------------
    def _reply(self, sim: SimPatient, text: str) -> None:
        self.inbound += 1
        sms = {"originationNumber": sim.patient.mobile,
               "destinationNumber": sim.practice.sending_number, "messageBody": text,
               "inboundMessageId": f"sim-{self.inbound}"}  # fmt: skip
        self.sns.publish(TopicArn=self.stack.outputs["InboundSmsTopicArn"],
                                         Message=json.dumps(sms))  # fmt: skip

    def react(self, week: WeekResult) -> None:
        """Each patient who got an outreach text since the last look decides what to do."""
        now = self.stack.clock.now()
        outbox = OutboxRepository(self.dynamodb, self.table)
        for practice, _, _ in practices():
            for message in outbox.messages_between(practice.practice_id, self.looked, now):
                sim = self.by_id.get((practice.practice_id, message.patient_id))
                if sim is None or sim.answered:
                    continue
                self._decide(sim, week)
        self.looked = now

    def _action(self) -> str | None:
        """What a patient does with one text: one of REPLY_RATES, or None (ignores it). The
        draws are a low-discrepancy sequence (each the last plus the golden ratio's fraction,
        from a seeded start): every share of the texts read gets its rate within a text or
        two, so that the rates printed are the rates the reports measure."""
        self._draw = (self._draw + GOLDEN) % 1.0
        draw = self._draw
        for name, share in REPLY_RATES.items():
            if draw < share:
                return name
            draw -= share
        return None

    def _decide(self, sim: SimPatient, week: WeekResult) -> None:
        week.texts += 1
        week.readers.add(f"{sim.practice.practice_id}/{sim.patient.patient_id}")
        action = self._action()
        if action is None:
            return
        sim.answered = True
        week.replies[action] = week.replies.get(action, 0) + 1
        texts = {
            "not_now": ["not right now", "busy this month, try me in March"],
            "stop": ["STOP", "please stop texting me"],
            "question": ["do you take new insurance?", "who is this?"],
            "unclear": ["hmm maybe"],
        }
        if action == "yes":
            self._reply(sim, self.rng.choice(["Yes", "yes please", "Sure, mornings are best",
                                              "Y", "yes! afternoons work"]))  # fmt: skip
            if self.rng.random() < PICKS:
                self._reply(sim, self.rng.choice(["1", "2", "the first one"]))
                self._book_held(sim, week)
        elif action == "call":  # books by phone: the practice's system reports it
            starts = self.stack.clock.now() + timedelta(days=self.rng.randint(3, 16))
            local = starts.astimezone(ZoneInfo(sim.practice.timezone))
            ten = local.replace(hour=10, minute=0, second=0, microsecond=0)
            self._appointment(sim.practice, sim.patient.patient_id, ten)
            week.bookings += 1
        else:
            self._reply(sim, self.rng.choice(texts[action]))

    def _book_held(self, sim: SimPatient, week: WeekResult) -> None:
        """The front desk books the time the patient picked (the practice's system reports it)."""
        now = self.stack.clock.now()
        requests = OpeningRepository(self.dynamodb, self.table).requested_between(
            sim.practice.practice_id, now - timedelta(minutes=1), now + timedelta(minutes=1)
        )
        held = [r for r in requests if r.patient_id == sim.patient.patient_id]
        if held:
            self._appointment(sim.practice, sim.patient.patient_id, held[-1].opening.starts_at)
            week.bookings += 1

    def holdouts_book(self, week: WeekResult) -> None:
        """A day passes for the holdout group: some book on their own."""
        for patient_id, practice in self.holdout.items():
            if self.rng.random() < HOLDOUT_DAILY:
                starts = self.stack.clock.now() + timedelta(days=self.rng.randint(3, 16))
                zone = ZoneInfo(practice.timezone)
                self._appointment(practice, patient_id,
                                  starts.astimezone(zone).replace(hour=11, minute=0))  # fmt: skip
                week.holdout_bookings += 1

    def visits(self, week: WeekResult) -> None:
        """Booked visits whose time has come happen (completed, billed) or not (no-show)."""
        now = self.stack.clock.now()
        for booking in self.booked:
            if booking.settled or booking.appointment.starts_at > now:
                continue
            booking.settled = True
            came = self.rng.random() < SHOWS
            revenue = None if not came or self.rng.random() < UNBILLED else round(
                self.rng.uniform(150, 420), 2)  # fmt: skip
            status = AppointmentStatus.COMPLETED if came else AppointmentStatus.NO_SHOW
            self._change(booking.practice, booking.appointment.model_copy(
                update={"status": status, "revenue": revenue}))  # fmt: skip
            week.visits += came

    def staff(self) -> None:
        """The front desk closes the handoffs a few hours old through the staff's own use cases
        (a picked time booked; a question answered, the sequence resuming), and re-classifies
        unclear ones."""
        now = self.stack.clock.now()
        staff = wiring.staff_service_for(self.dynamodb, self.table)
        replies = ReplyRepository(self.dynamodb, self.table)
        for practice, _, _ in practices():
            for handoff in list(staff.open_handoffs(practice.practice_id)):
                if now - handoff.opened_at < timedelta(hours=3):
                    continue
                reply = replies.find(practice.practice_id, handoff.handoff_id)
                if reply is not None and reply.intent is Intent.OTHER:
                    staff.correct_reply(practice.practice_id, handoff.handoff_id,
                                        Intent.NOT_NOW, now)  # fmt: skip
                booked = handoff.reason in (HandoffReason.BOOKING_REQUEST, HandoffReason.BOOKING)
                outcome = HandoffOutcome.BOOKED if booked else HandoffOutcome.RESUME
                staff.close_handoff(practice.practice_id, handoff.handoff_id, now, outcome,
                                    "called back", by="simulation")  # fmt: skip

    def note_holdouts(self) -> None:
        """Which patients the enrolment held back (each read from their own partition once)."""
        for sim in self.patients:
            if sim.enrolled:
                continue
            key = {":pk": {"S": f"PRACTICE#{sim.practice.practice_id}#PATIENT#"
                                f"{sim.patient.patient_id}"}, ":s": {"S": "SEQUENCE#"}}  # fmt: skip
            items = self.dynamodb.query(
                TableName=self.table, KeyConditionExpression="pk = :pk AND begins_with(sk, :s)",
                ExpressionAttributeValues=key,
            )["Items"]  # fmt: skip
            if items:
                sim.enrolled = True
                if any(item.get("holdout", {}).get("BOOL") for item in items):
                    self.holdout[sim.patient.patient_id] = sim.practice

    # -- time ---------------------------------------------------------------------------
    def at(self, moment: datetime) -> None:
        now = self.stack.clock.now()
        if moment > now:
            self.stack.advance(moment - now)
        self.stack.drain()

    def week(self, number: int, tuesday: datetime) -> WeekResult:
        """Tuesday 10:00 to the next Monday 08:00 (Chicago): enrolment hours, seven days of
        replies, follow-ups, visits and staff, then Monday's reports."""
        result = WeekResult(number)
        for hour in (0, 1):  # 10:00 Chicago, then 10:00 Denver
            self.at(tuesday + timedelta(hours=hour))
            self.stack.fire("WeeklyEnrolment")
            self.stack.drain()
        self.note_holdouts()
        for day in range(7):
            noon = tuesday + timedelta(days=day, hours=2)
            self.at(noon)
            self.stack.fire("DueFollowUps")
            self.stack.drain()
            self.at(noon + timedelta(hours=3))
            self.react(result)
            self.holdouts_book(result)
            self.visits(result)
            self.stack.drain()
            self.staff()
        monday = tuesday + timedelta(days=6, hours=-3)  # Monday 07:00 Chicago
        for hour in (0, 1):  # 07:00 Chicago, then 07:00 Denver
            self.at(monday + timedelta(hours=hour))
            self.stack.fire("WeeklyReport")
        return result


def run(
    stack: LocalStack, after: datetime, weeks: int, say: Callable[[str], None]
) -> dict[str, Path]:
    """Simulates `weeks` weeks from the Tuesday after `after`; returns each practice's last
    weekly report, written to the outbox."""
    chicago = ZoneInfo("America/Chicago")
    day = after.astimezone(chicago).date() + timedelta(days=1)
    while day.weekday() != 1:
        day += timedelta(days=1)
    first_tuesday = datetime.combine(day, time(10), chicago).astimezone(UTC)
    simulation = Simulation(stack)
    simulation.seed(day, weeks)
    simulation.at(first_tuesday - timedelta(hours=1))
    simulation.publish_openings(first_tuesday)
    say(f"   {len(simulation.patients)} simulated patients: "
        + "; ".join(f"{p.name} {count} (holdout {p.holdout_percent}%: never contacted)"
                    for p, count, _ in practices())
        + ". Of the texts a patient reads, they answer "
        + ", ".join(f"{k} {v:.0%}" for k, v in REPLY_RATES.items())
        + f" (opt-outs: the {REPLY_RATES['stop']:.0%} who reply stop); the holdout "
        f"patients book on their own at {HOLDOUT_DAILY:.2%} a day")  # fmt: skip
    totals, patient_weeks = WeekResult(0), 0
    for number in range(1, weeks + 1):
        tuesday = first_tuesday + timedelta(weeks=number - 1)
        if number > 1:
            simulation.at(tuesday - timedelta(hours=1))
            simulation.publish_openings(tuesday)
        result = simulation.week(number, tuesday)
        replies = ", ".join(f"{v} {k}" for k, v in sorted(result.replies.items())) or "none"
        say(f"   week {number}: {plural(result.texts, 'text')} read; replies: {replies}; "
            f"{plural(result.bookings, 'patient')} booked after a text, "
            f"{plural(result.holdout_bookings, 'holdout patient')} on their own; "
            f"{plural(result.visits, 'visit')} happened")  # fmt: skip
        totals.texts += result.texts
        patient_weeks += len(result.readers)
        for name, count in result.replies.items():
            totals.replies[name] = totals.replies.get(name, 0) + count
    stops = totals.replies.get("stop", 0)
    if totals.texts:
        drawn, weeks_read = REPLY_RATES["stop"], max(patient_weeks, 1)
        say(f"   in all: {plural(totals.texts, 'text')} read, {plural(stops, 'opt-out')}: "
            f"{stops / totals.texts:.1%} of the texts read (drawn at {drawn:.0%}); the reports "
            f"count them per patient texted in a week, {stops / weeks_read:.1%} of "
            f"{weeks_read} (a patient reads about {totals.texts / weeks_read:.1f} texts a "
            "week: a first message and, four days on, its follow-up)")  # fmt: skip
    outbox = stack.state_dir / "outbox"
    outbox.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for email in stack.sent_emails():
        if not email.sender.startswith("reports@") or not email.attachments:
            continue
        for practice, _, _ in [*practices(), (None, 0, [])]:
            name = practice.name if practice else "Bright Smile Dental"
            pid = practice.practice_id if practice else "bright-smile"
            if email.subject.startswith(f"{name},"):
                path = outbox / f"weekly-report-{pid}.html"
                path.write_text(email.body, encoding="utf-8")
                path.with_suffix(".txt").write_text(email.text, encoding="utf-8")
                path.with_suffix(".csv").write_bytes(email.attachments["campaigns.csv"])
                written[pid] = path
    return written
