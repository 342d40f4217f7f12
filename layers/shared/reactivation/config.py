"""One settings model per function, read from the environment template.yaml gives it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self

from pydantic import BaseModel, ConfigDict, Field

from reactivation.domain.models import EmailAddress


class FunctionSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    practice_table: str = Field(alias="PRACTICE_TABLE_NAME", min_length=3)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Self:
        """Validated at start: a missing or malformed variable stops the cold start, loudly."""
        return cls.model_validate(dict(environ))

    @classmethod
    def variables(cls) -> set[str]:
        """The environment variables this function needs (checked against template.yaml)."""
        return {field.alias or name for name, field in cls.model_fields.items()}


class SegmentSettings(FunctionSettings):
    send_queue_url: str = Field(alias="SEND_QUEUE_URL", min_length=8)


class SendSettings(FunctionSettings):
    send_queue_url: str = Field(alias="SEND_QUEUE_URL", min_length=8)


class InboundSettings(FunctionSettings):
    inbound_topic_arn: str = Field(alias="INBOUND_TOPIC_ARN", pattern=r"^arn:aws[a-z-]*:sns:")


class ReportSettings(FunctionSettings):
    report_sender_address: EmailAddress = Field(alias="REPORT_SENDER_ADDRESS")
