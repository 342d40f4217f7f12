"""Shared value types of the practice's world: phone numbers, email addresses, timezones, aware
moments, and the vocabulary every subject uses (vertical, campaign, channel, language, service
category, weekday)."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict

E164 = re.compile(r"^\+[1-9]\d{7,14}$")


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _e164(value: str) -> str:
    if not E164.match(value):
        raise ValueError("not an E.164 phone number")
    return value


def _email(value: str) -> str:
    if not EMAIL.match(value):
        raise ValueError("not an email address")
    return value.lower()


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError("not an IANA timezone") from error
    return value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a moment needs its UTC offset")
    return value


PhoneNumber = Annotated[str, AfterValidator(_e164)]


EmailAddress = Annotated[str, AfterValidator(_email)]


TimeZoneName = Annotated[str, AfterValidator(_timezone)]


Moment = Annotated[datetime, AfterValidator(_aware)]


class Parsed(BaseModel):
    """A model that parses outside input (an event, a stored item, a practice's file): its
    validation errors name the field and why, never the value, which can be a patient's
    name, number or a diagnosis (`errors()` still has it, for a person to see)."""

    model_config = ConfigDict(hide_input_in_errors=True, defer_build=True)


class Frozen(Parsed):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Vertical(StrEnum):
    DENTAL = "dental"
    MEDSPA = "medspa"
    DERMATOLOGY = "dermatology"


class Campaign(StrEnum):
    MISSED_APPOINTMENT = "missed_appointment"
    CLINICAL_REVIEW = "clinical_review"
    FOLLOW_UP_DUE = "follow_up_due"
    UNSCHEDULED_TREATMENT = "unscheduled_treatment"
    CONSULT_NOT_STARTED = "consult_not_started"
    NEW_PATIENT = "new_patient"
    SERIES_INCOMPLETE = "series_incomplete"
    MAINTENANCE_DUE = "maintenance_due"
    RECALL_DUE = "recall_due"
    LAPSED_MEMBERSHIP = "lapsed_membership"
    LAPSED_PATIENT = "lapsed_patient"
    #: Not a rule of the records: one message after an answered question (campaigns.md).
    QUESTION_FOLLOW_UP = "question_follow_up"


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


class Language(StrEnum):
    EN = "en"
    ES = "es"


class ServiceCategory(StrEnum):
    HYGIENE = "hygiene"
    EXAM = "exam"
    RESTORATIVE = "restorative"
    TREATMENT = "treatment"
    NEUROTOXIN = "neurotoxin"
    FILLER = "filler"
    LASER = "laser"
    BODY_CONTOURING = "body_contouring"
    FACIAL = "facial"
    CONSULTATION = "consultation"
    SKIN_CHECK = "skin_check"
    MEDICAL_DERM = "medical_derm"
    COSMETIC_OTHER = "cosmetic_other"
    OTHER = "other"


class Weekday(StrEnum):
    """The days outreach may go out (never Sunday)."""

    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"

    @property
    def number(self) -> int:
        """Monday = 0, as date.weekday() counts."""
        return list(Weekday).index(self)
