"""Builds each function's service from its settings and boto3 clients (once, at cold start)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from reactivation import clock
from reactivation.config import (
    AppointmentSettings,
    EmailFeedbackSettings,
    FunctionSettings,
    InboundRedriveSettings,
    InboundSettings,
    IngestSettings,
    ReportSettings,
    SegmentSettings,
    SendSettings,
    SmsSettings,
    StaffInboxSettings,
    UnsubscribeKeySettings,
    UnsubscribeSettings,
)

if TYPE_CHECKING:
    from mypy_boto3_sns.client import SNSClient

    from reactivation.adapters.channels import OptOutList, SmsChannel
    from reactivation.adapters.queue import DeadLetters
    from reactivation.adapters.second_opinion import BedrockSecondOpinion
    from reactivation.services.appointments import AppointmentChangeService
    from reactivation.services.email_feedback import EmailFeedbackService
    from reactivation.services.inbound import InboundService
    from reactivation.services.inbound_redrive import InboundRedrive
    from reactivation.services.ingest import IngestService
    from reactivation.services.report import ReportService
    from reactivation.services.segment import SegmentService
    from reactivation.services.send import SendService
    from reactivation.services.staff import StaffInboxActions, StaffService
    from reactivation.services.staff_inbox import Authenticator, InboxService
    from reactivation.services.unsubscribe import UnsubscribeService

#: How long a warm send function keeps a practice's settings before reading them again.
PRACTICE_CACHE_SECONDS = 60.0

# Each builder imports its own service and adapters: a function loads only what it runs
# (cold start). The table's client is built at cold start (every invocation reads the table);
# every other client when first used (an SMS channel, SES, a queue, a secret: not every
# invocation needs each).


def _build_client(service: str, settings: FunctionSettings) -> Any:
    """Short timeouts and the standard retry mode: a slow call fails inside the function's
    timeout. (The read timeout is a setting: the local stack's moto is slower than AWS.)"""
    config = Config(
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=3,
        read_timeout=settings.aws_read_timeout,
    )
    return boto3.client(service, config=config)  # type: ignore[call-overload]


class LazyClient:
    """A boto3 client built when it is first used (its first attribute asked for)."""

    def __init__(
        self,
        service: str,
        settings: FunctionSettings,
        build: Callable[[], Any] | None = None,
    ) -> None:
        self._service, self._settings = service, settings
        self._build = build  # when the client needs its own configuration
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self._client = (
                self._build() if self._build else _build_client(self._service, self._settings)
            )
        return getattr(self._client, name)


def _client(service: str, settings: FunctionSettings) -> Any:
    """The table's client now; any other when it is first used."""
    if service == "dynamodb":
        return _build_client(service, settings)
    return LazyClient(service, settings)


class SnsSubscriptionConfirmer:
    def __init__(self, client: SNSClient) -> None:
        self._client = client

    def confirm(self, topic_arn: str, token: str) -> None:
        self._client.confirm_subscription(
            TopicArn=topic_arn, Token=token, AuthenticateOnUnsubscribe="true"
        )


def sms_channel(settings: SmsSettings) -> SmsChannel:
    """SNS Publish by default; AWS End User Messaging SMS when the deployment chose it."""
    from reactivation.adapters.channels import EndUserMessagingSms, SnsSms

    if settings.sms_channel == "end_user_messaging":
        return EndUserMessagingSms(
            _client("pinpoint-sms-voice-v2", settings), settings.sms_configuration_set
        )
    return SnsSms(_client("sns", settings))


def opt_out_list(settings: SmsSettings) -> OptOutList | None:
    """The End User Messaging opt-out list, when that channel is used with one."""
    from reactivation.adapters.channels import EndUserMessagingOptOuts

    if settings.sms_channel != "end_user_messaging" or not settings.sms_opt_out_list:
        return None
    return EndUserMessagingOptOuts(
        _client("pinpoint-sms-voice-v2", settings), settings.sms_opt_out_list
    )


def segment_service(settings: SegmentSettings) -> SegmentService:
    from reactivation.adapters.consent import ConsentRepository
    from reactivation.adapters.parking import ParkedJobs
    from reactivation.adapters.patients import PatientRepository
    from reactivation.adapters.practices import PracticeRepository
    from reactivation.adapters.question_follow_ups import QuestionFollowUps
    from reactivation.adapters.queue import SegmentQueue, SendQueue
    from reactivation.adapters.recipients import RecipientRepository
    from reactivation.adapters.records import PatientRecords
    from reactivation.adapters.sequences import SequenceRepository
    from reactivation.domain.messages import MessageLibrary
    from reactivation.services.question_follow_up import QuestionFollowUpService
    from reactivation.services.segment import SegmentService

    dynamodb = _client("dynamodb", settings)
    table = settings.practice_table
    practices = PracticeRepository(dynamodb, table)
    sequences = SequenceRepository(dynamodb, table)
    recipients = RecipientRepository(dynamodb, table)
    question_follow_ups = QuestionFollowUpService(
        practices=practices,
        patients=PatientRepository(dynamodb, table),
        recipients=recipients,
        follow_ups=QuestionFollowUps(dynamodb, table),
        sequences=sequences,
    )
    return SegmentService(
        practices,
        PatientRecords(dynamodb, table),
        ConsentRepository(dynamodb, table),
        sequences,
        SendQueue(_client("sqs", settings), settings.send_queue_url),
        MessageLibrary.default(),
        SegmentQueue(_client("sqs", settings), settings.segment_queue_url),
        ParkedJobs(dynamodb, table),
        recipients=recipients,
        question_follow_ups=question_follow_ups,
    )


def send_service(settings: SendSettings) -> SendService:
    from reactivation.adapters.channels import SesEmail
    from reactivation.adapters.outbox import OutboxRepository
    from reactivation.adapters.parking import ParkedJobs
    from reactivation.adapters.patients import PatientRepository
    from reactivation.adapters.practices import PracticeRepository
    from reactivation.adapters.queue import SendQueue
    from reactivation.adapters.recipients import RecipientRepository
    from reactivation.domain.messages import MessageLibrary
    from reactivation.domain.unsubscribe import UnsubscribeLinks
    from reactivation.pacing import Pacer
    from reactivation.services.send import SendService

    dynamodb = _client("dynamodb", settings)
    table = settings.practice_table
    return SendService(
        practices=PracticeRepository(dynamodb, table, cache_seconds=PRACTICE_CACHE_SECONDS),
        patients=PatientRepository(dynamodb, table),
        recipients=RecipientRepository(dynamodb, table),
        outbox=OutboxRepository(dynamodb, table),
        queue=SendQueue(_client("sqs", settings), settings.send_queue_url),
        parking=ParkedJobs(dynamodb, table),
        sms_channel=sms_channel(settings),
        email_channel=SesEmail(_client("sesv2", settings), settings.email_configuration_set),
        library=MessageLibrary.default(),
        pacer=Pacer(settings.send_max_concurrency, clock.monotonic, clock.pause),
        unsubscribe=UnsubscribeLinks(settings.unsubscribe_url, _signing_key(settings)),
    )


def send_dead_letters(settings: SendSettings) -> DeadLetters:
    from reactivation.adapters.queue import DeadLetters

    return DeadLetters(_client("sqs", settings), settings.send_dead_letter_queue_url)


def _signing_key(settings: UnsubscribeKeySettings) -> Callable[[], bytes]:
    """The unsubscribe links' key, read from Secrets Manager when first needed."""
    client = _client("secretsmanager", settings)

    def read() -> bytes:
        secret = client.get_secret_value(SecretId=settings.unsubscribe_key_secret)
        return str(secret["SecretString"]).encode("utf-8")

    return read


def email_feedback_service(settings: EmailFeedbackSettings) -> EmailFeedbackService:
    from reactivation.adapters.consent import ConsentRepository
    from reactivation.services.email_feedback import EmailFeedbackService

    return EmailFeedbackService(
        ConsentRepository(_client("dynamodb", settings), settings.practice_table)
    )


def unsubscribe_service(settings: UnsubscribeSettings) -> UnsubscribeService:
    from reactivation.adapters.consent import ConsentRepository
    from reactivation.adapters.patients import PatientRepository
    from reactivation.adapters.practices import PracticeRepository
    from reactivation.domain.unsubscribe import UnsubscribeLinks
    from reactivation.services.unsubscribe import UnsubscribeService

    dynamodb = _client("dynamodb", settings)
    table = settings.practice_table
    return UnsubscribeService(
        links=UnsubscribeLinks("", _signing_key(settings)),
        practices=PracticeRepository(dynamodb, table),
        patients=PatientRepository(dynamodb, table),
        consent=ConsentRepository(dynamodb, table),
    )


def inbound_redrive(settings: InboundRedriveSettings) -> InboundRedrive:
    """The inbound service as the redrive runs it: a parked reply may be as old as the
    dead-letter queue keeps it; every other check is the same."""
    from reactivation import verification
    from reactivation.adapters.parked_replies import ParkedReplies
    from reactivation.services.inbound_redrive import InboundRedrive

    return InboundRedrive(
        inbound_service(settings, max_age=verification.PARKED_MAX_AGE),
        ParkedReplies(_client("sqs", settings), settings.inbound_dead_letter_queue_url),
    )


def inbound_service(
    settings: InboundSettings, *, max_age: timedelta | None = None
) -> InboundService:
    """`max_age`: how old a message may be (`verification.MAX_AGE` unless given)."""
    from reactivation import verification
    from reactivation.adapters.certificates import CertificateStore
    from reactivation.adapters.channels import SesEmail
    from reactivation.adapters.consent import ConsentRepository
    from reactivation.adapters.handoffs import HandoffRepository
    from reactivation.adapters.items import TransactionWriter
    from reactivation.adapters.openings import OpeningRepository
    from reactivation.adapters.outbox import OutboxRepository
    from reactivation.adapters.patients import PatientRepository
    from reactivation.adapters.practice_events import PracticeEvents
    from reactivation.adapters.practices import PracticeRepository
    from reactivation.adapters.recipients import RecipientRepository
    from reactivation.adapters.replies import ReplyRepository
    from reactivation.adapters.sequences import SequenceRepository
    from reactivation.adapters.texts import RecordedSms
    from reactivation.domain.messages import MessageLibrary
    from reactivation.services.inbound import InboundService
    from reactivation.services.inbound.answers import Answers
    from reactivation.services.inbound.booking import Booking
    from reactivation.services.inbound.gate import SnsGate
    from reactivation.services.inbound.routing import ReplyRouter
    from reactivation.services.inbound.store import ReplyStore

    dynamodb = _client("dynamodb", settings)
    table = settings.practice_table
    recipients = RecipientRepository(dynamodb, table)
    answers = Answers(
        # its answers and confirmations are recorded: the weekly report counts what is billed
        sms_channel=RecordedSms(
            sms_channel(settings),
            OutboxRepository(dynamodb, table),
            PracticeRepository(
                dynamodb, table, cache_seconds=PRACTICE_CACHE_SECONDS
            ).owner_of_number,
            clock.now,
        ),
        email_channel=SesEmail(_client("sesv2", settings)),
        library=MessageLibrary.default(),
        opt_out_list=opt_out_list(settings),
        staff_inbox_url=settings.staff_inbox_url,
    )
    gate = SnsGate(
        topic_arn=settings.inbound_topic_arn,
        certificates=CertificateStore(settings.certificate_endpoint),
        confirmer=SnsSubscriptionConfirmer(_client("sns", settings)),
        wall_clock=clock.wall_now,
        accept_signature_version_1=settings.accept_signature_version_1,
        max_age=verification.MAX_AGE if max_age is None else max_age,
    )
    store = ReplyStore(
        consent=ConsentRepository(dynamodb, table),
        sequences=SequenceRepository(dynamodb, table),
        handoffs=HandoffRepository(dynamodb, table),
        replies=ReplyRepository(dynamodb, table),
        recipients=recipients,
        writes=TransactionWriter(dynamodb),
    )
    booking = Booking(
        openings=OpeningRepository(dynamodb, table, empty_cache_seconds=PRACTICE_CACHE_SECONDS),
        recipients=recipients,
        practice_events=PracticeEvents(_client("events", settings), settings.practice_events_bus),
        answers=answers,
    )
    opinion = second_opinion(settings)
    router = ReplyRouter(
        practices=PracticeRepository(dynamodb, table, cache_seconds=PRACTICE_CACHE_SECONDS),
        patients=PatientRepository(dynamodb, table),
        recipients=recipients,
        store=store,
        booking=booking,
        answers=answers,
        second_opinion=opinion.ask if opinion is not None else None,
    )
    return InboundService(gate, router)


#: A second opinion is a nicety: one try, answered fast, or the local reading stands.
SECOND_OPINION_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=2, read_timeout=4
)


