"""The staff inbox function against moto: Cognito sign-in (moto's pool signs the tokens and its
JWKS checks them), the session and CSRF refusals, tenancy, and the actions on a conversation."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from reactivation.adapters import cognito
from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.handoffs import HandoffRepository
from reactivation.adapters.openings import OpeningRepository
from reactivation.adapters.replies import ReplyRepository
from reactivation.adapters.staff_inbox import AuditRepository
from reactivation.domain.conversation import Intent, Opening, Reply
from reactivation.domain.handoffs import Handoff, HandoffReason, Team
from reactivation.domain.staff_access import Role
from reactivation_tools.local.api import http_api_event
from reactivation_tools.staff_users import invite_demo_user
from tests.builders import make_patient, make_practice
from tests.conftest import Aws
from tests.functions.helpers import seed, sent_sms

Handler = Callable[[dict[str, Any]], Any]
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
NEW_PASSWORD = "Correct-horse-42!"


def moto_jwks(url: str) -> Any:
    """What moto's Cognito serves at the pool's JWKS address (mock_aws intercepts boto3 only)."""
    raw = resources.files("moto.cognitoidp").joinpath("resources/jwks-public.json.gz")
    return json.loads(gzip.decompress(raw.read_bytes()))


@dataclass
class Browser:
    """A browser's cookie jar in front of the handler: no redirect followed."""

    handler: Handler
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, url: str, form: dict[str, str] | None = None) -> Any:
        body = urlencode(form).encode() if form is not None else b""
        headers = {"content-type": "application/x-www-form-urlencoded"} if form else {}
        if self.cookies:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        answer = self.handler(http_api_event(method, url, headers, body, "198.51.100.7"))
        for cookie in answer.get("cookies") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in cookie or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return answer

    def get(self, url: str) -> Any:
        return self.request("GET", url)

    def post(self, url: str, form: dict[str, str]) -> Any:
        return self.request("POST", url, form)


def csrf(page: dict[str, Any]) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page["body"])
    assert found, page["body"][:500]
    return found.group(1)


def hidden(page: dict[str, Any], name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page["body"])
    assert found
    return found.group(1)


@pytest.fixture
def inbox(
    aws: Aws,
    load_function: Callable[[str], Handler],
    monkeypatch: pytest.MonkeyPatch,
    frozen_clock: Callable[[Any], None],
) -> Iterator[Handler]:
    monkeypatch.setattr(cognito, "_fetch_json", moto_jwks)
    frozen_clock(NOW)
    yield load_function("StaffInboxFunction")


def handoff(practice_id: str = "bright-smile", number: str = "+12125550101") -> Handoff:
    return Handoff(
        practice_id=practice_id, handoff_id=f"in-{practice_id}-1", from_number=number,
        patient_ids=("P-1",), reason=HandoffReason.QUESTION, team=Team.FRONT_DESK,
        urgent=False, opened_at=NOW - timedelta(hours=3),
    )  # fmt: skip


def seed_handoff(aws: Aws, practice_id: str = "bright-smile") -> Handoff:
    dynamodb = aws.client("dynamodb")
    opened = handoff(practice_id)
    reply = Reply(
        practice_id=practice_id, inbound_message_id=opened.handoff_id,
        from_number=opened.from_number, body="Do you take my insurance?",
        received_at=opened.opened_at, intent=Intent.QUESTION, notify_staff=True,
        patient_ids=opened.patient_ids, barrier="cost",
    )  # fmt: skip
    dynamodb.transact_write_items(
        TransactItems=[
            HandoffRepository(dynamodb, aws.table).open_write(opened),
            ReplyRepository(dynamodb, aws.table).save_write(reply, opened.opened_at),
        ]
    )
    return opened


