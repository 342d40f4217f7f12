"""The staff inbox's pages and forms (its function's routes): server-rendered HTML where staff
sign in (Cognito), read the replies handed to them and act on them. Every POST carries a CSRF
token; every page checks the session server-side and the practice against the user's; no
patient data in a URL or a log line (a page's address names a practice and a handoff id, the
inbound message's id)."""

import re
import secrets
from datetime import date, datetime, timedelta
from functools import cache
from http import HTTPStatus
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from reactivation import clock
from reactivation.domain.staff_access import system_did
from reactivation.observability import logger, metrics
from reactivation.services.staff import UnknownHandoff, UnknownPractice

if TYPE_CHECKING:
    from jinja2 import Environment

    from reactivation.domain.staff_access import StaffSession
    from reactivation.wiring import StaffInbox

app = APIGatewayHttpResolver()
inbox: "StaffInbox"


def bind(built: "StaffInbox") -> APIGatewayHttpResolver:
    """The routes, serving the inbox built at the function's cold start."""
    global inbox
    inbox = built
    return app


SESSION_COOKIE = "inbox_session"
#: The page to go back to after signing in: a conversation's (no open redirect).
NEXT_COOKIE = "inbox_next"
NEXT_PAGES = r"/inbox/p/[\w.-]{1,64}/h/[\w.:-]{1,200}"
#: Before sign-in, a form's CSRF token is also in this cookie (double submit).
PRESESSION_COOKIE = "inbox_csrf"
ROOT = "/inbox"


