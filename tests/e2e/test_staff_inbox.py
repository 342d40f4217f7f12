"""The staff inbox in headless Chromium (Playwright driving Debian's chromium) on the local
stack: first sign-in with the temporary password, the week's handoffs, a reply texted to the
patient, a held time confirmed, an intent corrected, a handoff closed as booked; a second
practice's user sees none of it; sign-out; screenshots at 375 and 1280 px with nothing wider
than the window; axe-core finds no violation on any page."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from reactivation.adapters.openings import OpeningRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.domain.conversation import Opening
from reactivation.domain.staff_access import Role
from reactivation_tools.local import demo
from reactivation_tools.local.stack import LocalStack
from reactivation_tools.staff_users import invite_demo_user
from tests.builders import make_practice
from tests.e2e.helpers import seeded_for_cli
from tests.e2e.test_handoffs import reply
from tests.e2e.test_slice import actions_needed

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
NEW_PASSWORD = "Brand-new-pass-42!"
#: Where the screenshots are also copied (the README's come from here), when set.
SHOTS = os.environ.get("STAFF_INBOX_SCREENSHOTS")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install -y chromium)"
)


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


def accessible(page: Any) -> None:
    """axe-core's rules (WCAG A and AA: labels, focus order, contrast...): no violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = results.response["violations"]
    assert not violations, [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]


def fits(page: Any, width: int) -> None:
    """Nothing wider than the window."""
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= width, (page.url, scroll, width)


def shoot(page: Any, out: Path, name: str) -> None:
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        fits(page, width)
        path = out / f"staff-inbox-{name}-{width}px.png"
        page.screenshot(path=str(path), full_page=True)
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(SHOTS) / path.name)
    page.set_viewport_size({"width": 1280, "height": 900})


def sign_in_first_time(page: Any, inbox: str, email: str, password: str) -> None:
    page.goto(inbox)
    assert page.url.endswith("/inbox/sign-in")
    accessible(page)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Choose your password").wait_for()
    accessible(page)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("The same again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save and sign in").click()
    page.wait_for_url(inbox)


def test_staff_sign_in_answer_book_and_close_in_the_inbox(
    stack: LocalStack, tmp_path: Path, browser: Any
) -> None:
    start, _ = seeded_for_cli(stack, tmp_path)
    dynamodb, table = stack.client("dynamodb"), stack.outputs["PracticeTableName"]
    day = start.date()
    OpeningRepository(dynamodb, table).publish("bright-smile", [
        Opening(starts_at=start.replace(day=day.day) + timedelta(days=2, hours=-1),
                provider="Dr. Lee"),
    ])  # fmt: skip
    # the week's replies: a yes that picks a time (held), a complaint, an insurance question
    reply(stack, "+12125550106", "yes please", "in-yes")
    reply(stack, "+12125550106", "1", "in-pick")
    reply(stack, "+12125550102", "you people overcharged me and were rude", "in-complaint")
    reply(stack, "+12125550103", "do you take delta dental insurance", "in-question")
    stack.drain()
    second = make_practice(practice_id="lakeside", name="Lakeside Dental",
                           sending_number="+13125550199")  # fmt: skip
    PracticeRepository(dynamodb, table).save(second)
    pool, cognito = stack.outputs["StaffUserPoolId"], stack.client("cognito-idp")
    desk = invite_demo_user(cognito, pool, demo.PRACTICE.practice_id, "desk@bright-smile.test")
    other = invite_demo_user(cognito, pool, "lakeside", "desk@lakeside.test", Role.FRONT_DESK)
    inbox = f"{stack.api_url}/inbox"
    # the handoff's email links to the conversation, with no more patient data than before
    (email,) = [e for e in stack.sent_emails() if "practice manager" in e.subject]
    assert f"{inbox}/p/bright-smile/h/in-complaint" in email.body
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    sign_in_first_time(page, inbox, desk.email, desk.temporary_password)
    title = page.title()
    assert title.startswith("(") and title.endswith(") Staff inbox")
    open_count = int(title[1 : title.index(")")])
    assert open_count >= 2
    assert page.get_by_text("ending 0102").count() == 1
    assert "+1212555" not in page.content()
    accessible(page)
    shoot(page, tmp_path, "inbox")

    # the picked time: confirm it, and text the patient
    page.get_by_role("link", name="Picked a time").first.click()
    page.get_by_role("heading", name="Conversation").wait_for()
    assert "yes please" in page.content()
    accessible(page)
    shoot(page, tmp_path, "conversation")
    page.get_by_role("button", name="Confirm this time").click()
    page.get_by_text("The time is confirmed as booked.").wait_for()
    page.get_by_label("Text the patient").fill("See you Thursday at 9! Reply here with questions.")
    page.get_by_role("button", name="Send text").click()
    page.get_by_text("Your text was sent.").wait_for()
    texts = [s for s in stack.sent_sms() if s.to == "+12125550106"]
    assert texts[-1].body == "See you Thursday at 9! Reply here with questions."
    page.get_by_label("Close with the outcome").select_option("booked")
    page.get_by_role("button", name="Close", exact=True).click()
    page.get_by_text("Closed.").wait_for()
    trail = page.get_by_role("table").inner_text()
    assert "confirmed hold" in trail and "replied" in trail and "closed" in trail
    assert "desk@bright-smile.test" in trail

    # the insurance question: staff read it as a yes
    page.goto(inbox)
    assert page.title() == f"({open_count - 1}) Staff inbox"
    page.get_by_role("link", name="Billing or insurance").first.click()
    page.get_by_label("The reply really is").select_option("book")
    page.get_by_role("button", name="Correct the intent").click()
    page.get_by_text("The reply's intent was corrected.").wait_for()
    assert "billing -> book" in page.get_by_role("table").inner_text()
    conversation_url = page.url

    # keyboard only: the first Tab reaches the inbox link, Enter follows it
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Staff inbox"

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{inbox}/sign-in")
    page.goto(inbox)
    assert page.url.endswith("/inbox/sign-in")

    # another practice's user: none of it
    other_page = browser.new_context().new_page()
    sign_in_first_time(other_page, inbox, other.email, other.temporary_password)
    assert other_page.title() == "(0) Staff inbox"
    assert "ending 01" not in other_page.content()
    answer = other_page.goto(conversation_url)
    assert answer is not None and answer.status == 404
    accessible(other_page)
    # every AWS action the inbox needed on the way is granted to it (moto checks none)
    needed = actions_needed(stack)[stack.functions["StaffInboxFunction"].name]
    assert {"dynamodb:Query", "sns:Publish"} <= needed
