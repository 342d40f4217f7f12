"""The one rule for a contact that cannot be reached: an email address that bounced for good
or whose owner marked our email as spam, a number the carrier says is blocked or does not
exist. It is suppressed for that practice, as an opt-out of the contact is: never messaged
again (the send cancels a job to it as opted out), until the patient texts START or is
imported with a new contact."""

from __future__ import annotations

from datetime import datetime

from reactivation.adapters.consent import ConsentRepository


def contact_key(contact: str) -> str:
    """The contact as consent items are keyed: an address in lower case, a number as is."""
    contact = contact.strip()
    return contact.lower() if "@" in contact else contact


class ContactSuppression:
    def __init__(self, consent: ConsentRepository) -> None:
        self._consent = consent

    def unreachable(self, practice_id: str, contact: str, *, at: datetime, now: datetime) -> bool:
        """Suppresses the contact as of `at` (the channel's time; a later opt-in still wins);
        True if it was not suppressed before."""
        return self._consent.record(
            practice_id, contact_key(contact), opted_out=True, at=at, recorded_at=now
        )
