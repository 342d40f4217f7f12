"""Real-time missed-appointment rescue (campaigns.md): when the PMS reports a no-show or a late
cancellation, the first message goes out 15-60 minutes after the missed start time, inside
sending hours, instead of waiting for the weekly run. Pure: the moments come in."""

from __future__ import annotations

from datetime import datetime, timedelta

from reactivation.domain.patients import Appointment, AppointmentStatus

#: The first message waits this long after the missed start (the patient may just be late).
AFTER_START = timedelta(minutes=15)
#: A cancellation this close to its start is a late one, rescued like a no-show; an earlier
#: one is a reschedule the practice handles, and the weekly run finds it if it never was.
LATE_CANCELLATION = timedelta(hours=48)
#: A change reported later than this after the start is left to the weekly run (campaigns.md,
#: "Readings of the sequence rules"): its rule still finds the miss, within its 30 days.
LATE_REPORT = timedelta(hours=24)


def rescue_due_at(appointment: Appointment, now: datetime) -> datetime | None:
    """When the rescue's first message is due, or None if this change calls for no rescue.

    A change reported late (up to a day after the start) is rescued at once (`now`); the
    send function still holds the message until sending hours and the frequency limits allow
    it.
    """
    start = appointment.starts_at
    if appointment.status is AppointmentStatus.NO_SHOW:
        if start > now:
            return None  # a no-show cannot be reported before the start: not trusted
    elif appointment.status is AppointmentStatus.CANCELLED:
        if start - now > LATE_CANCELLATION:
            return None
    else:
        return None
    if now - start > LATE_REPORT:
        return None
    return max(start + AFTER_START, now)
