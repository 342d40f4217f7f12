"""Builders for the domain's objects in tests."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from reactivation.domain.patients import Appointment, AppointmentStatus, Patient
from reactivation.domain.practice import Practice
from reactivation.domain.types import ServiceCategory, Vertical

NY = "America/New_York"


def at(text: str, timezone: str = NY) -> datetime:
    """A moment from local `YYYY-MM-DD HH:MM` in `timezone`, as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def make_practice(**overrides: Any) -> Practice:
    values: dict[str, Any] = {
        "practice_id": "bright-smile",
        "name": "Bright Smile Dental",
        "vertical": Vertical.DENTAL,
        "timezone": NY,
        "phone": "+12125550100",
        "sending_number": "+12125550199",
        "from_email": "frontdesk@reactivation.test",
        "owner_emails": ("owner@reactivation.test",),
        "holdout_percent": 0,
    }
    values.update(overrides)
    return Practice.model_validate(values)


def make_patient(patient_id: str = "P-1", **overrides: Any) -> Patient:
    values: dict[str, Any] = {
        "patient_id": patient_id,
        "first_name": "Ana",
        "mobile": "+12125550101",
    }
    values.update(overrides)
    return Patient.model_validate(values)


def visit(
    patient_id: str,
    day: str,
    status: AppointmentStatus = AppointmentStatus.COMPLETED,
    category: ServiceCategory = ServiceCategory.HYGIENE,
    appointment_id: str | None = None,
) -> Appointment:
    return Appointment(
        appointment_id=appointment_id or f"{patient_id}-{day}-{category.value}",
        patient_id=patient_id,
        starts_at=datetime.combine(datetime.fromisoformat(day).date(), time(10), ZoneInfo(NY)),
        category=category,
        status=status,
    )
