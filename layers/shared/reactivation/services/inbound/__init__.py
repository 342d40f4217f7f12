"""A patient's SMS reply, delivered by SNS, in four small jobs: the SNS gate (`gate`: topic,
signature, freshness, subscription confirmation), routing (`routing`: classify, plan, store;
`store`), booking (`booking`: offer, pick, hold) and the answers (`answers`: HELP, FAQ,
confirmations, the staff's email). `wiring.inbound_service` builds them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from reactivation.events import SnsEnvelope
from reactivation.services.inbound.outcomes import Handled, InboundResult

if TYPE_CHECKING:
    from reactivation.services.inbound.gate import SnsGate
    from reactivation.services.inbound.routing import ReplyRouter


class InboundService:
    """What the inbound function calls: the gate first, then the reply's route."""

    def __init__(self, gate: SnsGate, router: ReplyRouter) -> None:
        self._gate = gate
        self._router = router

    def handle(self, envelope: SnsEnvelope, now: datetime) -> InboundResult:
        """`now` is the business time; the gate judges freshness on the wall clock."""
        admitted = self._gate.admit(envelope)
        if isinstance(admitted, Handled):
            return InboundResult(admitted)
        return self._router.route(admitted, now)
