"""What the inbound service answers: a result, or a refusal before any data is touched (the
handler alone turns each refusal into its HTTP status)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from reactivation.domain.conversation import Intent


class Handled(StrEnum):
    CONFIRMED = "confirmed"
    IGNORED = "ignored"
    DUPLICATE = "duplicate"
    ROUTED = "routed"


@dataclass(frozen=True)
class InboundResult:
    handled: Handled
    intent: Intent | None = None
    notify_staff: bool = False
    #: An earlier delivery died while answering: its answers are not sent again.
    answers_in_doubt: bool = False


class Refused(Exception):
    """The request is refused before it touches any data; `reason` says why, in plain words."""

    reason = "refused"

    def __init__(self) -> None:
        super().__init__(self.reason)


class TooLarge(Refused):
    reason = "request too large"


class NotThisTopic(Refused):
    reason = "not this deployment's topic"


class NotGenuine(Refused):
    """Not signed by SNS with a valid certificate, or stale."""

    reason = "not a genuine SNS message"


class TokenMissing(Refused):
    reason = "subscription confirmation without a token"


class UnknownDestination(Refused):
    reason = "no practice sends from the destination number"
