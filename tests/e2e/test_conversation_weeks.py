"""Issue #18's "Done when" scenario on the local stack: a conversation that never strands a
patient and never overwhelms one, walked over simulated weeks of business time. One stack is
shared by the cases (their patients are apart: their own numbers, or their own practice), the
clock only moves on, and every week ends with the whole table walked for the rules
(reactivation_tools.local.invariants).

Each case is a step, in order: the replies read in their conversation (a thanks, a thumbs-up,
"2", "already booked"), a pause that ends by itself, a handoff closed with each outcome, the
question followed up, not_now answered, the rescue first, an end to silence, the weekly cap."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta

from reactivation import wiring
from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.handoffs import HandoffRepository
from reactivation.adapters.openings import OpeningRepository
from reactivation.adapters.outbox import OutboxRepository
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.replies import ReplyRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain.handoffs import Handoff, HandoffOutcome, HandoffReason
from reactivation.domain.metrics import SentMessage
from reactivation.domain.outreach import Enrolment
from reactivation.domain.patients import Appointment, AppointmentStatus, Patient
from reactivation.domain.types import Campaign, ServiceCategory
from reactivation_tools.local import demo, invariants
from reactivation_tools.local.stack import LocalStack
from tests.conftest import TEMPLATE
from tests.e2e.test_handoffs import reply

# one worker walks the cases, in file order, on the one stack (pytest-xdist's loadgroup)
pytestmark = pytest.mark.xdist_group("conversation-weeks")

PRACTICE = demo.PRACTICE.practice_id
ZONE = ZoneInfo(demo.TIMEZONE)
#: The practice of the weekly-cap case: its own patients, so nobody else takes its slots.
CAPPED = demo.PRACTICE.model_copy(
    update={"practice_id": "capped-dental", "name": "Capped Dental",
            "sending_number": "+12125550198", "weekly_new_sequences": 2}
)  # fmt: skip


@dataclass
class Weeks:
    """The shared stack, its repositories, and the moves of business time the cases make."""

    stack: LocalStack

    def __post_init__(self) -> None:
        self.dynamodb = self.stack.client("dynamodb")
        self.table = self.stack.outputs["PracticeTableName"]
        self.sequences = SequenceRepository(self.dynamodb, self.table)
        self.handoffs = HandoffRepository(self.dynamodb, self.table)
        self.replies = ReplyRepository(self.dynamodb, self.table)
        self.outbox = OutboxRepository(self.dynamodb, self.table)
        self.staff = wiring.staff_service_for(self.dynamodb, self.table)
        self.inbound = 0

    # -- the practice's records --------------------------------------------------------
    def patient(self, patient_id: str, mobile: str, *visits: tuple[int, ServiceCategory],
                practice: str = PRACTICE) -> None:  # fmt: skip
        """A patient with completed visits `months` ago (each a (months, category))."""
        repository = PatientRepository(self.dynamodb, self.table)
        repository.save(practice, Patient(patient_id=patient_id, first_name="Pat", mobile=mobile))
        today = self.now().astimezone(ZONE).date()
        for n, (months, category) in enumerate(visits or ((7, ServiceCategory.HYGIENE),)):
            day = today - relativedelta(months=months)
            repository.save_appointment(practice, Appointment(
                appointment_id=f"{patient_id}-V{n}", patient_id=patient_id,
                starts_at=datetime.combine(day, time(10), ZONE), category=category,
                status=AppointmentStatus.COMPLETED, revenue=180.0,
            ))  # fmt: skip

    def appointment(self, patient_id: str, appointment_id: str, starts_at: datetime,
                    status: str, changed_at: datetime) -> None:  # fmt: skip
        """The practice's system reports an appointment ("Appointment Changed" on its bus)."""
        self.stack.client("events").put_events(Entries=[{
            "EventBusName": self.stack.outputs["PracticeEventsBusName"],
            "Source": f"reactivation.pms.{PRACTICE}", "DetailType": "Appointment Changed",
            "Detail": json.dumps({
                "practice_id": PRACTICE, "changed_at": changed_at.isoformat(),
                "appointment": {"appointment_id": appointment_id, "patient_id": patient_id,
                                "starts_at": starts_at.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M"),
                                "category": "hygiene", "status": status},
            }),
        }])  # fmt: skip
        self.stack.drain()

    def says(self, number: str, text: str) -> None:
        self.inbound += 1
        reply(self.stack, number, text, f"weeks-{self.inbound}")

    # -- time ---------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.stack.clock.now()

    def next_tuesday(self) -> datetime:
        """The next Tuesday 10:00 (the practice's enrolment hour) of a week without holidays."""
        tuesday = demo.next_tuesday_morning(self.now())
        self.stack.clock.set(tuesday)
        return tuesday

    def enrol(self, tuesday: datetime | None = None) -> None:
        """The hourly WeeklyEnrolment at the practices' enrolment hour, and the first steps."""
        if tuesday is not None:
            self.stack.clock.set(tuesday)
        assert self.stack.fire("WeeklyEnrolment").ok
        self.stack.drain()

    def follow_ups(self) -> None:
        """One run of the 15-minute DueFollowUps schedule: due steps queued and sent."""
        assert self.stack.fire("DueFollowUps").ok
        self.stack.drain()

    def until(self, moment: datetime) -> None:
        """Business time moves to `moment`, the follow-up run firing each day on the way (at
        the clock's time of day) and once at `moment`."""
        while self.now() + timedelta(days=1) < moment:
            self.stack.advance(timedelta(days=1))
            self.follow_ups()
        self.stack.advance(moment - self.now())
        self.follow_ups()

    def days(self, n: float) -> None:
        self.until(self.now() + timedelta(days=n))

    def week_kept_the_rules(self) -> None:
        assert invariants.check(self.dynamodb, self.table) == []

    # -- what happened ------------------------------------------------------------------
    def texts_to(self, number: str) -> list[str]:
        return [sms.body for sms in self.stack.sent_sms() if sms.to == number]

    def sent(self, patient_id: str, practice: str = PRACTICE) -> list[SentMessage]:
        """The outreach messages to the patient so far, oldest first."""
        every = self.outbox.messages_between(practice, datetime(2020, 1, 1, tzinfo=ZONE),
                                             self.now() + timedelta(seconds=1))  # fmt: skip
        return sorted((m for m in every if m.patient_id == patient_id), key=lambda m: m.sent_at)

    def active(self, patient_id: str, practice: str = PRACTICE) -> Enrolment | None:
        return self.sequences.active(practice, patient_id)

    def open_handoff(self, number: str) -> Handoff:
        [handoff] = [h for h in self.handoffs.open_ones(PRACTICE) if h.from_number == number]
        return handoff

    def emails(self) -> int:
        return len(self.stack.sent_emails())