def signed_in(aws: Aws, handler: Handler, practice_id: str = "bright-smile") -> Browser:
    """A user of the practice invited, then signed in with the temporary password and a new
    one chosen, as staff do the first time."""
    email = f"desk@{practice_id}.test"
    user = invite_demo_user(
        aws.client("cognito-idp"), aws.ref("StaffUserPool"), practice_id, email, Role.FRONT_DESK
    )
    browser = Browser(handler)
    form = browser.get("/inbox/sign-in")
    assert form["statusCode"] == 200 and "Sign in" in form["body"]
    challenge = browser.post("/inbox/sign-in", {"csrf": csrf(form), "email": email,
                                                "password": user.temporary_password})  # fmt: skip
    assert challenge["statusCode"] == 200 and "Choose your password" in challenge["body"]
    done = browser.post("/inbox/new-password", {
        "csrf": csrf(challenge), "session": hidden(challenge, "session"),
        "username": hidden(challenge, "username"), "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    })  # fmt: skip
    assert done["statusCode"] == 303 and done["headers"]["Location"] == "/inbox"
    assert "inbox_session" in browser.cookies
    assert any("HttpOnly" in c and "Secure" in c and "SameSite=Lax" in c
               for c in done["cookies"])  # fmt: skip
    return browser


def test_staff_sign_in_with_the_temporary_password_and_see_their_practice_s_handoffs(
    aws: Aws, inbox: Handler
) -> None:
    seed(aws)
    seed_handoff(aws)
    browser = signed_in(aws, inbox)
    page = browser.get("/inbox")
    assert page["statusCode"] == 200
    assert "<title>(1) Staff inbox</title>" in page["body"]
    assert "Ana" in page["body"] and "ending 0101" in page["body"]
    assert "+12125550101" not in page["body"]  # the last four digits only
    assert "/inbox/p/bright-smile/h/in-bright-smile-1" in page["body"]
    assert page["headers"]["Cache-Control"] == "no-store"

    conversation = browser.get("/inbox/p/bright-smile/h/in-bright-smile-1")
    assert conversation["statusCode"] == 200
    assert "Do you take my insurance?" in conversation["body"]
    assert "barrier: cost" in conversation["body"]


def test_a_wrong_password_is_refused_with_the_sign_in_page(aws: Aws, inbox: Handler) -> None:
    invite_demo_user(aws.client("cognito-idp"), aws.ref("StaffUserPool"), "bright-smile",
                     "desk@bright-smile.test")  # fmt: skip
    browser = Browser(inbox)
    form = browser.get("/inbox/sign-in")
    answer = browser.post("/inbox/sign-in", {"csrf": csrf(form), "email": "desk@bright-smile.test",
                                             "password": "not-it"})  # fmt: skip
    assert answer["statusCode"] == 401 and "do not match" in answer["body"]
    assert "inbox_session" not in browser.cookies


@pytest.mark.parametrize("cookie", [None, "forged-token", "x" * 500])
def test_a_missing_or_forged_session_leads_to_the_sign_in_page(
    aws: Aws, inbox: Handler, cookie: str | None
) -> None:
    seed(aws)
    seed_handoff(aws)
    browser = Browser(inbox, {"inbox_session": cookie} if cookie else {})
    for url in ("/inbox", "/inbox/p/bright-smile/h/in-bright-smile-1"):
        answer = browser.get(url)
        assert answer["statusCode"] == 303 and answer["headers"]["Location"] == "/inbox/sign-in"
    answer = browser.post("/inbox/p/bright-smile/h/in-bright-smile-1/reply",
                          {"csrf": "x" * 43, "text": "Hello"})  # fmt: skip
    assert answer["statusCode"] == 303 and not sent_sms()


def test_an_expired_session_leads_to_the_sign_in_page(
    aws: Aws, inbox: Handler, frozen_wall_clock: Callable[[Any], None]
) -> None:
    seed(aws)
    frozen_wall_clock(datetime.now(UTC))
    browser = signed_in(aws, inbox)
    assert browser.get("/inbox")["statusCode"] == 200
    frozen_wall_clock(datetime.now(UTC) + timedelta(hours=12, minutes=1))
    answer = browser.get("/inbox")
    assert answer["statusCode"] == 303 and answer["headers"]["Location"] == "/inbox/sign-in"


def test_a_forged_csrf_token_is_refused_and_nothing_is_written(aws: Aws, inbox: Handler) -> None:
    seed(aws)
    opened = seed_handoff(aws)
    browser = signed_in(aws, inbox)
    base = "/inbox/p/bright-smile/h/in-bright-smile-1"
    for action, form in [
        ("reply", {"text": "We do, see you soon"}),
        ("close", {"outcome": "booked"}),
        ("correct", {"intent": "opt_out"}),
        ("opt-out", {}),
        ("snooze", {"until": "2027-01-01"}),
    ]:
        for token in (None, "", "forged" * 8):
            sent = {**form, **({"csrf": token} if token is not None else {})}
            answer = browser.post(f"{base}/{action}", sent)
            assert answer["statusCode"] == 403, action
    dynamodb = aws.client("dynamodb")
    assert not sent_sms()
    assert AuditRepository(dynamodb, aws.table).trail("bright-smile", opened.handoff_id) == []
    assert [h.handoff_id for h in HandoffRepository(dynamodb, aws.table).open_ones(
        "bright-smile")] == [opened.handoff_id]  # fmt: skip
    assert not ConsentRepository(dynamodb, aws.table).opted_out(
        "bright-smile", [opened.from_number]
    )
    # the sign-in form too: a token that is not the cookie's is refused
    stranger = Browser(inbox)
    stranger.get("/inbox/sign-in")
    answer = stranger.post("/inbox/sign-in", {"csrf": "forged" * 8, "email": "a@b.test",
                                              "password": "x"})  # fmt: skip
    assert answer["statusCode"] == 403


def test_another_practice_s_conversation_is_not_found_and_cannot_be_acted_on(
    aws: Aws, inbox: Handler
) -> None:
    seed(aws)
    seed(aws, make_practice(practice_id="lakeside", name="Lakeside Dental",
                            sending_number="+12125550188"), make_patient("P-1"))  # fmt: skip
    theirs = seed_handoff(aws, "lakeside")
    browser = signed_in(aws, inbox)  # bright-smile's
    page = browser.get("/inbox?scope=all")
    assert "lakeside" not in page["body"]
    base = f"/inbox/p/lakeside/h/{theirs.handoff_id}"
    assert browser.get(base)["statusCode"] == 404
    token = csrf(page)
    answer = browser.post(f"{base}/reply", {"csrf": token, "text": "Hello"})
    assert answer["statusCode"] == 404 and not sent_sms()
    assert browser.get("/inbox/p/bright-smile/h/no-such-handoff")["statusCode"] == 404


def test_a_reply_is_texted_from_the_practice_s_number_and_recorded(
    aws: Aws, inbox: Handler
) -> None:
    seed(aws)
    opened = seed_handoff(aws)
    browser = signed_in(aws, inbox)
    base = f"/inbox/p/bright-smile/h/{opened.handoff_id}"
    token = csrf(browser.get(base))
    answer = browser.post(f"{base}/reply", {"csrf": token, "text": "Yes we do. Call us!"})
    assert answer["statusCode"] == 303 and answer["headers"]["Location"] == f"{base}?n=replied"
    assert sent_sms() == [("+12125550101", "Yes we do. Call us!")]
    page = browser.get(answer["headers"]["Location"])
    assert "Your text was sent." in page["body"] and "Yes we do. Call us!" in page["body"]
    assert "desk@bright-smile.test" in page["body"]  # who, in the audit trail

    # a diagnosis in a text is refused; an opted-out number gets nothing
    refused = browser.post(f"{base}/reply", {"csrf": token, "text": "Your diagnosis is ready"})
    assert refused["headers"]["Location"] == f"{base}?n=refused_text"
    assert browser.post(f"{base}/opt-out", {"csrf": token})["headers"]["Location"].endswith(
        "n=opted_out"
    )
    blocked = browser.post(f"{base}/reply", {"csrf": token, "text": "One more thing"})
    assert blocked["headers"]["Location"] == f"{base}?n=opted_out_number"
    assert len(sent_sms()) == 1


def test_correct_the_intent_snooze_and_confirm_a_held_time(aws: Aws, inbox: Handler) -> None:
    seed(aws)
    opened = seed_handoff(aws)
    dynamodb = aws.client("dynamodb")
    openings = OpeningRepository(dynamodb, aws.table)
    time = Opening(starts_at=NOW + timedelta(days=2), provider="Dr Lee")
    openings.publish("bright-smile", [time])
    assert openings.hold("bright-smile", time, "P-1", NOW)
    browser = signed_in(aws, inbox)
    base = f"/inbox/p/bright-smile/h/{opened.handoff_id}"
    page = browser.get(base)
    token = csrf(page)
    assert "Confirm this time" in page["body"]

    corrected = browser.post(f"{base}/correct", {"csrf": token, "intent": "book"})
    assert corrected["headers"]["Location"] == f"{base}?n=corrected"
    reply = ReplyRepository(dynamodb, aws.table).find("bright-smile", opened.handoff_id)
    assert reply is not None
    snoozed = browser.post(f"{base}/snooze", {"csrf": token, "until": "2027-01-15"})
    assert snoozed["headers"]["Location"] == f"{base}?n=snoozed"
    opening_key = hidden(page, "opening")
    confirmed = browser.post(f"{base}/confirm-hold", {"csrf": token, "opening": opening_key})
    assert confirmed["headers"]["Location"] == f"{base}?n=confirmed"
    again = browser.post(f"{base}/release-hold", {"csrf": token, "opening": opening_key})
    assert again["headers"]["Location"] == f"{base}?n=no_hold"  # booked: no longer held

    trail = AuditRepository(dynamodb, aws.table).trail("bright-smile", opened.handoff_id)
    assert [e.action.value for e in trail] == ["corrected", "snoozed", "confirmed_hold"]
    # "mine": the ones this user acted on
    assert "ending 0101" in browser.get("/inbox?scope=mine")["body"]
    assert {e.by for e in trail} == {"desk@bright-smile.test"}
    assert trail[0].detail == "question -> book"
    shown = browser.get(base)["body"]
    assert "confirmed hold" in shown and "booked" in shown


def test_sign_out_ends_the_session(aws: Aws, inbox: Handler) -> None:
    seed(aws)
    browser = signed_in(aws, inbox)
    token = browser.cookies["inbox_session"]
    page = browser.get("/inbox")
    answer = browser.post("/inbox/sign-out", {"csrf": csrf(page)})
    assert answer["statusCode"] == 303 and answer["headers"]["Location"] == "/inbox/sign-in"
    assert "inbox_session" not in browser.cookies
    replayed = Browser(inbox, {"inbox_session": token})  # the old cookie, kept by an attacker
    assert replayed.get("/inbox")["statusCode"] == 303


def test_pages_carry_no_patient_data_in_urls_and_strict_headers(aws: Aws, inbox: Handler) -> None:
    seed(aws)
    seed_handoff(aws)
    browser = signed_in(aws, inbox)
    page = browser.get("/inbox/p/bright-smile/h/in-bright-smile-1")
    for url in re.findall(r'(?:href|action)="([^"]+)"', page["body"]):
        assert "555" not in url and "Ana" not in url, url
        assert not urlsplit(url).query or urlsplit(url).query.startswith("scope="), url
    policy = page["headers"]["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy


def test_an_owner_sets_up_a_second_factor_before_anything_else_then_needs_it(
    aws: Aws, inbox: Handler
) -> None:
    seed(aws)
    seed_handoff(aws)
    owner = invite_demo_user(aws.client("cognito-idp"), aws.ref("StaffUserPool"),
                             "bright-smile", "owner@bright-smile.test", Role.OWNER)  # fmt: skip
    browser = Browser(inbox)
    form = browser.get("/inbox/sign-in")
    challenge = browser.post("/inbox/sign-in", {"csrf": csrf(form), "email": owner.email,
                                                "password": owner.temporary_password})  # fmt: skip
    browser.post("/inbox/new-password", {
        "csrf": csrf(challenge), "session": hidden(challenge, "session"),
        "username": hidden(challenge, "username"), "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    })  # fmt: skip
    for url in ("/inbox", "/inbox/p/bright-smile/h/in-bright-smile-1"):
        answer = browser.get(url)
        assert answer["statusCode"] == 303 and answer["headers"]["Location"] == "/inbox/mfa-setup"
    setup = browser.get("/inbox/mfa-setup")
    assert setup["statusCode"] == 200 and "otpauth://totp/" in setup["body"]
    assert browser.post("/inbox/mfa-setup", {"code": "123456"})["statusCode"] == 403  # no CSRF
    done = browser.post("/inbox/mfa-setup", {"csrf": csrf(setup), "code": "123456"})
    assert done["statusCode"] == 303 and done["headers"]["Location"] == "/inbox"
    assert browser.get("/inbox")["statusCode"] == 200

    # the next sign-in asks for the code
    again = Browser(inbox)
    form = again.get("/inbox/sign-in")
    asked = again.post("/inbox/sign-in", {"csrf": csrf(form), "email": owner.email,
                                          "password": NEW_PASSWORD})  # fmt: skip
    assert asked["statusCode"] == 200 and "Your code" in asked["body"]
    signed = again.post("/inbox/mfa", {"csrf": csrf(asked), "session": hidden(asked, "session"),
                                       "username": hidden(asked, "username"),
                                       "code": "654321"})  # fmt: skip
    assert signed["statusCode"] == 303 and signed["headers"]["Location"] == "/inbox"
    assert again.get("/inbox")["statusCode"] == 200  # no setup asked again


def test_the_conversation_shows_an_open_offer_in_the_practice_s_time(
    aws: Aws, inbox: Handler
) -> None:
    from reactivation.adapters.recipients import RecipientRepository
    from reactivation.domain.conversation import Offer

    seed(aws)
    opened = seed_handoff(aws)
    dynamodb = aws.client("dynamodb")
    time = Opening(starts_at=datetime(2026, 11, 26, 14, 0, tzinfo=UTC), provider="Dr Lee")
    offer = Offer(patient_id="P-1", offered_at=NOW - timedelta(hours=1), openings=(time,))
    dynamodb.transact_write_items(TransactItems=[
        RecipientRepository(dynamodb, aws.table).offer_write("bright-smile", opened.from_number,
                                                              offer)])  # fmt: skip
    browser = signed_in(aws, inbox)
    page = browser.get(f"/inbox/p/bright-smile/h/{opened.handoff_id}")["body"]
    assert "1) Thu Nov 26 09:00 EST with Dr Lee" in page  # 14:00 UTC, New York's 9:00


@pytest.mark.parametrize(
    ("action", "form", "outcome", "detail"),
    [
        ("close", {"outcome": "booked", "note": "called back"}, "booked", "booked (called back)"),
        ("close", {"outcome": "resume"}, "resume", "resume"),
        ("booked-by-phone", {}, "booked", "booked (booked by phone)"),
    ],
)
def test_closing_records_its_outcome_and_who_closed_it(
    aws: Aws, inbox: Handler, action: str, form: dict[str, str], outcome: str, detail: str
) -> None:
    seed(aws)
    opened = seed_handoff(aws)
    browser = signed_in(aws, inbox)
    base = f"/inbox/p/bright-smile/h/{opened.handoff_id}"
    token = csrf(browser.get(base))
    answer = browser.post(f"{base}/{action}", {"csrf": token, **form})
    assert answer["statusCode"] == 303 and answer["headers"]["Location"].startswith(f"{base}?n=")
    dynamodb = aws.client("dynamodb")
    closed = HandoffRepository(dynamodb, aws.table).get("bright-smile", opened.handoff_id)
    assert closed is not None and closed.closed_at is not None
    assert closed.outcome is not None and closed.outcome.value == outcome
    assert closed.closed_by == "desk@bright-smile.test"
    (entry,) = AuditRepository(dynamodb, aws.table).trail("bright-smile", opened.handoff_id)
    assert (entry.action.value, entry.detail) == ("closed", detail)
    again = browser.post(f"{base}/{action}", {"csrf": token, **form})
    assert again["headers"]["Location"] == f"{base}?n=already_closed"
    assert browser.get("/inbox")["body"].count("ending 0101") == 0  # no longer open
    assert "ending 0101" in browser.get("/inbox?state=closed")["body"]
    bad = browser.post(f"{base}/close", {"csrf": token, "outcome": "maybe"})
    assert bad["headers"]["Location"] == f"{base}?n=bad_request"


def test_an_email_s_link_leads_to_the_conversation_after_signing_in(
    aws: Aws, inbox: Handler
) -> None:
    seed(aws)
    opened = seed_handoff(aws)
    link = f"/inbox/p/bright-smile/h/{opened.handoff_id}"
    user = invite_demo_user(aws.client("cognito-idp"), aws.ref("StaffUserPool"), "bright-smile",
                            "desk@bright-smile.test")  # fmt: skip
    browser = Browser(inbox)
    assert browser.get(link)["headers"]["Location"] == "/inbox/sign-in"
    form = browser.get("/inbox/sign-in")
    challenge = browser.post("/inbox/sign-in", {"csrf": csrf(form), "email": user.email,
                                                "password": user.temporary_password})  # fmt: skip
    done = browser.post("/inbox/new-password", {
        "csrf": csrf(challenge), "session": hidden(challenge, "session"),
        "username": hidden(challenge, "username"), "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    })  # fmt: skip
    assert done["headers"]["Location"] == link
    assert "inbox_next" not in browser.cookies
    # a page elsewhere is never where signing in leads
    stranger = Browser(inbox, {"inbox_next": "https://evil.example/phish"})
    form = stranger.get("/inbox/sign-in")
    signed = stranger.post("/inbox/sign-in", {"csrf": csrf(form), "email": user.email,
                                              "password": NEW_PASSWORD})  # fmt: skip
    assert signed["headers"]["Location"] == "/inbox"


def test_a_weak_new_password_or_a_forged_challenge_is_refused_with_a_page(
    aws: Aws, inbox: Handler
) -> None:
    user = invite_demo_user(aws.client("cognito-idp"), aws.ref("StaffUserPool"), "bright-smile",
                            "desk@bright-smile.test")  # fmt: skip
    browser = Browser(inbox)
    form = browser.get("/inbox/sign-in")
    challenge = browser.post("/inbox/sign-in", {"csrf": csrf(form), "email": user.email,
                                                "password": user.temporary_password})  # fmt: skip
    step = {"csrf": csrf(challenge), "session": hidden(challenge, "session"),
            "username": hidden(challenge, "username")}  # fmt: skip
    weak = browser.post("/inbox/new-password", {**step, "password": "short", "confirm": "short"})
    assert weak["statusCode"] == 400 and "at least 12 characters" in weak["body"]
    differ = browser.post("/inbox/new-password", {**step, "csrf": csrf(weak),
                          "password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})  # fmt: skip
    assert differ["statusCode"] == 400 and "The two passwords differ." in differ["body"]
    forged = browser.post("/inbox/new-password", {**step, "csrf": csrf(differ),
                          "session": "forged", "password": NEW_PASSWORD,
                          "confirm": NEW_PASSWORD})  # fmt: skip
    assert forged["statusCode"] == 200 and "please start again" in forged["body"]
    assert "inbox_session" not in browser.cookies
