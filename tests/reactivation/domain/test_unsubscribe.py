"""Unsubscribe links: made and read by the same key, bound to the address they were sent to and
to their key, for LINK_DAYS; anything else is refused, never a crash."""

import base64
import hashlib
import hmac
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reactivation.domain.unsubscribe import (
    LEGACY_LINKS_UNTIL,
    LINK_DAYS,
    InvalidLink,
    UnsubscribeLinks,
    Unsubscriber,
)

KEY = b"k" * 32
LINKS = UnsubscribeLinks("https://api.example.com/unsubscribe", lambda: KEY)
SENT = date(2026, 11, 24)
ANA = "ana@example.com"


def test_a_link_names_the_practice_patient_and_address_and_reads_back() -> None:
    url = LINKS.url("bright-smile", "P-1001", ANA, SENT)
    assert url.startswith("https://api.example.com/unsubscribe?t=")
    token = url.split("t=", 1)[1]
    assert "P-1001" not in token and "@" not in token  # nothing readable in logs or history
    decoded = base64.urlsafe_b64decode(token.split(".")[0] + "==").decode()
    assert ANA not in decoded and "ana" not in decoded  # the address only as a keyed hash
    who = LINKS.read(token, SENT + timedelta(days=3))
    assert (who.practice_id, who.patient_id) == ("bright-smile", "P-1001")
    assert LINKS.matches(who, ANA) and LINKS.matches(who, " Ana@Example.com")
    assert not LINKS.matches(who, "new-owner@example.com") and not LINKS.matches(who, None)


def test_a_link_works_for_link_days_and_not_after() -> None:
    token = LINKS.token("bright-smile", "P-1001", ANA, SENT)
    assert LINK_DAYS >= 30  # CAN-SPAM: at least 30 days after the email
    LINKS.read(token, SENT + timedelta(days=LINK_DAYS))
    with pytest.raises(InvalidLink, match="out of date"):
        LINKS.read(token, SENT + timedelta(days=LINK_DAYS + 1))


def test_a_link_signed_with_another_key_says_so() -> None:
    other = UnsubscribeLinks("", lambda: b"x" * 32).token("bright-smile", "P-1001", ANA, SENT)
    with pytest.raises(InvalidLink, match="key this deployment no longer has"):
        LINKS.read(other, SENT)
    assert LINKS.key_id() != UnsubscribeLinks("", lambda: b"x" * 32).key_id()


def test_a_link_altered_is_refused() -> None:
    token = LINKS.token("bright-smile", "P-1001", ANA, SENT)
    payload, signature = token.split(".")
    forged_payload = LINKS.token("bright-smile", "P-1002", ANA, SENT).split(".")[0]
    for bad in (f"{forged_payload}.{signature}", f"{payload}.", payload, ""):
        with pytest.raises(InvalidLink):
            LINKS.read(bad, SENT)


def test_a_legacy_link_is_read_until_its_emails_are_30_days_old_then_refused() -> None:
    payload = base64.urlsafe_b64encode(b"v1\nbright-smile\nP-1001").rstrip(b"=").decode()
    digest = hmac.new(KEY, payload.encode(), hashlib.sha256).digest()
    token = f"{payload}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"
    assert LINKS.read(token, LEGACY_LINKS_UNTIL) == Unsubscriber("bright-smile", "P-1001")
    with pytest.raises(InvalidLink):
        LINKS.read(token, LEGACY_LINKS_UNTIL + timedelta(days=1))


@given(st.text(max_size=700))
def test_any_text_is_refused_cleanly(text: str) -> None:
    with pytest.raises(InvalidLink):
        LINKS.read(text, SENT)


def test_the_key_is_fetched_once_and_only_when_needed() -> None:
    fetched: list[int] = []

    def key() -> bytes:
        fetched.append(1)
        return KEY

    links = UnsubscribeLinks("https://x/unsubscribe", key)
    assert fetched == []
    links.read(links.token("p1", "q", ANA, SENT), SENT)
    links.token("p1", "r", ANA, SENT)
    assert fetched == [1]
    with pytest.raises(ValueError, match="16 bytes"):
        UnsubscribeLinks("", lambda: b"short").token("p", "q", ANA, SENT)
