"""The segment function against moto: enrolment, follow-ups, and no second enrolment."""

import json
import tomllib
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest
from pydantic import ValidationError

from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.items import SHARDS, record_shard
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.queue import SegmentQueue, SendQueue
from reactivation.adapters.recipients import RecipientRepository
from reactivation.adapters.records import PatientRecords
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain.messages import MessageLibrary
from reactivation.domain.patients import AppointmentStatus
from reactivation.events import SegmentRun, SegmentUnit
from reactivation.services.segment import SegmentService
from tests.builders import at, make_patient, make_practice, visit
from tests.conftest import Aws
from tests.functions.helpers import queued, scheduled, seed, sqs_event

Handler = Callable[[dict[str, Any]], Any]


def segment_service(aws: Aws, library: MessageLibrary | None = None) -> SegmentService:
    dynamodb = aws.client("dynamodb")
    return SegmentService(
        PracticeRepository(dynamodb, aws.table),
        PatientRecords(dynamodb, aws.table),
        ConsentRepository(dynamodb, aws.table),
        SequenceRepository(dynamodb, aws.table),
        SendQueue(aws.client("sqs"), aws.ref("SendQueue")),
        library or MessageLibrary.default(),
        SegmentQueue(aws.client("sqs"), aws.ref("SegmentQueue")),
    )


def run_units(aws: Aws, segment: Handler) -> int:
    """Feeds the segment queue to the function, as Lambda's event source would; returns the
    number of units run."""
    units = 0
    while batch := queued(aws, "SegmentQueue"):
        for message in batch:
            assert segment(sqs_event(aws, [message["Body"]])) == {"batchItemFailures": []}
            aws.client("sqs").delete_message(
                QueueUrl=aws.ref("SegmentQueue"), ReceiptHandle=message["ReceiptHandle"]
            )
            units += 1
    return units


def send_jobs(aws: Aws) -> list[dict[str, Any]]:
    return [json.loads(m["Body"]) for m in queued(aws)]


