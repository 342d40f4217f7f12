"""Verifying that a message really comes from Amazon SNS, and from our topic, and is fresh.

Pure: the certificate's PEM and the current time are passed in. See AWS's "Verifying the
signatures of Amazon SNS messages": the string to sign is the message's fields, name and
value on their own lines, in a fixed order that depends on the message's type.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

#: The fields signed, in order, per message type (Subject only when present).
SIGNED_FIELDS: dict[str, tuple[str, ...]] = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
    ),
    "UnsubscribeConfirmation": (
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
    ),
}  # fmt: skip
#: The whole host, matched with fullmatch (a `$` would also let a trailing newline through).
CERTIFICATE_HOST = re.compile(r"sns\.[a-z]{2}(-[a-z]+)+-\d\.amazonaws\.com")
#: How old a message delivered to the endpoint may be. SNS's default HTTP/S delivery policy
#: retries only 3 times, 20 s apart (about a minute); a delivery policy may stretch that to
#: 3,600 s at most, AWS's hard limit (template.yaml's is under it). Older: refused, and SNS
#: parks it in the dead-letter queue.
MAX_AGE = timedelta(hours=1)
#: How old a reply SNS parked in the inbound dead-letter queue may be when the redrive reads
#: it: the queue keeps a message 14 days (template.yaml), after SNS tried for an hour. Only SNS
#: may write to that queue, the signature is checked as ever, and a reply already stored does
#: nothing, so an old genuine reply is processed and a forged one is not.
PARKED_MAX_AGE = timedelta(days=14, hours=1)
#: How far ahead of our clock a message's timestamp may be (clock skew).
MAX_SKEW = timedelta(minutes=5)


class NotFromSns(Exception):
    """The message is not a genuine, fresh SNS message: refuse it, touch nothing."""


def string_to_sign(fields: Mapping[str, str | None]) -> bytes:
    order = SIGNED_FIELDS.get(str(fields.get("Type")))
    if order is None:
        raise NotFromSns("unknown message type")
    lines: list[str] = []
    for name in order:
        value = fields.get(name)
        if value is None:
            if name == "Subject":
                continue
            raise NotFromSns(f"signed field {name} missing")
        lines += [name, value]
    return ("\n".join(lines) + "\n").encode("utf-8")


def is_sns_host(host: str) -> bool:
    """SNS's own host in a region (sns.<region>.amazonaws.com), the whole of it and nothing else."""
    return CERTIFICATE_HOST.fullmatch(host) is not None


def check_certificate_url(url: str | None) -> str:
    """The signing certificate must come from SNS itself: https://sns.<region>.amazonaws.com/….pem."""
    if not url:
        raise NotFromSns("no signing certificate URL")
    parts = urlsplit(url)
    if (
        parts.scheme != "https"
        or parts.port is not None
        or parts.username is not None
        or not is_sns_host(parts.hostname or "")
        or not parts.path.endswith(".pem")
        or parts.query
        or parts.fragment
    ):
        raise NotFromSns("signing certificate URL is not an SNS certificate")
    return url


def check_fresh(timestamp: datetime, now: datetime, max_age: timedelta = MAX_AGE) -> None:
    if now - timestamp > max_age:
        raise NotFromSns("message too old")
    if timestamp - now > MAX_SKEW:
        raise NotFromSns("message from the future")


def verify_signature(
    fields: Mapping[str, str | None], certificate_pem: bytes, *, accept_version_1: bool
) -> None:
    """Raises NotFromSns unless the certificate's key signed these fields."""
    version = fields.get("SignatureVersion")
    algorithm: hashes.HashAlgorithm
    if version == "2":
        algorithm = hashes.SHA256()
    elif version == "1" and accept_version_1:
        # B303: SNS SignatureVersion 1, only if configured
        algorithm = hashes.SHA1()  # noqa: S303  # nosec B303
    else:
        raise NotFromSns("signature version not accepted")
    try:
        signature = base64.b64decode(fields.get("Signature") or "", validate=True)
        key = x509.load_pem_x509_certificate(certificate_pem).public_key()
    except (binascii.Error, ValueError) as error:
        raise NotFromSns("unreadable signature or certificate") from error
    if not isinstance(key, rsa.RSAPublicKey):
        raise NotFromSns("certificate key is not RSA")
    try:
        key.verify(signature, string_to_sign(fields), padding.PKCS1v15(), algorithm)
    except InvalidSignature as error:
        raise NotFromSns("signature does not match") from error
