"""One-click unsubscribe: a signed link from an outreach email opts the patient's email
address out of the practice's emails (RFC 8058: a mail client POSTs it; a person who opens the
link gets a page with one button, so that a link scanner's GET changes nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.domain.types import Language
from reactivation.domain.unsubscribe import InvalidLink, UnsubscribeLinks


@dataclass(frozen=True)
class UnsubscribePage:
    practice_name: str
    language: Language
    done: bool


class UnsubscribeService:
    def __init__(
        self,
        links: UnsubscribeLinks,
        practices: PracticeRepository,
        patients: PatientRepository,
        consent: ConsentRepository,
    ) -> None:
        self._links = links
        self._practices = practices
        self._patients = patients
        self._consent = consent

    def confirm_page(self, token: str, now: datetime) -> UnsubscribePage:
        """What the link's GET shows: the question, nothing recorded."""
        practice_name, language, _ = self._who(token, now)
        return UnsubscribePage(practice_name, language, done=False)

    def unsubscribe(self, token: str, now: datetime) -> UnsubscribePage:
        """Opts the patient's email address out of the practice's emails (again: no change)."""
        practice_name, language, email = self._who(token, now)
        unsubscriber = self._links.read(token, now.date())
        if email is not None:
            self._consent.record(
                unsubscriber.practice_id, email, opted_out=True, at=now, recorded_at=now
            )
        return UnsubscribePage(practice_name, language, done=True)

    def _who(self, token: str, now: datetime) -> tuple[str, Language, str | None]:
        unsubscriber = self._links.read(token, now.date())
        practice = self._practices.get(unsubscriber.practice_id)
        if practice is None:
            raise InvalidLink("the practice no longer exists")
        record = self._patients.record(unsubscriber.practice_id, unsubscriber.patient_id)
        if record is None:  # gone from the practice: nothing left to send to
            return practice.name, Language.EN, None
        email = record.patient.email
        # acted on only for the address it was sent to: the patient's address changed since
        # (a new owner of the old one, or a new address of the patient's), the link is void
        if not self._links.matches(unsubscriber, email):
            raise InvalidLink("the link was sent to another address")
        return practice.name, record.patient.language, email
