"""Events this system puts on the practice events bus for the practice's own system (its PMS
integration): "Booking Requested" when a patient picks an offered time by text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reactivation.domain.conversation import BookingRequest
from reactivation.events import BookingRequestedEvent

if TYPE_CHECKING:
    from mypy_boto3_events.client import EventBridgeClient


class EventNotAccepted(RuntimeError):
    """The bus refused the event (its error code says why); the reply is retried."""


class PracticeEvents:
    def __init__(self, client: EventBridgeClient, bus_name: str) -> None:
        self._client = client
        self._bus_name = bus_name

    def booking_requested(self, request: BookingRequest) -> None:
        event = BookingRequestedEvent.of(request)
        response = self._client.put_events(
            Entries=[
                {
                    "EventBusName": self._bus_name,
                    "Source": event.source,
                    "DetailType": event.detail_type,
                    "Detail": event.detail.model_dump_json(),
                    "Time": request.requested_at,
                }
            ]
        )
        if response.get("FailedEntryCount"):
            code = response["Entries"][0].get("ErrorCode", "unknown")
            raise EventNotAccepted(f"the practice events bus refused the event: {code}")
