from reactivation.adapters.certificates import CertificateStore

URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem"


def test_a_certificate_is_fetched_once_and_the_local_endpoint_replaces_the_host() -> None:
    fetched: list[str] = []

    def download(url: str, timeout: float) -> bytes:
        fetched.append(url)
        return b"PEM"

    store = CertificateStore(download=download)
    assert store.get(URL) == b"PEM" and store.get(URL) == b"PEM"
    assert fetched == [URL]
    local = CertificateStore("http://127.0.0.1:3055/_local/sns-certificates/", download=download)
    local.get(URL)
    assert (
        fetched[-1]
        == "http://127.0.0.1:3055/_local/sns-certificates/SimpleNotificationService-a.pem"
    )
