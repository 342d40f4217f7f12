"""When a reported no-show or cancellation is rescued in real time, and when not."""

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reactivation.domain.patients import Appointment, AppointmentStatus
from reactivation.domain.rescue import rescue_due_at
from tests.builders import at, visit

START = at("2026-11-24 10:00")


def appointment(status: AppointmentStatus) -> Appointment:
    return visit("P-1", "2026-11-24", status=status).model_copy(update={"starts_at": START})


@pytest.mark.parametrize(
    ("status", "reported", "due"),
    [
        (AppointmentStatus.NO_SHOW, START + timedelta(minutes=5), START + timedelta(minutes=15)),
        (AppointmentStatus.NO_SHOW, START + timedelta(hours=3), START + timedelta(hours=3)),
        (AppointmentStatus.NO_SHOW, START - timedelta(minutes=1), None),  # before it started
        (AppointmentStatus.NO_SHOW, START + timedelta(hours=24), START + timedelta(hours=24)),
        # reported more than a day late: left to the weekly run
        (AppointmentStatus.NO_SHOW, START + timedelta(hours=24, seconds=1), None),
        (AppointmentStatus.CANCELLED, START + timedelta(hours=24, seconds=1), None),
        (AppointmentStatus.CANCELLED, START - timedelta(hours=48), START + timedelta(minutes=15)),
        (AppointmentStatus.CANCELLED, START - timedelta(hours=48, seconds=1), None),  # not late
        (AppointmentStatus.CANCELLED, START + timedelta(minutes=20), START + timedelta(minutes=20)),
        (AppointmentStatus.COMPLETED, START + timedelta(hours=1), None),
        (AppointmentStatus.SCHEDULED, START - timedelta(hours=1), None),
    ],
)
def test_the_rescue_is_due_15_minutes_after_the_start_or_at_once_when_reported_late(
    status: AppointmentStatus, reported: datetime, due: datetime | None
) -> None:
    assert rescue_due_at(appointment(status), reported) == due


@given(st.integers(min_value=-48 * 60, max_value=24 * 60))
def test_a_rescue_is_never_due_before_15_minutes_after_the_start(minutes: int) -> None:
    reported = START + timedelta(minutes=minutes)
    due = rescue_due_at(appointment(AppointmentStatus.CANCELLED), reported)
    assert due is not None and due >= START + timedelta(minutes=15) and due >= reported