def second_opinion(settings: InboundSettings) -> BedrockSecondOpinion | None:
    """The hosted model asked about unsure replies, when the stack names one (None: off).
    Its client is built when first used; each call's outcome is a metric."""
    model = settings.reply_second_opinion_model
    if model is None:
        return None
    from aws_lambda_powertools.metrics import MetricUnit

    from reactivation.adapters.second_opinion import BedrockSecondOpinion
    from reactivation.observability import metrics

    def build() -> Any:
        return boto3.client(
            "bedrock-runtime",
            region_name=settings.reply_second_opinion_region,
            config=SECOND_OPINION_CONFIG,
        )

    def count(name: str) -> None:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)

    return BedrockSecondOpinion(LazyClient("bedrock-runtime", settings, build), model, count)


def report_service(settings: ReportSettings) -> ReportService:
    return report_service_for(
        lambda service: _client(service, settings),
        settings.practice_table,
        settings.report_sender_address,
        segment_price=settings.sms_segment_price,
        staff_inbox_url=settings.staff_inbox_url,
    )


def report_service_for(
    client: Callable[[str], Any],
    table: str,
    sender: str,
    *,
    segment_price: float | None = None,
    staff_inbox_url: str | None = None,
) -> ReportService:
    """The report service on any deployment's clients (the function's, or the CLI's)."""
    from reactivation.adapters.channels import SesEmail
    from reactivation.adapters.handoffs import HandoffRepository
    from reactivation.adapters.openings import OpeningRepository
    from reactivation.adapters.outbox import OutboxRepository
    from reactivation.adapters.outcomes import OutcomeRepository
    from reactivation.adapters.practices import PracticeRepository
    from reactivation.adapters.replies import ReplyRepository
    from reactivation.adapters.reports import ReportRepository
    from reactivation.adapters.sequences import SequenceRepository
    from reactivation.services.report import ReportMailing, ReportService

    dynamodb = client("dynamodb")
    return ReportService(
        practices=PracticeRepository(dynamodb, table),
        sequences=SequenceRepository(dynamodb, table),
        outbox=OutboxRepository(dynamodb, table),
        replies=ReplyRepository(dynamodb, table),
        handoffs=HandoffRepository(dynamodb, table),
        openings=OpeningRepository(dynamodb, table),
        outcomes=OutcomeRepository(dynamodb, table),
        reports=ReportRepository(dynamodb, table),
        email_channel=SesEmail(client("sesv2")),
        mailing=ReportMailing(sender, segment_price, staff_inbox_url),
    )


