"""The SNS gate: only this deployment's topic, signed by SNS and fresh, comes in; a
subscription confirmation is confirmed here and goes no further."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from reactivation import verification
from reactivation.domain.conversation import InboundSms
from reactivation.events import SnsEnvelope, TwoWaySms
from reactivation.services.inbound.outcomes import Handled, NotGenuine, NotThisTopic, TokenMissing


class SubscriptionConfirmer(Protocol):
    def confirm(self, topic_arn: str, token: str) -> None: ...


class Certificates(Protocol):
    def get(self, url: str) -> bytes: ...


class SnsGate:
    def __init__(
        self,
        *,
        topic_arn: str,
        certificates: Certificates,
        confirmer: SubscriptionConfirmer,
        wall_clock: Callable[[], datetime],
        accept_signature_version_1: bool = False,
        max_age: timedelta = verification.MAX_AGE,
    ) -> None:
        self._topic_arn = topic_arn
        self._certificates = certificates
        self._confirmer = confirmer
        self._wall_clock = wall_clock
        self._accept_version_1 = accept_signature_version_1
        self._max_age = max_age  # how old a message may be (the redrive's: PARKED_MAX_AGE)

    def admit(self, envelope: SnsEnvelope) -> InboundSms | Handled:
        """The patient's text the envelope carries, or how a confirmation was handled.
        Freshness is judged on the wall clock, as SNS stamps it."""
        if envelope.topic_arn != self._topic_arn:
            raise NotThisTopic
        self._verify(envelope)
        if envelope.type == "SubscriptionConfirmation":
            if not envelope.token:
                raise TokenMissing
            self._confirmer.confirm(envelope.topic_arn, envelope.token)
            return Handled.CONFIRMED
        if envelope.type == "UnsubscribeConfirmation":
            return Handled.IGNORED
        return TwoWaySms.from_envelope(envelope).inbound(received_at=envelope.sent_at)

    def _verify(self, envelope: SnsEnvelope) -> None:
        try:
            url = verification.check_certificate_url(envelope.signing_cert_url)
            verification.check_fresh(envelope.sent_at, self._wall_clock(), self._max_age)
            try:
                certificate = self._certificates.get(url)
            except ValueError as error:  # too large to be a certificate
                raise verification.NotFromSns("bad certificate") from error
            verification.verify_signature(
                envelope.signed_fields(), certificate, accept_version_1=self._accept_version_1
            )
        except verification.NotFromSns as error:
            raise NotGenuine from error
