"""The sample events in events/ are what the functions accept."""

import json

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import ValidationError

from reactivation.domain.outreach import SendJob
from reactivation.events import (
    AppointmentChangedEvent,
    BookingRequestedEvent,
    OpeningsPublishedEvent,
    ScheduledReportEvent,
    ScheduledSegmentEvent,
    SegmentRun,
    SnsEnvelope,
    TwoWaySms,
    parse_practice_event,
)
from tests.conftest import ROOT

EVENTS = ROOT / "events"


def load(name: str) -> dict[str, object]:
    event: dict[str, object] = json.loads((EVENTS / name).read_text())
    return event


def test_every_sample_event_is_accepted() -> None:
    enrolment = ScheduledSegmentEvent.model_validate(load("segment-enrolment.json"))
    assert enrolment.run is SegmentRun.ENROLMENT
    follow_ups = ScheduledSegmentEvent.model_validate(load("segment-follow-ups.json"))
    assert follow_ups.run is SegmentRun.FOLLOW_UPS
    ScheduledReportEvent.model_validate(load("report-weekly.json"))
    records = load("send-sqs-batch.json")["Records"]
    assert isinstance(records, list)
    SendJob.model_validate_json(records[0]["body"])
    api = APIGatewayProxyEventV2(load("inbound-sns-stop.json"))
    envelope = SnsEnvelope.model_validate_json(api.decoded_body or "")
    assert TwoWaySms.from_envelope(envelope).messageBody == "STOP"
    change = load("appointments-no-show.json")["Records"]
    assert isinstance(change, list)
    assert (
        AppointmentChangedEvent.model_validate_json(change[0]["body"]).detail.appointment.status
        == "no_show"
    )
    openings = load("appointments-openings-published.json")["Records"]
    assert isinstance(openings, list)
    published = parse_practice_event(openings[0]["body"])
    assert isinstance(published, OpeningsPublishedEvent) and len(published.detail.openings) == 3
    # what the practice's system receives (the schema the README shows)
    booking = BookingRequestedEvent.model_validate(load("booking-requested.json"))
    assert booking.detail.patient_id == "P-1006"
    assert sorted(p.name for p in EVENTS.glob("*.json")) == [
        "appointments-no-show.json",
        "appointments-openings-published.json",
        "booking-requested.json",
        "inbound-sns-stop.json",
        "report-weekly.json",
        "segment-enrolment.json",
        "segment-follow-ups.json",
        "send-sqs-batch.json",
    ]


def test_the_select_is_queued_by_the_shards_never_scheduled() -> None:
    event = {**load("segment-enrolment.json"), "run": "select"}
    with pytest.raises(ValidationError, match="run"):
        ScheduledSegmentEvent.model_validate(event)
