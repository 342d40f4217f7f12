"""The events the functions receive, as pydantic models: parsed at the edge, or refused (the
error names the field, never the value: `Parsed`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, ConfigDict, Field, field_validator

from reactivation.domain.conversation import BookingRequest, InboundSms, Opening
from reactivation.domain.types import Moment, Parsed, PhoneNumber

#: SNS messages are at most 256 KiB; a two-way SMS notification is far smaller.
MAX_INBOUND_BYTES = 16 * 1024


class SegmentRun(StrEnum):
    ENROLMENT = "enrolment"
    FOLLOW_UPS = "follow_ups"
    #: The weekly enrolment's second phase: a practice's ranked shards, selected and enrolled.
    SELECT = "select"


class ScheduledSegmentEvent(Parsed):
    """What the EventBridge Scheduler sends the segment function (template.yaml's Input)."""

    model_config = ConfigDict(extra="ignore")
    run: Literal[SegmentRun.ENROLMENT, SegmentRun.FOLLOW_UPS]
    scheduled_time: Moment


class SegmentUnit(Parsed):
    """One practice's share of a run, on the segment queue: the whole practice, or its patients
    after `after` (a large practice is segmented page after page, each in its own invocation);
    a SELECT unit (no shard) enrols the first of the practice's ranked shards."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    run: SegmentRun
    practice_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    run_start: Moment
    #: Enrolment: which shard of the practice's patients (each runs in parallel).
    shard: int | None = Field(default=None, ge=0, le=63)
    after: str | None = Field(default=None, max_length=64)


class ScheduledReportEvent(Parsed):
    model_config = ConfigDict(extra="ignore")
    scheduled_time: Moment


class SnsEnvelope(Parsed):
    """An SNS HTTPS delivery (the JSON body SNS posts to the endpoint), as signed."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    type: Literal["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"] = Field(
        alias="Type"
    )
    message_id: str = Field(alias="MessageId", min_length=1, max_length=128)
    topic_arn: str = Field(
        alias="TopicArn", pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$"
    )
    message: str = Field(alias="Message", max_length=MAX_INBOUND_BYTES)
    #: Kept as sent: it is part of the signed string.
    timestamp: str = Field(
        alias="Timestamp", pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$"
    )
    subject: str | None = Field(default=None, alias="Subject", max_length=100)
    signature_version: str | None = Field(default=None, alias="SignatureVersion")
    signature: str | None = Field(default=None, alias="Signature", max_length=2048)
    signing_cert_url: str | None = Field(default=None, alias="SigningCertURL", max_length=2048)
    token: str | None = Field(default=None, alias="Token", max_length=2048)
    subscribe_url: str | None = Field(default=None, alias="SubscribeURL", max_length=2048)

    @property
    def sent_at(self) -> datetime:
        return datetime.fromisoformat(self.timestamp)

    def signed_fields(self) -> dict[str, str | None]:
        """The fields by their SNS names, as the signature covers them."""
        return self.model_dump(by_alias=True)


class TwoWaySms(Parsed):
    """The inbound SMS that AWS End User Messaging publishes to the topic."""

    model_config = ConfigDict(extra="ignore")
    originationNumber: PhoneNumber
    destinationNumber: PhoneNumber
    messageBody: str = Field(max_length=1600)
    inboundMessageId: str = Field(min_length=1, max_length=128)
    messageKeyword: str | None = None
    previousPublishedMessageId: str | None = None

    @field_validator("messageBody")
    @classmethod
    def _no_control_characters(cls, value: str) -> str:
        if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
            raise ValueError("control characters in message body")
        return value

    def inbound(self, received_at: datetime) -> InboundSms:
        return InboundSms(
            inbound_message_id=self.inboundMessageId,
            from_number=self.originationNumber,
            to_number=self.destinationNumber,
            body=self.messageBody,
            received_at=received_at,
        )

    @classmethod
    def from_envelope(cls, envelope: SnsEnvelope) -> TwoWaySms:
        return cls.model_validate_json(envelope.message)


