"""SNS signing certificates: fetched over HTTPS from the (already checked) URL, then cached."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit

#: A PEM certificate is a few kilobytes; anything larger is not one.
MAX_CERTIFICATE_BYTES = 16 * 1024


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
    ) -> None:
        self._endpoint = endpoint.rstrip("/") if endpoint else None
        self._timeout = timeout
        self._download = download
        self._cache: dict[str, bytes] = {}

    def get(self, url: str) -> bytes:
        if url not in self._cache:
            source = self._endpoint + urlsplit(url).path if self._endpoint else url
            self._cache[url] = self._download(source, self._timeout)
        return self._cache[url]