@pytest.fixture(scope="module")
def weeks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Weeks]:
    directory = tmp_path_factory.mktemp("conversation-weeks")
    with LocalStack(TEMPLATE, directory / "local") as stack:
        stack.clock.set(demo.next_tuesday_morning(stack.clock.now()))
        dynamodb, table = stack.client("dynamodb"), stack.outputs["PracticeTableName"]
        demo.seed(dynamodb, table, stack.clock.now().date(), patients=0)  # the practice only
        PracticeRepository(dynamodb, table).save(CAPPED)
        yield Weeks(stack)


def number(n: int) -> str:
    """A fictional 555-01xx mobile of the demo practice's area."""
    return f"+121255501{n:02d}"


# -- 1-3: replies read in their conversation ----------------------------------------------
def test_a_thumbs_up_to_outreach_is_a_yes_and_a_thanks_after_the_confirmation_is_nothing(
    weeks: Weeks,
) -> None:
    tuesday = weeks.next_tuesday()
    demo.publish_openings(weeks.stack, tuesday)
    weeks.patient("W-101", number(11))
    weeks.patient("W-102", number(12))
    weeks.patient("W-103", number(13))
    weeks.enrol(tuesday)
    for n in (11, 12, 13):
        assert len(weeks.texts_to(number(n))) == 1  # step 1 each
    weeks.stack.advance(timedelta(hours=2))

    # "👍" right after the outreach message: a yes; the sequence ends, times are offered
    emails = weeks.emails()
    weeks.says(number(11), "👍")
    assert weeks.active("W-101") is None
    offer = weeks.texts_to(number(11))[-1]
    assert offer.startswith("Bright Smile Dental has 1) "), offer
    assert weeks.emails() == emails  # nobody told: nothing to do yet

    # 2: "2" after the offer picks its second time, held and requested from the front desk
    second = re.search(r" 2\) (.+?)(?: 3\)|\.)", offer)
    assert second is not None, offer
    weeks.says(number(11), "2")
    confirmation = weeks.texts_to(number(11))[-1]
    assert confirmation.startswith(f"Done! {second[1]} is held for you"), (offer, confirmation)
    [held] = [r for r in OpeningRepository(weeks.dynamodb, weeks.table).requested_between(
        PRACTICE, tuesday, weeks.now() + timedelta(minutes=1)) if r.patient_id == "W-101"]  # fmt: skip
    local = held.opening.starts_at.astimezone(ZONE)
    assert f"{local:%a %b} {local.day} {local:%-I:%M%p}".lower() == second[1].lower()

    # 1: a thanks after that confirmation is an acknowledgement: stored, nothing changes,
    # nobody is told (no text, no email, no handoff)
    texts, emails = len(weeks.stack.sent_sms()), weeks.emails()
    handoffs = list(weeks.handoffs.open_ones(PRACTICE))  # the pick's, for the front desk
    weeks.says(number(11), "thanks!")
    assert (len(weeks.stack.sent_sms()), weeks.emails()) == (texts, emails)
    assert list(weeks.handoffs.open_ones(PRACTICE)) == handoffs
    last = weeks.replies.conversation(PRACTICE, number(11))[-1]
    assert last.reading is not None and last.reading.value == "acknowledgement", last

    # 3: "already booked" ends the sequence and gives the front desk a booking to confirm
    weeks.says(number(12), "Already booked online, thanks")
    assert weeks.active("W-102") is None
    handoff = weeks.open_handoff(number(12))
    assert handoff.reason is HandoffReason.BOOKING_TO_CONFIRM and not handoff.urgent
    assert weeks.stack.sent_emails()[-1].to == (demo.PRACTICE.front_desk_email,)
    assert len(weeks.texts_to(number(12))) == 1  # no text back
    weeks.staff.close_handoff(PRACTICE, handoff.handoff_id, weeks.now(), HandoffOutcome.BOOKED)

    # the week goes on: only the silent patient hears from the practice again (step 2)
    weeks.days(6)
    assert len(weeks.texts_to(number(13))) == 2
    assert len(weeks.texts_to(number(11))) == 3 and len(weeks.texts_to(number(12))) == 1
    weeks.week_kept_the_rules()
