"""A certificate that cannot be fetched: refused as a ValueError, remembered a minute, bounded."""

import urllib.error

import pytest

from reactivation.adapters.certificates import CertificateStore, CertificateUnavailable

URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_failed_fetch_is_refused_and_not_tried_again_for_a_minute() -> None:
    fetched: list[str] = []
    clock = Clock()

    def failing(url: str, timeout: float) -> bytes:
        fetched.append(url)
        raise urllib.error.URLError("connection refused")

    store = CertificateStore(download=failing, monotonic=clock)
    for _ in range(5):  # a flood naming it: one fetch
        with pytest.raises(CertificateUnavailable):
            store.get(URL)
    assert fetched == [URL]
    clock.now += 61
    with pytest.raises(ValueError, match="URLError"):  # the caller's 403 path
        store.get(URL)
    assert fetched == [URL, URL]


def test_an_http_error_or_an_oversized_body_is_unavailable_too() -> None:
    def not_found(url: str, timeout: float) -> bytes:
        raise urllib.error.HTTPError(url, 404, "Not Found", None, None)  # type: ignore[arg-type]

    def too_large(url: str, timeout: float) -> bytes:
        raise ValueError("certificate too large")

    for download in (not_found, too_large):
        with pytest.raises(CertificateUnavailable):
            CertificateStore(download=download).get(URL)


def test_the_cache_keeps_at_most_its_bound_and_drops_the_oldest() -> None:
    fetched: list[str] = []

    def download(url: str, timeout: float) -> bytes:
        fetched.append(url)
        return url.encode()

    store = CertificateStore(download=download, max_entries=3)
    urls = [URL.replace("-a.pem", f"-{n}.pem") for n in range(5)]
    for url in urls:
        assert store.get(url) == url.encode()
    assert len(store._cache) == 3
    store.get(urls[-1])  # still kept: no fetch
    store.get(urls[0])  # dropped: fetched again
    assert fetched == [*urls, urls[0]]


@pytest.mark.parametrize(
    "host",
    [
        "sns.us-east-1.amazonaws.com\n",  # `^...$` with match() let this through
        "sns.us-east-1.amazonaws.com.example.net",
        "xsns.us-east-1.amazonaws.com",
        "sns.us-east-1.amazonaws.co",
        "",
    ],
)
def test_only_the_whole_sns_host_is_an_sns_host(host: str) -> None:
    from reactivation.verification import is_sns_host

    assert not is_sns_host(host)
    assert is_sns_host("sns.us-east-1.amazonaws.com") and is_sns_host("sns.eu-west-2.amazonaws.com")
