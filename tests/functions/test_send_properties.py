"""The whole send path under random worlds (hypothesis, the send function against moto): random
practices and sending windows, patients in Arizona, Hawaii and the DST zones sharing numbers
whose area codes are elsewhere, weeks across Thanksgiving, Christmas and both DST changes,
jobs delivered again at any moment, STOP and START in any order. Whatever happens, the table
keeps the rules (reactivation_tools.local.invariants): nothing outside sending hours, no cap broken,
no step sent twice, nothing after an opt-out."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reactivation import clock
from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.items import TransactionWriter, WritesRefused
from reactivation.adapters.outbox import OutboxRepository
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain import sequences
from reactivation.domain.outreach import Decision, SendJob, SendStatus
from reactivation.domain.practice import SendingWindow
from reactivation.domain.types import Campaign, Channel
from reactivation_tools.local import invariants
from tests.builders import at, make_patient, make_practice, visit
from tests.conftest import Aws
from tests.functions.helpers import sqs_event

Handler = Callable[[dict[str, Any]], Any]

ZONES = ["America/New_York", "America/Chicago", "America/Phoenix", "Pacific/Honolulu",
         "America/Los_Angeles"]  # fmt: skip
#: Numbers whose area codes are in New York, Phoenix, Honolulu and Los Angeles.
NUMBERS = ["+12125550101", "+16025550102", "+18085550103", "+13105550104"]
#: Weeks that start where the rules are hard: the DST ends (1 Nov 2026) and starts (14 Mar
#: 2027), Thanksgiving (26 Nov 2026), Christmas and New Year's Day.
STARTS = [at("2026-10-30 18:00"), at("2026-11-25 17:00"), at("2026-12-23 19:30"),
          at("2027-03-12 20:00"), at("2026-12-31 08:00")]  # fmt: skip


@dataclass(frozen=True)
class Event:
    minutes: int  # after the week's start
    kind: str  # "job" (a patient's next step), "again" (an earlier job once more), "stop", "start"
    who: int  # the patient (job), the earlier job (again) or the number (stop, start)


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, Any]:
    opens = draw(st.integers(8, 10))  # the enrolment hour (10:00) must be inside
    return {
        "zone": draw(st.sampled_from(ZONES)),
        "window": SendingWindow(opens_hour=opens, closes_hour=draw(st.integers(opens + 5, 21))),
        "patients": draw(
            st.lists(
                st.tuples(st.integers(0, len(NUMBERS) - 1), st.sampled_from([None, *ZONES])),
                min_size=1,
                max_size=4,
            )
        ),
        "start": draw(st.sampled_from(STARTS)),
        "events": draw(
            st.lists(
                st.builds(
                    Event,
                    st.integers(0, 14 * 24 * 60),
                    st.sampled_from(["job", "job", "job", "again", "again", "stop", "start"]),
                    st.integers(0, 9),
                ),
                min_size=4,
                max_size=16,
            )
        ),
    }


_practices = itertools.count()


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds())
def test_whatever_happens_in_whatever_order_the_table_keeps_the_sending_rules(
    aws: Aws, load_function: Callable[[str], Handler], world: dict[str, Any]
) -> None:
    aws.empty()  # each example from an empty table, as each test starts
    dynamodb = aws.client("dynamodb")
    n = next(_practices)  # each example a practice of its own, with a number of its own
    practice = make_practice(practice_id=f"world-{n}", sending_number=f"+1212556{n:04d}",
                             timezone=world["zone"], sending_window=world["window"])  # fmt: skip
    pid = practice.practice_id
    PracticeRepository(dynamodb, aws.table).save(practice)
    patients = PatientRepository(dynamodb, aws.table)
    for n, (number, zone) in enumerate(world["patients"]):
        patients.save(pid, make_patient(f"P-{n}", mobile=NUMBERS[number], timezone=zone))
        patients.save_appointment(pid, visit(f"P-{n}", "2026-04-20"))
    send = load_function("SendFunction")
    jobs: list[SendJob] = []
    steps: dict[int, SendJob] = {}
    for happening in sorted(world["events"], key=lambda e: e.minutes):
        now = world["start"] + timedelta(minutes=happening.minutes)
        clock.freeze(now)
        if happening.kind in ("stop", "start"):
            # the carrier's time may be minutes before the moment it arrives: out of order
            number, carrier_time = (
                NUMBERS[happening.who % len(NUMBERS)],
                now - timedelta(minutes=happening.who),
            )
            consent = ConsentRepository(dynamodb, aws.table)
            stop = happening.kind == "stop"
            was_out = number in consent.opted_out(pid, [number])
            writes = consent.change_writes(pid, number, opted_out=stop, at=carrier_time,
                                           recorded_at=now, changes=stop != was_out)  # fmt: skip
            with contextlib.suppress(WritesRefused):  # a later change by the carrier's clock won
                TransactionWriter(dynamodb).write(writes)
            continue
        if happening.kind == "again":
            if not jobs:
                continue
            job = jobs[happening.who % len(jobs)]
        else:
            job = next_step(aws, pid, steps, happening.who % len(world["patients"]), now)
            jobs.append(job)
        assert send(sqs_event(aws, [job.model_dump_json()])) == {"batchItemFailures": []}
    clock.freeze(None)
    outbox = OutboxRepository(dynamodb, aws.table)
    statuses = [outbox.status(job) for job in jobs]
    event(f"{sum(s is SendStatus.SENT for s in statuses)} of {len(statuses)} jobs sent")
    found = invariants.check(dynamodb, aws.table)
    assert [v for v in found if v.practice_id == pid] == []


def next_step(
    aws: Aws, practice_id: str, steps: dict[int, SendJob], patient: int, now: datetime
) -> SendJob:
    """The patient's first step (enrolled now), or the step after the last one given."""
    last = steps.get(patient)
    if last is None:
        decision = Decision(patient_id=f"P-{patient}", campaign=Campaign.RECALL_DUE,
                            channel=Channel.SMS)  # fmt: skip
        sequence = sequences.start(practice_id, decision, now)
        assert SequenceRepository(aws.client("dynamodb"), aws.table).enrol(sequence)
        job = sequences.job_for_due_step(sequence, now)
    else:
        step = last.step % 3 + 1
        job = last.model_copy(update={"step": step, "job_id": sequences.job_id(
            practice_id, last.patient_id, last.sequence_id, step)})  # fmt: skip
    steps[patient] = job
    return job
