"""Bounces and complaints: an address that bounced for good, or whose owner marked our email
as spam, is suppressed for that practice (an opt-out of the address: never emailed again)."""

from __future__ import annotations

from datetime import datetime

from reactivation.adapters.consent import ConsentRepository
from reactivation.events import EmailFeedback
from reactivation.services.suppression import ContactSuppression


class UnknownPractice(ValueError):
    """The feedback names no practice (an email this deployment did not tag)."""


class EmailFeedbackService:
    def __init__(self, consent: ConsentRepository) -> None:
        self._suppression = ContactSuppression(consent)

    def apply(self, feedback: EmailFeedback, now: datetime) -> int:
        """Suppresses the addresses the feedback is about; returns how many were new."""
        addresses, at = feedback.suppressed()
        if not addresses:
            return 0  # a transient bounce: the address stays
        practice_id = feedback.practice_id
        if practice_id is None:
            raise UnknownPractice("the email carried no practice_id tag")
        return sum(
            self._suppression.unreachable(practice_id, address, at=at or now, now=now)
            for address in addresses
        )
