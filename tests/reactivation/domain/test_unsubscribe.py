"""Unsubscribe links: made and read by the same key; anything else is refused, never a crash."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reactivation.domain.unsubscribe import InvalidLink, UnsubscribeLinks, Unsubscriber

KEY = b"k" * 32
LINKS = UnsubscribeLinks("https://api.example.com/unsubscribe", lambda: KEY)


def test_a_link_names_the_practice_and_patient_and_reads_back() -> None:
    url = LINKS.url("bright-smile", "P-1001")
    assert url.startswith("https://api.example.com/unsubscribe?t=")
    token = url.split("t=", 1)[1]
    assert "P-1001" not in token and "@" not in token  # nothing readable in logs or history
    assert LINKS.read(token) == Unsubscriber(practice_id="bright-smile", patient_id="P-1001")


def test_a_link_altered_or_signed_with_another_key_is_refused() -> None:
    token = LINKS.token("bright-smile", "P-1001")
    other = UnsubscribeLinks("", lambda: b"x" * 32).token("bright-smile", "P-1001")
    payload, signature = token.split(".")
    forged_payload = LINKS.token("bright-smile", "P-1002").split(".")[0]
    for bad in (other, f"{forged_payload}.{signature}", f"{payload}.", payload, ""):
        with pytest.raises(InvalidLink):
            LINKS.read(bad)


@given(st.text(max_size=700))
def test_any_text_is_refused_cleanly(text: str) -> None:
    with pytest.raises(InvalidLink):
        LINKS.read(text)


def test_the_key_is_fetched_once_and_only_when_needed() -> None:
    fetched: list[int] = []

    def key() -> bytes:
        fetched.append(1)
        return KEY

    links = UnsubscribeLinks("https://x/unsubscribe", key)
    assert fetched == []
    links.read(links.token("p", "q"))
    links.token("p", "r")
    assert fetched == [1]
    with pytest.raises(ValueError, match="16 bytes"):
        UnsubscribeLinks("", lambda: b"short").token("p", "q")
