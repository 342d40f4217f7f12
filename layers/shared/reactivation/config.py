"""One settings model per function, read from the environment template.yaml gives it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reactivation.domain.types import EmailAddress


class FunctionSettings(BaseModel):
    # defer_build: a model's validator is built when it is first used, so a function's cold
    # start builds its own settings' alone.
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True, defer_build=True)

    practice_table: str = Field(alias="PRACTICE_TABLE_NAME", min_length=3)
    #: Seconds an AWS call may take to answer (the local stack gives moto more).
    aws_read_timeout: float = Field(default=10, alias="AWS_CLIENT_READ_TIMEOUT", gt=0, le=300)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Self:
        """Validated at start: a missing or malformed variable stops the cold start, loudly."""
        return cls.model_validate(dict(environ))

    @classmethod
    def variables(cls) -> set[str]:
        """Every environment variable this function reads."""
        return {field.alias or name for name, field in cls.model_fields.items()}

    @classmethod
    def required_variables(cls) -> set[str]:
        """The ones without a default (template.yaml must give each of them)."""
        return {
            field.alias or name for name, field in cls.model_fields.items() if field.is_required()
        }


class SegmentSettings(FunctionSettings):
    send_queue_url: str = Field(alias="SEND_QUEUE_URL", min_length=8)
    segment_queue_url: str = Field(alias="SEGMENT_QUEUE_URL", min_length=8)


class SmsSettings(FunctionSettings):
    """Which service carries SMS: SNS (the default) or AWS End User Messaging SMS, with its
    configuration set and opt-out list (empty: none)."""

    sms_channel: Literal["sns", "end_user_messaging"] = Field(default="sns", alias="SMS_CHANNEL")
    sms_configuration_set: str | None = Field(default=None, alias="SMS_CONFIGURATION_SET")
    sms_opt_out_list: str | None = Field(default=None, alias="SMS_OPT_OUT_LIST")

    @field_validator("sms_configuration_set", "sms_opt_out_list", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return value or None


class UnsubscribeKeySettings(FunctionSettings):
    #: The Secrets Manager secret whose value signs the emails' unsubscribe links.
    unsubscribe_key_secret: str = Field(alias="UNSUBSCRIBE_KEY_SECRET_ARN", min_length=3)


class UnsubscribeSettings(UnsubscribeKeySettings):
    """The unsubscribe function: the table and the signing key."""


class SendSettings(SmsSettings, UnsubscribeKeySettings):
    send_queue_url: str = Field(alias="SEND_QUEUE_URL", min_length=8)
    #: Where a job that cannot be sent is parked, with its reason, after its last try.
    send_dead_letter_queue_url: str = Field(alias="SEND_DEAD_LETTER_QUEUE_URL", min_length=8)
    #: The send queue's maxReceiveCount: the try after which a failing job is parked.
    send_max_receives: int = Field(default=3, alias="SEND_MAX_RECEIVES", ge=1, le=1000)
    #: The one-click unsubscribe endpoint (the API's /unsubscribe).
    unsubscribe_url: str = Field(alias="UNSUBSCRIBE_URL", pattern=r"^https?://\S+$")
    #: The SES configuration set outreach email goes with (bounces and complaints come back
    #: through its event destination); empty: none.
    email_configuration_set: str | None = Field(default=None, alias="EMAIL_CONFIGURATION_SET")

    @field_validator("email_configuration_set", mode="before")
    @classmethod
    def _no_configuration_set(cls, value: object) -> object:
        return value or None

    #: The send function's most concurrent instances (the event source's maximum
    #: concurrency): each paces itself to its share of a sending number's rate.
    send_max_concurrency: int = Field(default=5, alias="SEND_MAX_CONCURRENCY", ge=1, le=1000)


class InboundSettings(SmsSettings):
    inbound_topic_arn: str = Field(alias="INBOUND_TOPIC_ARN", pattern=r"^arn:aws[a-z-]*:sns:")
    #: SHA1 signatures (SignatureVersion 1) only when a deployment must accept them.
    accept_signature_version_1: bool = Field(default=False, alias="SNS_ACCEPT_SIGNATURE_V1")
    #: Where signing certificates are fetched instead of AWS: set by the local stack only.
    certificate_endpoint: str | None = Field(default=None, alias="SNS_CERTIFICATE_ENDPOINT")
    #: Where "Booking Requested" goes, for the practice's system.
    practice_events_bus: str = Field(alias="PRACTICE_EVENTS_BUS_NAME", min_length=1)
    #: The staff inbox (its /inbox address): a handoff's email links to the conversation.
    staff_inbox_url: str | None = Field(
        default=None, alias="STAFF_INBOX_URL", pattern=r"^https?://\S+$", max_length=200
    )

    #: The Amazon Bedrock model (a foundation model id) asked for a second opinion on the
    #: replies the classifier is unsure of; None (the default): no second opinion.
    reply_second_opinion_model: str | None = Field(
        default=None,
        alias="REPLY_SECOND_OPINION_MODEL",
        pattern=r"^[a-z0-9-]+\.[A-Za-z0-9._:-]+$",
        max_length=128,
    )
    #: The region the model is called in (None: the function's own).
    reply_second_opinion_region: str | None = Field(
        default=None, alias="REPLY_SECOND_OPINION_REGION", pattern=r"^[a-z]{2}(-[a-z]+)+-\d$"
    )

    @field_validator("reply_second_opinion_model", "reply_second_opinion_region", mode="before")
    @classmethod
    def _no_second_opinion(cls, value: object) -> object:
        return value or None


class InboundRedriveSettings(InboundSettings):
    #: The replies SNS could not deliver to the inbound endpoint.
    inbound_dead_letter_queue_url: str = Field(alias="INBOUND_DEAD_LETTER_QUEUE_URL", min_length=8)


class ReportSettings(FunctionSettings):
    report_sender_address: EmailAddress = Field(alias="REPORT_SENDER_ADDRESS")
    #: The estimated price of one SMS segment, in dollars, for practices without their own.
    sms_segment_price: float = Field(default=0.0079, alias="REPORT_SMS_SEGMENT_PRICE", gt=0, le=1)
    #: The staff inbox, where "Waiting for your team" links once it exists (None: no link).
    staff_inbox_url: str | None = Field(
        default=None, alias="STAFF_INBOX_URL", pattern=r"^https://\S+$", max_length=200
    )


class IngestSettings(FunctionSettings):
    imports_bucket: str = Field(alias="IMPORTS_BUCKET_NAME", min_length=3)
    import_queue_url: str = Field(alias="IMPORT_QUEUE_URL", min_length=8)
    #: Who tells the owners that an import waits for their review (the report's sender).
    report_sender_address: EmailAddress = Field(alias="REPORT_SENDER_ADDRESS")


class EmailFeedbackSettings(FunctionSettings):
    """The email feedback function needs the table only."""


class AppointmentSettings(FunctionSettings):
    """The appointments function: the table, and where an event from the wrong practice is
    parked with its reason."""

    appointment_dead_letter_queue_url: str = Field(
        alias="APPOINTMENT_CHANGES_DEAD_LETTER_QUEUE_URL", min_length=8
    )


class StaffInboxSettings(SmsSettings):
    """The staff inbox: the Cognito user pool and app client staff sign in with."""

    staff_user_pool_id: str = Field(alias="STAFF_USER_POOL_ID", pattern=r"^[\w-]+_[0-9a-zA-Z]+$")
    staff_user_pool_client_id: str = Field(alias="STAFF_USER_POOL_CLIENT_ID", min_length=1)
    #: The pool's token issuer (https://cognito-idp.<region>.amazonaws.com/<pool id>).
    staff_token_issuer: str = Field(alias="STAFF_TOKEN_ISSUER", pattern=r"^https://\S+$")
    #: Where the pool's JWKS is served instead of the issuer: set by the local stack only.
    staff_jwks_base_url: str | None = Field(default=None, alias="STAFF_JWKS_BASE_URL")
    #: The inbox's own address (its root, /inbox), for the links it sends.
    staff_inbox_url: str | None = Field(default=None, alias="STAFF_INBOX_URL")

    @property
    def jwks_url(self) -> str:
        base = self.staff_jwks_base_url or self.staff_token_issuer.rsplit("/", 1)[0]
        return f"{base.rstrip('/')}/{self.staff_user_pool_id}/.well-known/jwks.json"


class DeliveryReceiptSettings(FunctionSettings):
    """The delivery receipts function: the table, and its own queue (where it puts the SNS
    delivery status log entries CloudWatch Logs hands it, one message each)."""

    delivery_receipts_queue_url: str = Field(alias="DELIVERY_RECEIPTS_QUEUE_URL", min_length=8)
