"""The replies SNS could not deliver (the endpoint was down, throttled, or refused them), taken
from the inbound dead-letter queue and processed by the inbound service itself: the same
signature and topic checks, with the age a parked reply may have (PARKED_MAX_AGE). A reply
already stored does nothing (replies are kept by their inbound message id), so a reply that
reached the endpoint as well as the queue is processed once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from pydantic import ValidationError

from reactivation.adapters.parked_replies import ParkedReplies
from reactivation.events import SnsEnvelope
from reactivation.services.inbound import outcomes
from reactivation.services.inbound.outcomes import InboundResult


class Inbound(Protocol):
    def handle(self, envelope: SnsEnvelope, now: datetime) -> InboundResult: ...


class Outcome(StrEnum):
    #: Processed now, or found already processed: taken out of the queue.
    PROCESSED = "processed"
    #: Not a genuine message of our topic, malformed, or not a reply: taken out, never applied.
    REFUSED = "refused"
    #: No practice sends from its number yet, or a failure: left for the next run.
    LEFT = "left"


#: The time a run keeps for the reply it is handling (the inbound function's timeout is 10 s).
MARGIN = timedelta(seconds=15)

#: The refusals a later run may undo: a practice given the number (AWS faults are left too).
_LATER: tuple[type[outcomes.Refused], ...] = (outcomes.UnknownDestination,)


@dataclass
class RedriveReport:
    """How many parked replies had each outcome, and why (a status or an error's type; never
    a reply's content)."""

    outcomes: Counter[Outcome] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)


class InboundRedrive:
    def __init__(self, inbound: Inbound, parked: ParkedReplies) -> None:
        self._inbound = inbound
        self._parked = parked

    def run(
        self, now: datetime, seconds_left: Callable[[], float], limit: int = 500
    ) -> RedriveReport:
        """Up to `limit` parked replies, each processed, refused or left for the next run; it
        stops taking more while `seconds_left` is under MARGIN (the rest: the next run)."""
        report = RedriveReport()
        for reply in self._parked.waiting(limit):
            if seconds_left() < MARGIN.total_seconds():
                break  # read, not handled: visible again after the queue's visibility timeout
            outcome, reason = self._one(reply.body, now)
            if outcome is not Outcome.LEFT:
                self._parked.done(reply)
            report.outcomes[outcome] += 1
            if reason:
                report.reasons[f"{outcome.value}: {reason}"] += 1
        return report

    def _one(self, body: str, now: datetime) -> tuple[Outcome, str]:
        try:
            envelope = SnsEnvelope.model_validate_json(body)
        except ValidationError:
            return Outcome.REFUSED, "malformed"
        if envelope.type != "Notification":  # a subscription's own messages are not replies
            return Outcome.REFUSED, envelope.type
        try:
            result = self._inbound.handle(envelope, now)
        except outcomes.Refused as refused:
            outcome = Outcome.LEFT if isinstance(refused, _LATER) else Outcome.REFUSED
            return outcome, refused.reason
        except Exception as error:  # an AWS fault, a conflict: the next run tries again
            return Outcome.LEFT, type(error).__name__
        return Outcome.PROCESSED, result.handled.value
