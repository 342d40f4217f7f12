"""Signed one-click unsubscribe links (RFC 8058): every outreach email carries one, in its
List-Unsubscribe header and its footer. The link names the practice and the patient, never an
address; its HMAC-SHA256 signature, with the deployment's secret key, makes it unforgeable."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

_VERSION = "v1"


class InvalidLink(ValueError):
    """The link was not made by this deployment (or was altered)."""


@dataclass(frozen=True)
class Unsubscriber:
    practice_id: str
    patient_id: str


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

    def _signature(self, payload: str) -> str:
        if self._key is None:
            key = self._key_source()
            if len(key) < 16:
                raise ValueError("the signing key must have at least 16 bytes")
            self._key = key
        digest = hmac.new(self._key, payload.encode("utf-8"), hashlib.sha256).digest()
        return _encode(digest)

    def token(self, practice_id: str, patient_id: str) -> str:
        payload = _encode(f"{_VERSION}\n{practice_id}\n{patient_id}".encode())
        return f"{payload}.{self._signature(payload)}"

    def url(self, practice_id: str, patient_id: str) -> str:
        return f"{self._base_url}?t={self.token(practice_id, patient_id)}"

    def read(self, token: str) -> Unsubscriber:
        """Who the link is for; InvalidLink unless this deployment signed it as it is."""
        payload, _, signature = token.partition(".")
        if not payload or not signature or len(token) > 600 or not token.isascii():
            raise InvalidLink("not an unsubscribe link")
        expected = self._signature(payload).encode("ascii")
        if not hmac.compare_digest(signature.encode("ascii"), expected):
            raise InvalidLink("the link's signature does not match")
        try:
            version, practice_id, patient_id = _decode(payload).decode("utf-8").split("\n")
        except (ValueError, UnicodeDecodeError) as error:
            raise InvalidLink("not an unsubscribe link") from error
        if version != _VERSION or not practice_id or not patient_id:
            raise InvalidLink("not an unsubscribe link")
        return Unsubscriber(practice_id=practice_id, patient_id=patient_id)