@cache
def _environment() -> "Environment":
    """The pages' templates, compiled when first shown (sandboxed, everything escaped)."""
    from jinja2 import DictLoader, select_autoescape
    from jinja2.sandbox import SandboxedEnvironment

    folder = resources.files("reactivation").joinpath("templates/inbox")
    sources = {
        entry.name: entry.read_text("utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".j2")
    }
    environment = SandboxedEnvironment(
        loader=DictLoader(sources), autoescape=select_autoescape(default=True)
    )
    environment.globals["root"] = ROOT
    environment.globals["system_did"] = system_did
    environment.filters["local"] = _local_time
    return environment


def _local_time(at: datetime, timezone: str, pattern: str = "%a %b %d %H:%M") -> str:
    """A moment as the practice's clock shows it."""
    from zoneinfo import ZoneInfo

    local = at.astimezone(ZoneInfo(timezone))
    return f"{local.strftime(pattern)} {local.tzname()}"


def _headers(nonce: str) -> dict[str, str]:
    return {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": f"default-src 'none'; style-src 'nonce-{nonce}'; "
        f"script-src 'nonce-{nonce}'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
    }


def _cookie(name: str, value: str, max_age: int | None = None) -> Cookie:
    return Cookie(name=name, value=value, path=ROOT, secure=True, http_only=True,
                  same_site=SameSite.LAX_MODE, max_age=max_age)  # fmt: skip


def _page(
    template: str,
    status: int = HTTPStatus.OK,
    cookies: list[Cookie] | None = None,
    **values: Any,
) -> Response[str]:
    nonce = secrets.token_urlsafe(16)
    body = _environment().get_template(template).render(nonce=nonce, **values)
    return Response(status_code=status, content_type=content_types.TEXT_HTML, body=body,
                    headers=_headers(nonce), cookies=cookies or [])  # fmt: skip


def _redirect(to: str, cookies: list[Cookie] | None = None) -> Response[str]:
    return Response(status_code=HTTPStatus.SEE_OTHER, body="",
                    headers={"Location": to, "Cache-Control": "no-store"},
                    cookies=cookies or [])  # fmt: skip


def _cookies() -> dict[str, str]:
    found: dict[str, str] = {}
    raw = list(app.current_event.cookies or [])
    header = app.current_event.headers.get("cookie")
    if header:
        raw += header.split(";")
    for cookie in raw:
        name, _, value = cookie.strip().partition("=")
        found.setdefault(name, value)
    return found


def _form() -> dict[str, str]:
    body = app.current_event.decoded_body or ""
    return {k: v[0] for k, v in parse_qs(body, max_num_fields=20).items()}


def _session() -> "StaffSession | None":
    return inbox.authenticator.session(_cookies().get(SESSION_COOKIE), clock.wall_now())


# -- signing in ------------------------------------------------------------------------


def _sign_in_page(error: str | None = None, status: int = HTTPStatus.OK) -> Response[str]:
    token = secrets.token_urlsafe(32)
    return _page("sign_in.html.j2", status, [_cookie(PRESESSION_COOKIE, token)],
                 csrf=token, error=error)  # fmt: skip


def _presession_ok(form: dict[str, str]) -> bool:
    from reactivation.domain.staff_access import csrf_matches

    expected = _cookies().get(PRESESSION_COOKIE)
    return bool(expected) and csrf_matches(expected or "", form.get("csrf"))


#: The page that asks for each sign-in challenge's answer.
CHALLENGE_PAGES = {
    # B105: Cognito's challenge names and the pages' file names, no secret
    "NEW_PASSWORD_REQUIRED": "new_password.html.j2",  # nosec B105
    "SOFTWARE_TOKEN_MFA": "mfa.html.j2",  # nosec B105
}


@app.get(f"{ROOT}/sign-in")
def sign_in_form() -> Response[str]:
    return _sign_in_page()


def _after_sign_in(result: Any) -> Response[str]:
    from reactivation.services.staff_inbox import Challenge

    if isinstance(result, Challenge):
        template = CHALLENGE_PAGES.get(result.name)
        if template is None:
            logger.warning("sign-in challenge not supported", extra={"challenge": result.name})
            return _sign_in_page("This sign-in step is not supported here.", HTTPStatus.OK)
        token = secrets.token_urlsafe(32)
        return _page(template, HTTPStatus.OK, [_cookie(PRESESSION_COOKIE, token)], csrf=token,
                     challenge=result, error=None)  # fmt: skip
    metrics.add_metric(name="StaffSignIns", unit=MetricUnit.Count, value=1)
    logger.info("staff signed in", extra={"role": result.session.user.role.value})
    max_age = int((result.session.expires_at - result.session.created_at).total_seconds())
    wanted = _cookies().get(NEXT_COOKIE, "")  # the page asked for before signing in
    to = wanted if re.fullmatch(NEXT_PAGES, wanted) else ROOT
    cookies = [_cookie(SESSION_COOKIE, result.token, max_age),
               _cookie(PRESESSION_COOKIE, "", 0), _cookie(NEXT_COOKIE, "", 0)]  # fmt: skip
    return _redirect(to, cookies)


@app.post(f"{ROOT}/sign-in")
def sign_in() -> Response[str]:
    from reactivation.adapters.cognito import SignInRefused

    form = _form()
    if not _presession_ok(form):
        return _forbidden()
    try:
        result = inbox.authenticator.password(
            form.get("email", ""), form.get("password", ""), clock.wall_now()
        )
    except SignInRefused:
        logger.info("staff sign-in refused")
        return _sign_in_page("That email and password do not match.", HTTPStatus.UNAUTHORIZED)
    return _after_sign_in(result)


def _challenge_step(step: str) -> Response[str]:
    from reactivation.adapters.cognito import SignInRefused
    from reactivation.services.staff_inbox import Challenge

    form = _form()
    if not _presession_ok(form):
        return _forbidden()
    challenge = Challenge(step, form.get("session", ""), form.get("username", ""))
    try:
        if step == "NEW_PASSWORD_REQUIRED":
            if form.get("password", "") != form.get("confirm", ""):
                raise SignInRefused("the two passwords differ")
            result = inbox.authenticator.new_password(challenge, form.get("password", ""),
                                                      clock.wall_now())  # fmt: skip
        else:
            result = inbox.authenticator.totp(challenge, form.get("code", ""), clock.wall_now())
    except SignInRefused as refused:
        logger.info("staff sign-in step refused", extra={"step": step})
        template = "new_password.html.j2" if step == "NEW_PASSWORD_REQUIRED" else "mfa.html.j2"
        error = (
            "The two passwords differ." if "differ" in str(refused)
            else "That was refused: a password has at least 12 characters with upper and "
            "lower case letters, a digit and a symbol."
            if step == "NEW_PASSWORD_REQUIRED" else "That code was refused. Try the next one."
        )  # fmt: skip
        if "NotAuthorized" in str(refused) or "ResourceNotFound" in str(refused):
            return _sign_in_page("That sign-in expired: please start again.")
        token = secrets.token_urlsafe(32)
        return _page(template, HTTPStatus.BAD_REQUEST, [_cookie(PRESESSION_COOKIE, token)],
                     csrf=token, challenge=challenge, error=error)  # fmt: skip
    return _after_sign_in(result)


@app.post(f"{ROOT}/new-password")
def new_password() -> Response[str]:
    return _challenge_step("NEW_PASSWORD_REQUIRED")


@app.post(f"{ROOT}/mfa")
def mfa() -> Response[str]:
    return _challenge_step("SOFTWARE_TOKEN_MFA")


@app.post(f"{ROOT}/sign-out")
def sign_out() -> Response[str]:
    from reactivation.domain.staff_access import csrf_matches

    token = _cookies().get(SESSION_COOKIE, "")
    session = _session()
    if session is not None:
        if not csrf_matches(session.csrf_token, _form().get("csrf")):
            return _forbidden()
        inbox.authenticator.sign_out(token)
        logger.info("staff signed out")
    return _redirect(f"{ROOT}/sign-in", [_cookie(SESSION_COOKIE, "", 0)])


# -- pages ------------------------------------------------------------------------------


def _signed_in() -> "StaffSession | Response[str]":
    session = _session()
    if session is None:  # back to this page after signing in (an email's link)
        path = app.current_event.path
        later = [_cookie(NEXT_COOKIE, path, 900)] if re.fullmatch(NEXT_PAGES, path) else []
        return _redirect(f"{ROOT}/sign-in", later)
    if inbox.authenticator.needs_mfa_setup(session):  # an owner without a second factor
        return _redirect(f"{ROOT}/mfa-setup")
    return session


def _mfa_setup_page(session: "StaffSession", error: str | None = None) -> Response[str]:
    from urllib.parse import quote

    secret = inbox.authenticator.totp_secret(session)
    uri = f"otpauth://totp/Staff%20inbox:{quote(session.user.email)}?secret={secret}"
    return _page("mfa_setup.html.j2", HTTPStatus.BAD_REQUEST if error else HTTPStatus.OK,
                 session=session, secret=secret, uri=uri, error=error)  # fmt: skip


@app.get(f"{ROOT}/mfa-setup")
def mfa_setup_form() -> Response[str]:
    session = _session()
    if session is None:
        return _redirect(f"{ROOT}/sign-in")
    if session.user.mfa:
        return _redirect(ROOT)
    return _mfa_setup_page(session)


@app.post(f"{ROOT}/mfa-setup")
def mfa_setup() -> Response[str]:
    from reactivation.adapters.cognito import SignInRefused
    from reactivation.domain.staff_access import csrf_matches

    session = _session()
    if session is None:
        return _redirect(f"{ROOT}/sign-in")
    form = _form()
    if not csrf_matches(session.csrf_token, form.get("csrf")):
        return _forbidden()
    try:
        inbox.authenticator.enable_totp(_cookies().get(SESSION_COOKIE, ""), session,
                                        form.get("code", ""))  # fmt: skip
    except SignInRefused:
        logger.info("staff second factor refused")
        return _mfa_setup_page(session, "That code was refused: scan the new key and try again.")
    logger.info("staff second factor set up", extra={"role": session.user.role.value})
    return _redirect(ROOT)


@app.get(ROOT)
def inbox_page() -> Response[str]:
    from reactivation.domain.staff_access import Scope, age

    session = _signed_in()
    if isinstance(session, Response):
        return session
    query = app.current_event.query_string_parameters or {}
    try:
        scope = Scope(query.get("scope", Scope.ALL.value))
    except ValueError:
        scope = Scope.ALL
    closed = query.get("state") == "closed"
    now = clock.now()
    shown = inbox.inbox.inbox(session.user, scope, closed, now)
    return _page("inbox.html.j2", session=session, page=shown, age=lambda at: age(at, now),
                 practices=_practice_names(session))  # fmt: skip


def _practice_names(session: "StaffSession") -> dict[str, str]:
    from reactivation.services.staff import UnknownPractice

    names = {}
    for practice_id in session.user.practice_ids:
        try:
            names[practice_id] = inbox.actions.staff.practice(practice_id).name
        except UnknownPractice:
            names[practice_id] = practice_id
    return names


#: The messages an action's redirect may show (by code: no text from the request).
NOTICES = {
    "replied": "Your text was sent.",
    "closed": "Closed.",
    "corrected": "The reply's intent was corrected.",
    "confirmed": "The time is confirmed as booked.",
    "released": "The time was released for other patients.",
    "booked": "Marked as booked by phone, and closed.",
    "snoozed": "Outreach is snoozed.",
    "opted_out": "The number is opted out: nothing more is sent to it.",
    "already_closed": "It was already closed.",
    "refused_text": "That text was not sent: it is empty, too long, or names a diagnosis or "
    "procedure.",
    "opted_out_number": "That number is opted out: no text can be sent to it.",
    "no_hold": "That time is not held for this patient any more.",
    "bad_request": "That was not understood: nothing was changed.",
}


#: How a handoff closes (HandoffOutcome's values), as staff read them.
OUTCOMES = (
    ("resume", "Answered: outreach may resume"),
    ("booked", "Booked"),
    ("end", "End: no more outreach for this campaign"),
    ("opt_out", "Opt the number out"),
)


@app.get(f"{ROOT}/p/<practice_id>/h/<handoff_id>")
def conversation(practice_id: str, handoff_id: str) -> Response[str]:
    from reactivation.domain.conversation import Intent

    session = _signed_in()
    if isinstance(session, Response):
        return session
    page = inbox.inbox.conversation(session.user, practice_id, handoff_id)
    notice = NOTICES.get((app.current_event.query_string_parameters or {}).get("n", ""))
    return _page("conversation.html.j2", session=session, page=page, notice=notice,
                 intents=[i.value for i in Intent], outcomes=OUTCOMES,
                 open_count=inbox.inbox.open_count(session.user),
                 snooze_until=(clock.now().date() + timedelta(days=30)).isoformat())  # fmt: skip


@app.post(f"{ROOT}/p/<practice_id>/h/<handoff_id>/<action>")
def act(practice_id: str, handoff_id: str, action: str) -> Response[str]:
    from reactivation.domain.conversation import Intent
    from reactivation.domain.staff_access import csrf_matches
    from reactivation.services.staff import (
        NoHeldTime,
        NoOpenHandoff,
        NumberOptedOut,
        TextRefused,
    )

    session = _signed_in()
    if isinstance(session, Response):
        return session
    form = _form()
    if not csrf_matches(session.csrf_token, form.get("csrf")):
        return _forbidden()
    inbox.inbox.find(session.user, practice_id, handoff_id)  # another practice's: 404
    actions, now, by = inbox.actions, clock.now(), session.user.email
    back = f"{ROOT}/p/{practice_id}/h/{handoff_id}"
    try:
        match action:
            case "reply":
                actions.reply_to_patient(practice_id, handoff_id, form.get("text", ""), now, by)
                notice = "replied"
            case "close":
                from reactivation.domain.handoffs import HandoffOutcome

                outcome = HandoffOutcome(form.get("outcome", HandoffOutcome.RESUME.value))
                actions.close_handoff(practice_id, handoff_id, now, outcome,
                                      form.get("note") or None, by)  # fmt: skip
                notice = "closed"
            case "correct":
                actions.correct_intent(practice_id, handoff_id, Intent(form.get("intent", "")),
                                     now, by)  # fmt: skip
                notice = "corrected"
            case "confirm-hold" | "release-hold":
                confirm = action == "confirm-hold"
                actions.settle_held_time(practice_id, handoff_id, form.get("opening", ""), now, by,
                                       confirm=confirm)  # fmt: skip
                notice = "confirmed" if confirm else "released"
            case "booked-by-phone":
                from reactivation.domain.handoffs import HandoffOutcome

                actions.close_handoff(practice_id, handoff_id, now, HandoffOutcome.BOOKED,
                                      "booked by phone", by)  # fmt: skip
                notice = "booked"
            case "snooze":
                until = date.fromisoformat(form.get("until", ""))
                actions.snooze_patient(practice_id, handoff_id, until, now, by)
                notice = "snoozed"
            case "opt-out":
                actions.opt_out_number(practice_id, handoff_id, now, by)
                notice = "opted_out"
            case _:
                return _not_found()
    except TextRefused:
        notice = "refused_text"
    except NumberOptedOut:
        notice = "opted_out_number"
    except NoHeldTime:
        notice = "no_hold"
    except NoOpenHandoff:
        notice = "already_closed"
    except ValueError:
        notice = "bad_request"
    metrics.add_metric(name="StaffActions", unit=MetricUnit.Count, value=1)
    logger.info("staff action", extra={"action": action, "result": notice})
    return _redirect(f"{back}?{urlencode({'n': notice})}")


# -- refusals ---------------------------------------------------------------------------


def _forbidden() -> Response[str]:
    logger.warning("staff inbox form refused: CSRF token")
    metrics.add_metric(name="Refused", unit=MetricUnit.Count, value=1)
    return _page("error.html.j2", HTTPStatus.FORBIDDEN, title="Refused",
                 message="This form expired or did not come from the inbox. Nothing was "
                 "changed: go back, reload the page and try again.")  # fmt: skip


def _not_found() -> Response[str]:
    return _page("error.html.j2", HTTPStatus.NOT_FOUND, title="Not found",
                 message="There is nothing here, or nothing you can see.")  # fmt: skip


# Another practice's handoff is the same 404 as one that does not exist.
@app.exception_handler(UnknownHandoff)  # type: ignore[untyped-decorator]
def unknown_handoff(_: UnknownHandoff) -> Response[str]:
    return _not_found()


@app.exception_handler(UnknownPractice)  # type: ignore[untyped-decorator]
def unknown_practice(_: UnknownPractice) -> Response[str]:
    return _not_found()


@app.not_found
def not_found(_: Exception) -> Response[str]:
    return _not_found()
