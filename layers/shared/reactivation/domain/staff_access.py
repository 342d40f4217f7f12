"""Who may use the staff inbox and what they see: roles, practices, sessions, CSRF tokens, and
the ID token's claims checked (pure: the caller passes the time and the verified claims)."""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import Field

from reactivation.domain.handoffs import Handoff, HandoffReason, Team
from reactivation.domain.types import Frozen, Moment


class Role(StrEnum):
    FRONT_DESK = "front_desk"
    CLINICAL = "clinical"
    OWNER = "owner"


#: The handoff team each role answers for ("mine").
ROLE_TEAMS: dict[Role, Team] = {
    Role.FRONT_DESK: Team.FRONT_DESK,
    Role.CLINICAL: Team.CLINICAL,
    Role.OWNER: Team.MANAGER,
}

#: Roles that must sign in with a second factor (TOTP).
MFA_REQUIRED = frozenset({Role.OWNER})

#: How long a signed-in session lasts without signing in again.
SESSION_LIFETIME = timedelta(hours=12)


class InvalidToken(Exception):
    """An ID token that is not the pool's, not for this app, or no longer valid."""


class StaffUser(Frozen):
    """A signed-in member of staff: the pool's subject, their email, role and practices."""

    subject: str = Field(min_length=1, max_length=128)
    email: str = Field(min_length=3, max_length=254)
    role: Role
    practice_ids: tuple[str, ...] = Field(min_length=1)
    mfa: bool = False

    def may_see(self, practice_id: str) -> bool:
        return practice_id in self.practice_ids

    @property
    def team(self) -> Team:
        return ROLE_TEAMS[self.role]


class StaffSession(Frozen):
    """A server-side session: the cookie holds a random token, the table its hash and this."""

    user: StaffUser
    csrf_token: str = Field(min_length=32)
    created_at: Moment
    expires_at: Moment
    #: The pool's access token (sign-out revokes it); never shown, never logged.
    access_token: str | None = None

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def practices_attribute(practice_ids: Iterable[str]) -> str:
    """How a user's practices are kept in the pool (`custom:practices`)."""
    return " ".join(sorted(set(practice_ids)))


def user_from_claims(
    claims: Mapping[str, object], *, issuer: str, client_id: str, now: datetime
) -> StaffUser:
    """The staff member an ID token names, once its signature was verified: the pool's issuer,
    this app's client, an ID token, not expired, with a role and at least one practice."""
    if claims.get("iss") != issuer:
        raise InvalidToken("issuer")
    if claims.get("aud") != client_id:
        raise InvalidToken("audience")
    if claims.get("token_use") != "id":
        raise InvalidToken("token use")
    expires = claims.get("exp")
    if not isinstance(expires, int | float) or now.timestamp() >= float(expires):
        raise InvalidToken("expired")
    issued = claims.get("iat")
    if not isinstance(issued, int | float) or float(issued) > now.timestamp() + 300:
        raise InvalidToken("issued in the future")
    try:
        return StaffUser(
            subject=str(claims.get("sub") or ""),
            email=str(claims.get("email") or ""),
            role=Role(str(claims.get("custom:role") or "")),
            practice_ids=tuple(str(claims.get("custom:practices") or "").split()),
        )
    except ValueError as error:
        raise InvalidToken("role or practices") from error


def csrf_matches(expected: str, given: str | None) -> bool:
    """The form's token is the session's (compared in constant time)."""
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


class Scope(StrEnum):
    MINE = "mine"  # the ones I have acted on (in their audit trail)
    TEAM = "team"  # my role's team's (an owner's: every team)
    ALL = "all"  # every handoff of my practices


#: The inbox's order: clinical first, then the practice manager's, then the front desk's.
TEAM_ORDER = (Team.CLINICAL, Team.MANAGER, Team.FRONT_DESK)


def inbox_order(
    handoffs: Sequence[Handoff], user: StaffUser, scope: Scope
) -> list[tuple[Team, list[Handoff]]]:
    """The handoffs grouped by team, clinical first, urgent then oldest first in each; `team`
    keeps only the user's team (an owner's is every team: owners answer for everything).
    (`mine`, the ones the user acted on, is the caller's to pick: it reads their trails.)"""
    kept = [h for h in handoffs if user.may_see(h.practice_id)]
    if scope is Scope.TEAM and user.role is not Role.OWNER:
        kept = [h for h in kept if h.team is user.team]
    groups = []
    for team in TEAM_ORDER:
        in_team = sorted(
            (h for h in kept if h.team is team), key=lambda h: (not h.urgent, h.opened_at)
        )
        if in_team:
            groups.append((team, in_team))
    return groups


def age(since: datetime, now: datetime) -> str:
    """'4 min', '3 h', '2 d': how long a handoff has waited."""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 3600:
        return f"{max(1, seconds // 60)} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


class AuditAction(StrEnum):
    REPLIED = "replied"
    CLOSED = "closed"
    CORRECTED = "corrected"
    CONFIRMED_HOLD = "confirmed_hold"
    RELEASED_HOLD = "released_hold"
    BOOKED_BY_PHONE = "booked_by_phone"
    SNOOZED = "snoozed"
    OPTED_OUT = "opted_out"


class AuditEntry(Frozen):
    """One staff action on a conversation: who, when, what (shown on the conversation)."""

    practice_id: str
    handoff_id: str
    at: Moment
    by: str = Field(max_length=254)
    action: AuditAction
    #: What was done, in words staff read ("booked", "question -> book"); a staff reply's
    #: text is kept here too (it is part of the conversation, like the patient's replies).
    detail: str = Field(default="", max_length=1000)


_SYSTEM_DID = {
    "opt_out": "opted the number out and confirmed it by text",
    "opt_in": "lifted the opt-out and confirmed it",
    "help": "answered with the practice's name, phone and how to opt out",
    "book": "offered open times (or the booking link)",
    "question": "answered from the practice's approved answers",
    "not_now": "snoozed outreach and said when the practice will check back",
    "decline": "ended the sequence (180-day cooldown for the campaign)",
    "wrong_number": "marked the number invalid for that patient",
}
_HANDED = {
    HandoffReason.CLINICAL: "handed to clinical staff at once, marked urgent",
    HandoffReason.SENSITIVE: "held all outreach to the number and handed it to staff",
    HandoffReason.COMPLAINT: "handed to the manager; no outreach until staff close it",
    HandoffReason.BOOKING_REQUEST: "held the time picked and asked the front desk to book it",
    HandoffReason.BOOKING: "handed to the front desk to find a time (no openings known)",
    HandoffReason.OPT_OUT_NOTE: "opted the number out and handed the note to staff",
}


def system_did(intent: str, handed: HandoffReason | None) -> str:
    """What the system did with a reply (spec/replies.md), in staff's words: for the reply a
    handoff is about, what handing it over meant."""
    if handed is not None:
        return _HANDED.get(handed, "handed to staff")
    return _SYSTEM_DID.get(intent, "handed to staff")