def test_weekly_enrolment_queues_one_job_per_due_patient(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    seed(aws, None, make_patient("P-1"), make_patient("P-2", mobile="+12125550102"))
    ConsentRepository(aws.client("dynamodb"), aws.table).record(
        "bright-smile", "+12125550102", opted_out=True, at=at("2026-11-01 10:00"),
        recorded_at=at("2026-11-01 10:00"),
    )  # fmt: skip
    segment = load_function("SegmentFunction")
    plan = segment(scheduled("enrolment", "2026-11-24T15:00:00Z"))  # Tuesday 10:00 in New York
    assert plan["units"] == 1 and plan["practice_ids"] == ["bright-smile"]
    assert run_units(aws, segment) == 9  # one per shard of the practice's patients, the SELECT
    jobs = send_jobs(aws)
    assert [(j["patient_id"], j["step"], j["channel"]) for j in jobs] == [("P-1", 1, "sms")]


def test_an_sms_first_step_holds_its_place_on_the_patients_number(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    # Ana and Leo share the family mobile: both steps are marked pending on it, so that the
    # send gives the day to the higher-priority one whichever the queue delivers first
    seed(aws, None, make_patient("P-1"), make_patient("P-2", first_name="Leo"))
    segment = load_function("SegmentFunction")
    segment(scheduled("enrolment", "2026-11-24T15:00:00Z"))
    run_units(aws, segment)
    number = RecipientRepository(aws.client("dynamodb"), aws.table).read(
        "bright-smile", "+12125550101"
    )
    assert sorted((p.patient_id, p.campaign.value) for p in number.pending) == [
        ("P-1", "recall_due"), ("P-2", "recall_due")
    ]  # fmt: skip
    assert {p.due_at for p in number.pending} == {at("2026-11-24 10:00")}


def test_each_practice_is_enrolled_at_its_own_local_hour(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    seed(aws)
    seed(aws, make_practice(practice_id="sunset-smiles", timezone="America/Los_Angeles",
                            sending_number="+13105550199"))  # fmt: skip
    segment = load_function("SegmentFunction")
    hours = {hour: segment(scheduled("enrolment", f"2026-11-24T{hour}:00:00Z"))["practice_ids"]
             for hour in ("14", "15", "16", "17", "18", "19")}  # fmt: skip
    assert hours == {"14": [], "15": ["bright-smile"], "16": [], "17": [],
                     "18": ["sunset-smiles"], "19": []}  # fmt: skip
    assert run_units(aws, segment) == 18
    assert sorted(j["practice_id"] for j in send_jobs(aws)) == ["bright-smile", "sunset-smiles"]


def test_a_second_run_neither_enrols_again_nor_requeues(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    seed(aws)
    segment = load_function("SegmentFunction")
    segment(scheduled("enrolment", "2026-11-24T15:00:00Z"))
    segment(scheduled("enrolment", "2026-11-24T15:00:00Z"))  # the schedule fired twice
    # 16 shard units, then the SELECT, queued again by each shard of the second firing (each
    # saw the run's shards all finished before any SELECT ran): the first SELECT enrols
    assert run_units(aws, segment) == 16 + 1 + SHARDS
    assert [j["step"] for j in send_jobs(aws)] == [1]  # (received: in flight from now on)
    segment(scheduled("follow_ups", "2026-11-27T15:00:00Z"))
    run_units(aws, segment)
    assert send_jobs(aws) == []  # step 2 is due on the 28th
    segment(scheduled("follow_ups", "2026-11-28T15:00:00Z"))
    run_units(aws, segment)
    assert [j["step"] for j in send_jobs(aws)] == [2]


def test_a_large_practice_is_segmented_page_after_page(aws: Aws) -> None:
    ids = [i for i in (f"P-{n:03d}" for n in range(200)) if record_shard(i) == 3][:7]
    patients = [make_patient(i, mobile=f"+1212555{n:04d}") for n, i in enumerate(ids, 1)]
    seed(aws, None, *patients)
    service = segment_service(aws)
    unit = SegmentUnit(run=SegmentRun.ENROLMENT, practice_id="bright-smile",
                       run_start=at("2026-11-24 10:00"), shard=3)  # fmt: skip
    seconds = iter([500, 400, 50])  # the third patient leaves too little time
    first = service.run_unit(unit, lambda: float(next(seconds)))
    assert first.paged and first.patients == 3 and first.ranked == 3 and first.queued == 0
    (page,) = [SegmentUnit.model_validate_json(m["Body"]) for m in queued(aws, "SegmentQueue")]
    assert page == unit.model_copy(update={"after": ids[2]})
    rest = service.run_unit(page, lambda: 500.0)
    assert not rest.paged and rest.patients == 4 and rest.ranked == 4 and rest.queued == 0
    for shard in set(range(SHARDS)) - {3}:  # the other shards: the last one queues the SELECT
        service.run_unit(unit.model_copy(update={"shard": shard}), lambda: 500.0)
    (select,) = [SegmentUnit.model_validate_json(m["Body"]) for m in queued(aws, "SegmentQueue")]
    assert select.run is SegmentRun.SELECT and select.shard is None
    assert service.run_unit(select, lambda: 500.0).queued == 7
    again = service.run_unit(page, lambda: 500.0)  # a page delivered twice changes nothing
    assert again.late and again.ranked == 0 and again.skipped == {"in_sequence": 4}
    assert service.run_unit(select, lambda: 500.0).queued == 0  # nor does a SELECT run twice
    assert sorted(j["patient_id"] for j in send_jobs(aws)) == ids


def test_every_shard_of_a_practice_is_a_unit_and_each_patient_is_in_one(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    patients = [make_patient(f"P-{n:02d}", mobile=f"+1212555{n:04d}") for n in range(1, 41)]
    seed(aws, None, *patients)
    segment = load_function("SegmentFunction")
    segment(scheduled("enrolment", "2026-11-24T15:00:00Z"))
    assert run_units(aws, segment) == 9
    jobs = send_jobs(aws)
    assert sorted(j["patient_id"] for j in jobs) == [p.patient_id for p in patients]


def test_a_malformed_schedule_event_is_refused(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    segment = load_function("SegmentFunction")
    with pytest.raises(ValidationError):
        segment({"run": "everything", "scheduled_time": "yesterday"})


def test_a_no_show_last_week_comes_first(aws: Aws, load_function: Callable[[str], Handler]) -> None:
    seed(aws)  # recall is due too, but missed_appointment has the higher priority
    PatientRepository(aws.client("dynamodb"), aws.table).save_appointment(
        "bright-smile",
        visit("P-1", "2026-11-17", status=AppointmentStatus.NO_SHOW, appointment_id="missed"),
    )
    segment = load_function("SegmentFunction")
    segment(scheduled("enrolment", "2026-11-24T15:00:00Z"))
    run_units(aws, segment)
    assert [j["campaign"] for j in send_jobs(aws)] == ["missed_appointment"]


def test_campaigns_without_approved_texts_are_not_tried(aws: Aws) -> None:
    seed(aws)
    PatientRepository(aws.client("dynamodb"), aws.table).save_appointment(
        "bright-smile",
        visit("P-1", "2026-11-17", status=AppointmentStatus.NO_SHOW, appointment_id="missed"),
    )
    library = tomllib.loads(
        resources.files("reactivation").joinpath("messages/library.toml").read_text("utf-8")
    )
    only_recall = MessageLibrary({k: library[k] for k in ("recall_due", "system")})
    service = segment_service(aws, only_recall)
    outcome = service.enrol(at("2026-11-24 10:00"))
    assert dict(outcome.enrolled) == {"recall_due": 1}  # missed_appointment has no texts here