def staff_service_for(dynamodb: Any, table: str) -> StaffService:
    """Staff's use cases on a deployment's table: for the CLI now, and the staff inbox."""
    from reactivation.adapters.consent import ConsentRepository
    from reactivation.adapters.handoffs import HandoffRepository
    from reactivation.adapters.openings import OpeningRepository
    from reactivation.adapters.practices import PracticeRepository
    from reactivation.adapters.question_follow_ups import QuestionFollowUps
    from reactivation.adapters.replies import ReplyRepository
    from reactivation.adapters.sequences import SequenceRepository
    from reactivation.domain.messages import MessageLibrary
    from reactivation.services.staff import StaffService

    return StaffService(
        practices=PracticeRepository(dynamodb, table),
        handoffs=HandoffRepository(dynamodb, table),
        sequences=SequenceRepository(dynamodb, table),
        replies=ReplyRepository(dynamodb, table),
        consent=ConsentRepository(dynamodb, table),
        openings=OpeningRepository(dynamodb, table),
        library=MessageLibrary.default(),
        follow_ups=QuestionFollowUps(dynamodb, table),
    )


def ingest_service(settings: IngestSettings) -> IngestService:
    from reactivation.adapters.channels import SesEmail
    from reactivation.adapters.imports import ExportStore, ImportRepository
    from reactivation.adapters.patients import PatientRepository
    from reactivation.adapters.practices import PracticeRepository
    from reactivation.adapters.queue import ImportQueue
    from reactivation.services.ingest import IngestService, OwnerNotices

    dynamodb = _client("dynamodb", settings)
    table = settings.practice_table
    return IngestService(
        practices=PracticeRepository(dynamodb, table),
        patients=PatientRepository(dynamodb, table),
        imports=ImportRepository(dynamodb, table),
        exports=ExportStore(_client("s3", settings), settings.imports_bucket),
        continuations=ImportQueue(_client("sqs", settings), settings.import_queue_url),
        owners=OwnerNotices(SesEmail(_client("sesv2", settings)), settings.report_sender_address),
    )


