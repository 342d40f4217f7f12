"""The segment function against moto: enrolment, follow-ups, and no second enrolment."""

import json
import tomllib
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest
from pydantic import ValidationError

from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.queue import SendQueue
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain.messages import MessageLibrary
from reactivation.domain.models import AppointmentStatus
from reactivation.services.segment import SegmentService
from tests.builders import at, make_patient, visit
from tests.conftest import Aws
from tests.functions.helpers import queued, scheduled, seed

Handler = Callable[[dict[str, Any]], Any]


def test_weekly_enrolment_queues_one_job_per_due_patient(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    seed(aws, None, make_patient("P-1"), make_patient("P-2", mobile="+12125550102"))
    ConsentRepository(aws.client("dynamodb"), aws.table).record(
        "bright-smile", "+12125550102", opted_out=True, at=at("2026-11-01 10:00"),
        recorded_at=at("2026-11-01 10:00"),
    )  # fmt: skip
    segment = load_function("SegmentFunction")
    result = segment(scheduled("enrolment", "2026-11-24T15:00:00Z"))
    assert result["enrolled"] == {"recall_due": 1}
    assert result["skipped"] == {"opted_out": 1}
    jobs = [json.loads(m["Body"]) for m in queued(aws)]
    assert [(j["patient_id"], j["step"], j["channel"]) for j in jobs] == [("P-1", 1, "sms")]


def test_a_second_run_neither_enrols_again_nor_requeues(
    aws: Aws, load_function: Callable[[str], Handler]
) -> None:
    seed(aws)
    segment = load_function("SegmentFunction")
    segment(scheduled("enrolment", "2026-11-24T15:00:00Z"))
    again = segment(scheduled("enrolment", "2026-11-24T15:00:00Z"))
    assert again["enrolled"] == {} and again["skipped"] == {"in_sequence": 1}
    assert again["queued"] == 0
    follow_ups = segment(scheduled("follow_ups", "2026-11-27T15:00:00Z"))
    assert follow_ups["queued"] == 0  # step 2 is due on the 28th
    follow_ups = segment(scheduled("follow_ups", "2026-11-28T15:00:00Z"))
    assert follow_ups["queued"] == 1
    steps = [json.loads(m["Body"])["step"] for m in queued(aws)]
    assert sorted(steps) == [1, 2]


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
    result = load_function("SegmentFunction")(scheduled("enrolment", "2026-11-24T15:00:00Z"))
    assert result["enrolled"] == {"missed_appointment": 1}


def test_campaigns_without_approved_texts_are_not_tried(aws: Aws) -> None:
    seed(aws)
    PatientRepository(aws.client("dynamodb"), aws.table).save_appointment(
        "bright-smile",
        visit("P-1", "2026-11-17", status=AppointmentStatus.NO_SHOW, appointment_id="missed"),
    )
    dynamodb = aws.client("dynamodb")
    library = tomllib.loads(
        resources.files("reactivation").joinpath("messages/library.toml").read_text("utf-8")
    )
    only_recall = MessageLibrary({k: library[k] for k in ("recall_due", "system")})
    service = SegmentService(
        PracticeRepository(dynamodb, aws.table),
        PatientRepository(dynamodb, aws.table),
        ConsentRepository(dynamodb, aws.table),
        SequenceRepository(dynamodb, aws.table),
        SendQueue(aws.client("sqs"), aws.ref("SendQueue")),
        only_recall,
    )
    outcome = service.enrol(at("2026-11-24 10:00"))
    assert dict(outcome.enrolled) == {"recall_due": 1}  # missed_appointment has no texts here
