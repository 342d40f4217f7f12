"""Signed one-click unsubscribe links (RFC 8058): every outreach email carries one, in its
List-Unsubscribe header and its footer. The link names the practice and the patient, the key
that signed it (its id), a keyed hash of the address it was sent to (never the address) and
the day it was made; its HMAC-SHA256 signature, with the deployment's secret key, makes it
unforgeable. It is acted on only while the patient's address is still the one it was sent to,
and for `LINK_DAYS` (at least 30 days after the email, as CAN-SPAM asks)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

_VERSION = "v2"
#: The links made before addresses were bound (practice and patient only, no day): read
#: until every email that carried one is more than 30 days old, then refused.
_LEGACY_VERSION = "v1"
LEGACY_LINKS_UNTIL = date(2027, 1, 31)
#: How long a link works after the day its email was queued.
LINK_DAYS = 90


class InvalidLink(ValueError):
    """The link was not made by this deployment (or was altered, or is out of date)."""


@dataclass(frozen=True)
class Unsubscriber:
    practice_id: str
    patient_id: str
    #: The keyed hash of the address the link was sent to (None: a legacy v1 link).
    address_hash: str | None = None


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class UnsubscribeLinks:
    """`key` gives the signing key; it is asked once, when a link is first made or read (an
    instance that sends only texts never fetches it)."""

    def __init__(self, base_url: str, key: Callable[[], bytes]) -> None:
        self._base_url = base_url
        self._key_source = key
        self._key: bytes | None = None

    def _secret(self) -> bytes:
        if self._key is None:
            key = self._key_source()
            if len(key) < 16:
                raise ValueError("the signing key must have at least 16 bytes")
            self._key = key
        return self._key

    def _mac(self, purpose: str, text: str) -> bytes:
        return hmac.new(self._secret(), f"{purpose}\n{text}".encode(), hashlib.sha256).digest()

    def _signature(self, payload: str) -> str:
        return _encode(hmac.new(self._secret(), payload.encode("utf-8"), hashlib.sha256).digest())

    def key_id(self) -> str:
        """Which key signs (derived from it, revealing nothing of it): a link signed with a key
        this deployment no longer has says so instead of failing its signature."""
        return _encode(self._mac("key-id", "")[:6])

    def address_hash(self, address: str) -> str:
        """The address, keyed: the link binds it without showing it (or a guessable hash)."""
        return _encode(self._mac("address", address.strip().lower())[:16])

    def token(self, practice_id: str, patient_id: str, address: str, made_on: date) -> str:
        fields = (_VERSION, self.key_id(), practice_id, patient_id,
                  self.address_hash(address), made_on.isoformat())  # fmt: skip
        payload = _encode("\n".join(fields).encode())
        return f"{payload}.{self._signature(payload)}"

    def url(self, practice_id: str, patient_id: str, address: str, made_on: date) -> str:
        return f"{self._base_url}?t={self.token(practice_id, patient_id, address, made_on)}"

    def matches(self, unsubscriber: Unsubscriber, address: str | None) -> bool:
        """Whether the link was sent to this address (a legacy link: to whatever it is)."""
        if unsubscriber.address_hash is None:
            return True
        if address is None:
            return False
        return hmac.compare_digest(unsubscriber.address_hash, self.address_hash(address))

    def read(self, token: str, today: date) -> Unsubscriber:
        """Who the link is for; InvalidLink unless this deployment signed it as it is, with
        the key it has, and it is not out of date."""
        payload, _, signature = token.partition(".")
        if not payload or not signature or len(token) > 600 or not token.isascii():
            raise InvalidLink("not an unsubscribe link")
        try:
            fields = _decode(payload).decode("utf-8").split("\n")
        except (ValueError, UnicodeDecodeError) as error:
            raise InvalidLink("not an unsubscribe link") from error
        if fields[0] == _VERSION and len(fields) == 6 and fields[1] != self.key_id():
            raise InvalidLink("the link was signed with a key this deployment no longer has")
        expected = self._signature(payload).encode("ascii")
        if not hmac.compare_digest(signature.encode("ascii"), expected):
            raise InvalidLink("the link's signature does not match")
        if fields[0] == _LEGACY_VERSION and len(fields) == 3 and today <= LEGACY_LINKS_UNTIL:
            return self._who(fields[1], fields[2], None)
        if fields[0] != _VERSION or len(fields) != 6:
            raise InvalidLink("not an unsubscribe link")
        _, _, practice_id, patient_id, address_hash, made = fields
        try:
            made_on = date.fromisoformat(made)
        except ValueError as error:
            raise InvalidLink("not an unsubscribe link") from error
        if not made_on - timedelta(days=1) <= today <= made_on + timedelta(days=LINK_DAYS):
            raise InvalidLink("the link is out of date")
        return self._who(practice_id, patient_id, address_hash or None)

    @staticmethod
    def _who(practice_id: str, patient_id: str, address_hash: str | None) -> Unsubscriber:
        if not practice_id or not patient_id:
            raise InvalidLink("not an unsubscribe link")
        return Unsubscriber(practice_id, patient_id, address_hash)