class ExportFileEvent(Parsed):
    """S3's "Object Created" event, as EventBridge delivers it to the import queue."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    class Detail(Parsed):
        model_config = ConfigDict(extra="ignore")

        class Bucket(Parsed):
            model_config = ConfigDict(extra="ignore")
            name: str

        class Object(Parsed):
            model_config = ConfigDict(extra="ignore")
            key: str = Field(max_length=1024)

        bucket: Bucket
        object: Object

    source: Literal["aws.s3"]
    detail_type: Literal["Object Created"] = Field(alias="detail-type")
    detail: Detail

    @property
    def key(self) -> str:
        """The object key (EventBridge gives it URL-decoded, unlike S3's own notifications)."""
        return self.detail.object.key


class ImportContinuation(Parsed):
    """The message an import leaves itself to go on in a fresh invocation."""

    model_config = ConfigDict(extra="forbid")
    practice_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    export_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def parse_import_message(body: str) -> ExportFileEvent | ImportContinuation:
    """An import queue message: S3's file event, or an import's continuation (else ValueError)."""
    if '"detail-type"' in body:
        return ExportFileEvent.model_validate_json(body)
    return ImportContinuation.model_validate_json(body)


#: A practice's system names itself in its events' source: `reactivation.pms.<practice id>`.
#: Its IAM policy (`reactivation practice policy`) lets it put no other source on the bus, so
#: the source says who sent an event; the functions act only when the detail's practice is it.
PMS_SOURCE = "reactivation.pms"
_PMS_SOURCE_PATTERN = r"^reactivation\.pms(\.[a-z0-9][a-z0-9-]{1,62})?$"


def pms_source(practice_id: str) -> str:
    """The source a practice's system puts its events on the practice events bus with."""
    return f"{PMS_SOURCE}.{practice_id}"


class ForeignPracticeEvent(ValueError):
    """A practice event whose source does not name the practice of its detail: refused and
    parked with this reason, never retried (it names practice ids, never patient data)."""


class AppointmentChange(Parsed):
    """One appointment as the PMS has it now: the columns of appointments.csv (data-format.md),
    with the same rules (starts_at without an offset is the practice's local time)."""

    model_config = ConfigDict(extra="forbid")
    appointment_id: str = Field(min_length=1, max_length=64)
    patient_id: str = Field(min_length=1, max_length=64)
    starts_at: str = Field(min_length=10, max_length=40)
    category: str = Field(max_length=40)
    status: str = Field(max_length=20)
    provider: str | None = Field(default=None, max_length=80)
    revenue: float | str | None = None

    def as_row(self) -> dict[str, str]:
        row = self.model_dump(exclude_none=True)
        return {column: str(value) for column, value in row.items()}


class AppointmentChangedEvent(Parsed):
    """An "Appointment Changed" event a PMS (or its sync) puts on the practice events bus:
    created, rescheduled, completed, cancelled or no-show, within minutes of it happening."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    class Detail(Parsed):
        model_config = ConfigDict(extra="forbid")
        practice_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
        #: When the change happened in the PMS: a late, older event never undoes a newer one.
        changed_at: Moment
        appointment: AppointmentChange

    source: str = Field(pattern=_PMS_SOURCE_PATTERN)
    detail_type: Literal["Appointment Changed"] = Field(alias="detail-type")
    detail: Detail


class OpeningsPublishedEvent(Parsed):
    """An "Openings Published" event a PMS (or its sync) puts on the practice events bus: the
    times it can see patients (the same columns as `slots.csv`). An opening published before
    is left as it is (a held one is never reopened)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    class Detail(Parsed):
        model_config = ConfigDict(extra="forbid")
        practice_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
        openings: list[Opening] = Field(min_length=1, max_length=500)

    source: str = Field(pattern=_PMS_SOURCE_PATTERN)
    detail_type: Literal["Openings Published"] = Field(alias="detail-type")
    detail: Detail


def parse_practice_event(body: str) -> AppointmentChangedEvent | OpeningsPublishedEvent:
    """A message of the practice events queue (else a pydantic ValidationError), put by the
    practice it is about (else ForeignPracticeEvent)."""
    event: AppointmentChangedEvent | OpeningsPublishedEvent
    if '"Openings Published"' in body:
        event = OpeningsPublishedEvent.model_validate_json(body)
    else:
        event = AppointmentChangedEvent.model_validate_json(body)
    practice_id = event.detail.practice_id
    if event.source == PMS_SOURCE:
        raise ForeignPracticeEvent(
            f"source {PMS_SOURCE} names no practice: the practice's system must put its events"
            f" with source {pms_source(practice_id)}"
        )
    if event.source != pms_source(practice_id):
        raise ForeignPracticeEvent(
            f"source {event.source} may not put events for practice {practice_id}"
        )
    return event


class BookingRequestedEvent(Parsed):
    """The "Booking Requested" event this system puts on the practice events bus when a patient
    picks an offered time: the practice's system books it (chart id and time; no name, no
    number). `reply_id` is its idempotency key: a reply delivered twice may send it twice."""

    model_config = ConfigDict(populate_by_name=True)

    class Detail(Parsed):
        model_config = ConfigDict(extra="forbid")
        practice_id: str
        patient_id: str
        starts_at: AwareDatetime
        provider: str | None = None
        category: str | None = None
        reply_id: str
        requested_at: AwareDatetime

    source: Literal["reactivation.outreach"] = "reactivation.outreach"
    detail_type: Literal["Booking Requested"] = Field("Booking Requested", alias="detail-type")
    detail: Detail

    @classmethod
    def of(cls, request: BookingRequest) -> BookingRequestedEvent:
        opening = request.opening
        return cls(
            detail=cls.Detail(
                practice_id=request.practice_id,
                patient_id=request.patient_id,
                starts_at=opening.starts_at.astimezone(UTC),
                provider=opening.provider,
                category=opening.category.value if opening.category else None,
                reply_id=request.reply_id,
                requested_at=request.requested_at.astimezone(UTC),
            )
        )


class _Recipient(Parsed):
    model_config = ConfigDict(extra="ignore")
    email_address: str = Field(alias="emailAddress", min_length=3, max_length=320)


class _Bounce(Parsed):
    model_config = ConfigDict(extra="ignore")
    bounce_type: str = Field(alias="bounceType")  # Permanent, Transient, Undetermined
    recipients: list[_Recipient] = Field(alias="bouncedRecipients", min_length=1)
    timestamp: AwareDatetime


class _Complaint(Parsed):
    model_config = ConfigDict(extra="ignore")
    recipients: list[_Recipient] = Field(alias="complainedRecipients", min_length=1)
    timestamp: AwareDatetime


class _Mail(Parsed):
    model_config = ConfigDict(extra="ignore")
    tags: dict[str, list[str]] = Field(default_factory=dict)


class EmailFeedback(Parsed):
    """An SES event (configuration set -> SNS -> SQS, raw): a bounce or a complaint about one
    of our emails. The practice is the `practice_id` tag the send put on the email."""

    model_config = ConfigDict(extra="ignore")
    event_type: str = Field(alias="eventType")
    mail: _Mail
    bounce: _Bounce | None = None
    complaint: _Complaint | None = None

    @classmethod
    def from_body(cls, body: str) -> EmailFeedback:
        """The event, from the queue message (raw, or wrapped in an SNS notification)."""
        data = json.loads(body)
        if isinstance(data, dict) and data.get("Type") == "Notification":
            data = json.loads(data["Message"])
        return cls.model_validate(data)

    @property
    def practice_id(self) -> str | None:
        values = self.mail.tags.get("practice_id") or []
        return values[0] if values else None

    def suppressed(self) -> tuple[list[str], datetime | None]:
        """The addresses to suppress, and when: a permanent bounce's or a complaint's."""
        if self.event_type == "Bounce" and self.bounce and self.bounce.bounce_type == "Permanent":
            return [r.email_address for r in self.bounce.recipients], self.bounce.timestamp
        if self.event_type == "Complaint" and self.complaint:
            return [r.email_address for r in self.complaint.recipients], self.complaint.timestamp
        return [], None
