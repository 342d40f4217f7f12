"""The weekly run against moto: the weekly cap and a pilot's limit across the practice's shards,
the rescue first, and no enrolment after a campaign that went unanswered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from reactivation.adapters.enrolment_slots import WeeklySlots
from reactivation.adapters.items import SHARDS, record_shard
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain.outreach import Decision
from reactivation.domain.patients import AppointmentStatus
from reactivation.domain.practice import PilotMode
from reactivation.domain.sequences import start as start_sequence
from reactivation.domain.types import Campaign, Channel, ServiceCategory
from reactivation.events import SegmentRun, SegmentUnit
from tests.builders import at, make_patient, make_practice, visit
from tests.conftest import Aws
from tests.functions.helpers import queued, scheduled, seed
from tests.functions.test_report import sent_emails
from tests.functions.test_segment import run_units, segment_service, send_jobs

Handler = Callable[[dict[str, Any]], Any]

TUESDAY = "2026-11-24T15:00:00Z"  # 10:00 in New York: the weekly enrolment


def patients(count: int) -> list[Any]:
    return [make_patient(f"P-{n:02d}", mobile=f"+1212555{n:04d}") for n in range(1, count + 1)]


def weekly_run(aws: Aws, segment: Handler, when: str) -> list[str]:
    """One weekly enrolment (every shard's unit); returns the patients whose step 1 it queued."""
    segment(scheduled("enrolment", when))
    assert run_units(aws, segment) == SHARDS + 1  # the shards rank, the SELECT enrols
    jobs = send_jobs(aws)
    for message in queued(aws):  # consumed: the next run's jobs are its own
        aws.client("sqs").delete_message(
            QueueUrl=aws.ref("SendQueue"), ReceiptHandle=message["ReceiptHandle"]
        )
    return sorted(j["patient_id"] for j in jobs)


def slots(aws: Aws) -> WeeklySlots:
    return WeeklySlots(aws.client("dynamodb"), aws.table)


def test_the_weekly_cap_holds_across_shards_and_the_rest_wait_for_next_week(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    everyone = patients(40)
    seed(aws, make_practice(weekly_new_sequences=15), *everyone)
    segment = load_function("SegmentFunction")
    first = weekly_run(aws, segment, TUESDAY)
    assert len(first) == 15
    assert slots(aws).week("bright-smile", "2026-W48") == (15, 25, 15)  # 25 still due
    second = weekly_run(aws, segment, "2026-12-01T15:00:00Z")
    assert len(second) == 15 and not set(first) & set(second)
    third = weekly_run(aws, segment, "2026-12-08T15:00:00Z")
    assert sorted(first + second + third) == [p.patient_id for p in everyone]
    assert slots(aws).week("bright-smile", "2026-W50") == (10, 0, 15)


def in_shard(shard: int, count: int) -> list[str]:
    return [i for i in (f"P-{n:03d}" for n in range(300)) if record_shard(i) == shard][:count]


def test_the_cap_takes_the_practices_first_candidates_whichever_shard_runs_first(
    aws: Aws,
) -> None:
    # shard 5 holds recalls due for a few weeks and runs first; shard 2, slower, holds a
    # missed visit and recalls due for months: the week's 3 slots go to shard 2's
    early, late = in_shard(5, 3), in_shard(2, 4)
    PracticeRepository(aws.client("dynamodb"), aws.table).save(
        make_practice(weekly_new_sequences=3)
    )
    repository = PatientRepository(aws.client("dynamodb"), aws.table)
    cleanings = {**dict.fromkeys(early, "2026-05-11"),
                 **dict(zip(late, ["2026-03-02", "2026-04-20", "2026-03-02", "2026-05-11"],
                            strict=True))}  # fmt: skip
    for n, (patient_id, day) in enumerate(cleanings.items(), 1):
        repository.save("bright-smile", make_patient(patient_id, mobile=f"+1212555{n:04d}"))
        repository.save_appointment("bright-smile", visit(patient_id, day))
    repository.save_appointment(  # the last one missed a visit last week: a rescue is due
        "bright-smile",
        visit(late[3], "2026-11-17", status=AppointmentStatus.NO_SHOW, appointment_id="missed"),
    )
    service = segment_service(aws)
    unit = SegmentUnit(run=SegmentRun.ENROLMENT, practice_id="bright-smile",
                       run_start=at("2026-11-24 10:00"), shard=5)  # fmt: skip
    first = service.run_unit(unit, lambda: 500.0)
    assert first.ranked == 3 and first.enrolled == {} and queued(aws, "SegmentQueue") == []
    for shard in (0, 1, 3, 4, 6, 7, 2):
        service.run_unit(unit.model_copy(update={"shard": shard}), lambda: 500.0)
    (select,) = [SegmentUnit.model_validate_json(m["Body"]) for m in queued(aws, "SegmentQueue")]
    outcome = service.run_unit(select, lambda: 500.0)
    assert outcome.held == 4 and outcome.summary()["held_for_next_week"] == 4
    chosen = [(j["patient_id"], j["campaign"]) for j in send_jobs(aws)]
    assert sorted(chosen) == sorted(
        [(late[3], "missed_appointment"), (late[0], "recall_due"), (late[2], "recall_due")]
    )  # the rescue, then the two due longest (the same day: by patient id), not late[1]
    assert slots(aws).week("bright-smile", "2026-W48") == (3, 4, 3)
    # run again, the SELECT and the first shard enrol nobody and take no more slots
    assert service.run_unit(select, lambda: 500.0).queued == 0
    assert service.run_unit(unit, lambda: 500.0).late
    assert service.run_unit(select, lambda: 500.0).enrolled == {}
    assert queued(aws, "SegmentQueue") == [] and send_jobs(aws) == []
    assert slots(aws).week("bright-smile", "2026-W48") == (3, 4, 3)


def test_a_run_whose_shard_never_finishes_is_selected_by_a_follow_up_run_hours_later(
    aws: Aws,
) -> None:
    # shard 2's unit fails its every try (it waits in the dead-letter queue): no SELECT is
    # queued, and the practice's follow-up run selects what the other shards ranked
    early, stuck = in_shard(5, 2), in_shard(2, 1)
    PracticeRepository(aws.client("dynamodb"), aws.table).save(make_practice())
    repository = PatientRepository(aws.client("dynamodb"), aws.table)
    for n, patient_id in enumerate(early + stuck, 1):
        repository.save("bright-smile", make_patient(patient_id, mobile=f"+1212555{n:04d}"))
        repository.save_appointment("bright-smile", visit(patient_id, "2026-03-02"))
    service = segment_service(aws)
    start = at("2026-11-24 10:00")
    unit = SegmentUnit(run=SegmentRun.ENROLMENT, practice_id="bright-smile", run_start=start,
                       shard=0)  # fmt: skip
    for shard in (0, 1, 3, 4, 5, 6, 7):
        service.run_unit(unit.model_copy(update={"shard": shard}), lambda: 500.0)
    assert queued(aws, "SegmentQueue") == [] and send_jobs(aws) == []

    def follow_ups(when: datetime) -> Any:
        run = SegmentUnit(run=SegmentRun.FOLLOW_UPS, practice_id="bright-smile", run_start=when)
        return service.run_unit(run, lambda: 500.0)

    assert follow_ups(start + timedelta(hours=5)).enrolled == {}  # the shard may yet finish
    late = follow_ups(start + timedelta(hours=6))
    assert late.enrolled == {"recall_due": 2} and late.practices == 1
    assert sorted(j["patient_id"] for j in send_jobs(aws)) == sorted(early)
    # the stuck shard, redriven, is refused as late (its patient is decided next week), and
    # the follow-up runs select the run no more
    assert service.run_unit(unit.model_copy(update={"shard": 2}), lambda: 500.0).late
    assert follow_ups(start + timedelta(hours=7)).enrolled == {} and send_jobs(aws) == []


def test_a_pilot_enrols_a_few_in_its_first_weeks_then_the_cap_applies(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    pilot = PilotMode(weekly_runs=2, patients=4)
    seed(aws, make_practice(weekly_new_sequences=10, pilot=pilot), *patients(30))
    segment = load_function("SegmentFunction")
    assert len(weekly_run(aws, segment, TUESDAY)) == 4
    assert len(weekly_run(aws, segment, "2026-12-01T15:00:00Z")) == 4
    assert len(weekly_run(aws, segment, "2026-12-08T15:00:00Z")) == 10


def test_a_pilot_by_share_enrols_that_share_of_those_due(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    pilot = PilotMode(weekly_runs=1, share_percent=25)
    seed(aws, make_practice(pilot=pilot), *patients(40))
    segment = load_function("SegmentFunction")
    first = weekly_run(aws, segment, TUESDAY)
    assert len(first) == 10  # a quarter of the practice's 40 due patients (all its shards')
    assert slots(aws).week("bright-smile", "2026-W48") == (10, 30, 150)
    assert len(weekly_run(aws, segment, "2026-12-01T15:00:00Z")) == 30


def test_slots_taken_by_another_run_meanwhile_are_never_given_twice(aws: Aws) -> None:
    counter = slots(aws)
    assert counter.take("bright-smile", "2026-W48", "none due", 0, 10, due=0) == 0
    assert counter.take("bright-smile", "2026-W48", "first", 4, 10, due=6) == 4
    stale = counter._read  # another run takes 5 between this one's read and its update

    def read_then_lose_the_race(practice_id: str, week: str) -> dict[str, Any]:
        seen = stale(practice_id, week)
        counter._read = stale  # type: ignore[method-assign]
        other = WeeklySlots(aws.client("dynamodb"), aws.table)
        assert other.take(practice_id, week, "second", 5, 10, due=5) == 5
        return seen

    counter._read = read_then_lose_the_race  # type: ignore[method-assign]
    assert counter.take("bright-smile", "2026-W48", "third", 4, 10, due=4) == 1  # one left
    assert counter.take("bright-smile", "2026-W48", "third", 4, 10, due=4) == 1  # its grant
    assert counter.take("bright-smile", "2026-W48", "first", 4, 10, due=6) == 4  # again
    assert counter.take("bright-smile", "2026-W48", "fourth", 4, 10, due=4) == 0
    assert counter.week("bright-smile", "2026-W48") == (10, 4, 10)  # the latest run's 4


def test_the_weekly_rescue_ends_a_lower_priority_sequence(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    seed(aws)
    sequences = SequenceRepository(aws.client("dynamodb"), aws.table)
    recall = Decision(patient_id="P-1", campaign=Campaign.RECALL_DUE, channel=Channel.SMS)
    before = start_sequence("bright-smile", recall, at("2026-11-17 10:00"))
    assert sequences.enrol(before)
    PatientRepository(aws.client("dynamodb"), aws.table).save_appointment(
        "bright-smile",  # a miss the practice's system reported only in its export
        visit("P-1", "2026-11-20", status=AppointmentStatus.NO_SHOW, appointment_id="missed"),
    )
    segment = load_function("SegmentFunction")
    assert weekly_run(aws, segment, TUESDAY) == ["P-1"]
    active = sequences.active("bright-smile", "P-1")
    assert active is not None and active.campaign is Campaign.MISSED_APPOINTMENT
    ended = sequences.get("bright-smile", "P-1", before.sequence_id)
    assert ended is not None and ended.end_reason == "rescue"


def test_a_campaign_that_went_unanswered_is_not_tried_again_for_180_days(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    seed(aws)
    segment = load_function("SegmentFunction")
    assert weekly_run(aws, segment, TUESDAY) == ["P-1"]
    moment = datetime.fromisoformat(TUESDAY)
    for day in range(1, 20):  # the follow-up runs send steps 2, 3 and 4 (day 4, 11, 18)
        segment(scheduled("follow_ups", (moment + timedelta(days=day)).isoformat()))
        run_units(aws, segment)
    sequences = SequenceRepository(aws.client("dynamodb"), aws.table)
    history = sequences.history("bright-smile", "P-1", frozenset())
    assert not history.in_sequence
    assert history.unanswered() == {Campaign.RECALL_DUE: at("2026-12-12 10:00")}
    for message in queued(aws):  # the follow-ups' steps: sent (not this test's concern)
        aws.client("sqs").delete_message(
            QueueUrl=aws.ref("SendQueue"), ReceiptHandle=message["ReceiptHandle"]
        )
    PatientRepository(aws.client("dynamodb"), aws.table).save_appointment(
        "bright-smile",  # a filling in March: the recall stays due, and no other campaign is
        visit("P-1", "2027-03-10", category=ServiceCategory.RESTORATIVE),
    )
    tuesday = at("2027-05-25 10:00")  # 164 days after the last step: still cooling down
    assert weekly_run(aws, segment, tuesday.isoformat()) == []
    assert weekly_run(aws, segment, at("2027-06-15 10:00").isoformat()) == ["P-1"]  # 185 days


def test_the_owners_report_counts_the_patients_still_due(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    seed(aws, make_practice(weekly_new_sequences=3), *patients(10))
    weekly_run(aws, load_function("SegmentFunction"), TUESDAY)
    load_function("ReportFunction")(scheduled(None, "2026-11-30T12:00:00Z"))  # Monday 07:00
    (email,) = sent_emails()
    assert "Still due: 7 patients for next week" in email.text
    assert "(at most 3 a week)" in email.text