def appointment_dead_letters(settings: AppointmentSettings) -> DeadLetters:
    from reactivation.adapters.queue import DeadLetters

    return DeadLetters(_client("sqs", settings), settings.appointment_dead_letter_queue_url)


def appointment_change_service(settings: AppointmentSettings) -> AppointmentChangeService:
    from reactivation.adapters.consent import ConsentRepository
    from reactivation.adapters.openings import OpeningRepository
    from reactivation.adapters.patients import PatientRepository
    from reactivation.adapters.practices import PracticeRepository
    from reactivation.adapters.sequences import SequenceRepository
    from reactivation.domain.messages import MessageLibrary
    from reactivation.services.appointments import AppointmentChangeService

    dynamodb = _client("dynamodb", settings)
    table = settings.practice_table
    return AppointmentChangeService(
        PracticeRepository(dynamodb, table),
        PatientRepository(dynamodb, table),
        ConsentRepository(dynamodb, table),
        SequenceRepository(dynamodb, table),
        MessageLibrary.default().campaigns(),
        OpeningRepository(dynamodb, table),
    )


# -- the staff inbox ----------------------------------------------------------------------


@dataclass(frozen=True)
class StaffInbox:
    authenticator: Authenticator
    inbox: InboxService
    actions: StaffInboxActions


