"""SNS signing certificates: fetched over HTTPS from the (already checked) URL, then cached.

A fetch that fails (a network error, an HTTP error, a body too large to be a certificate) is
`CertificateUnavailable`, a ValueError: the caller refuses the message (403) instead of failing
(500). The failure is remembered for `failure_seconds`, so that a flood of messages naming a
certificate that cannot be fetched costs one fetch a minute, not one each. The cache holds at
most `max_entries` certificates and failures (the oldest goes first): SNS uses a handful.
"""

from __future__ import annotations

import time
import urllib.request
from collections import OrderedDict
from collections.abc import Callable
from urllib.parse import urlsplit

#: A PEM certificate is a few kilobytes; anything larger is not one.
MAX_CERTIFICATE_BYTES = 16 * 1024
#: SNS signs with one certificate per region at a time, rotated rarely.
MAX_ENTRIES = 16
#: How long a failed fetch is remembered before the certificate is asked for again.
FAILURE_SECONDS = 60.0


class CertificateUnavailable(ValueError):
    """The certificate could not be fetched (or is not one): the message cannot be verified."""


def _download(url: str, timeout: float) -> bytes:
    # The URL was checked to be https://sns.<region>.amazonaws.com/...pem, or is under the
    # local stack's configured endpoint: never a URL a request chose.
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310  # nosec B310
        body: bytes = response.read(MAX_CERTIFICATE_BYTES + 1)
    if len(body) > MAX_CERTIFICATE_BYTES:
        raise ValueError("certificate too large")
    return body


class CertificateStore:
    """Keeps each certificate for the life of the function instance (SNS rotates them rarely).

    `endpoint`, set only by the local stack, fetches `<endpoint>/<certificate file>` instead:
    the local stack serves the certificates moto signs with.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        timeout: float = 3.0,
        download: Callable[[str, float], bytes] = _download,
        *,
        max_entries: int = MAX_ENTRIES,
        failure_seconds: float = FAILURE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._endpoint = endpoint.rstrip("/") if endpoint else None
        self._timeout = timeout
        self._download = download
        self._max_entries = max_entries
        self._failure_seconds = failure_seconds
        self._monotonic = monotonic
        #: url -> the certificate, or the monotonic time until which its fetch is not retried
        self._cache: OrderedDict[str, bytes | float] = OrderedDict()

    def get(self, url: str) -> bytes:
        cached = self._cache.get(url)
        if isinstance(cached, bytes):
            return cached
        if cached is not None and self._monotonic() < cached:
            raise CertificateUnavailable("the certificate's fetch failed a moment ago")
        source = self._endpoint + urlsplit(url).path if self._endpoint else url
        try:
            certificate = self._download(source, self._timeout)
        except (OSError, ValueError) as error:  # URLError and HTTPError are OSErrors
            self._remember(url, self._monotonic() + self._failure_seconds)
            raise CertificateUnavailable(
                f"certificate fetch failed ({type(error).__name__})"
            ) from error
        self._remember(url, certificate)
        return certificate

    def _remember(self, url: str, entry: bytes | float) -> None:
        self._cache.pop(url, None)
        self._cache[url] = entry
        while len(self._cache) > self._max_entries:
            self._cache.popitem(last=False)