def staff_inbox(settings: StaffInboxSettings) -> StaffInbox:
    """The staff inbox's sign-in, pages and actions (the same StaffService as the CLI's)."""
    from reactivation.adapters.cognito import CognitoSignIn, JwksVerifier
    from reactivation.adapters.consent import ConsentRepository
    from reactivation.adapters.handoffs import HandoffRepository
    from reactivation.adapters.outbox import OutboxRepository
    from reactivation.adapters.patients import PatientRepository
    from reactivation.adapters.replies import ReplyRepository
    from reactivation.adapters.sequences import SequenceRepository
    from reactivation.adapters.staff_inbox import (
        AuditRepository,
        ConversationReads,
        SessionRepository,
    )
    from reactivation.services.staff import StaffInboxActions, StaffInboxParts
    from reactivation.services.staff_inbox import Authenticator, InboxService

    dynamodb = _client("dynamodb", settings)
    table = settings.practice_table
    audit = AuditRepository(dynamodb, table)
    reads = ConversationReads(dynamodb, table)
    consent = ConsentRepository(dynamodb, table)
    patients = PatientRepository(dynamodb, table)
    parts = StaffInboxParts(
        sms=sms_channel(settings), texts=OutboxRepository(dynamodb, table), audit=audit,
        conversation=reads, consent=consent, sequences=SequenceRepository(dynamodb, table),
        opt_out_list=opt_out_list(settings),
    )  # fmt: skip
    staff = staff_service_for(dynamodb, table)

    def first_name(practice_id: str, patient_ids: tuple[str, ...]) -> str:
        for patient_id in patient_ids:
            record = patients.record(practice_id, patient_id)
            if record is not None:
                return record.patient.first_name
        return ""

    def opted_out(practice_id: str, number: str) -> bool:
        return bool(consent.opted_out(practice_id, [number]))

    authenticator = Authenticator(
        cognito=CognitoSignIn(_client("cognito-idp", settings), settings.staff_user_pool_client_id),
        verifier=JwksVerifier(settings.jwks_url),
        sessions=SessionRepository(dynamodb, table),
        issuer=settings.staff_token_issuer,
        client_id=settings.staff_user_pool_client_id,
    )
    inbox = InboxService(
        staff=staff, handoffs=HandoffRepository(dynamodb, table),
        replies=ReplyRepository(dynamodb, table), sequences=SequenceRepository(dynamodb, table),
        reads=reads, audit=audit, first_name=first_name, opted_out=opted_out,
    )  # fmt: skip
    return StaffInbox(authenticator, inbox, StaffInboxActions(staff, parts))


if TYPE_CHECKING:
    from reactivation.adapters.receipts import ReceiptQueue
    from reactivation.config import DeliveryReceiptSettings
    from reactivation.services.delivery import DeliveryReceiptService


def delivery_receipt_service(settings: DeliveryReceiptSettings) -> DeliveryReceiptService:
    from reactivation.adapters.consent import ConsentRepository
    from reactivation.adapters.receipts import DeliveryRepository
    from reactivation.services.delivery import DeliveryReceiptService
    from reactivation.services.suppression import ContactSuppression

    dynamodb = _client("dynamodb", settings)
    table = settings.practice_table
    return DeliveryReceiptService(
        DeliveryRepository(dynamodb, table),
        ContactSuppression(ConsentRepository(dynamodb, table)),
    )


def receipt_queue(settings: DeliveryReceiptSettings) -> ReceiptQueue:
    from reactivation.adapters.receipts import ReceiptQueue

    return ReceiptQueue(_client("sqs", settings), settings.delivery_receipts_queue_url)
