"""The staff inbox: signing staff in (Cognito, the ID token verified against the pool's keys,
then a server-side session), their inbox and a conversation page. The actions themselves are
StaffService's (one place for each rule, the CLI's too); this service checks, before any of
them, that the user works for the practice (another practice's handoff is not found).

Time is passed in (`now`): the service never reads a clock."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from reactivation.adapters.cognito import CognitoSignIn, JwksVerifier, SignInStep
from reactivation.adapters.handoffs import HandoffRepository
from reactivation.adapters.replies import ReplyRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.adapters.staff_inbox import (
    AuditRepository,
    ConversationReads,
    HeldTime,
    SentStep,
    SessionRepository,
)
from reactivation.domain.conversation import Offer, Reply
from reactivation.domain.handoffs import Handoff, Team
from reactivation.domain.outreach import Enrolment
from reactivation.domain.practice import Practice
from reactivation.domain.staff_access import (
    MFA_REQUIRED,
    SESSION_LIFETIME,
    AuditEntry,
    Scope,
    StaffSession,
    StaffUser,
    inbox_order,
    user_from_claims,
)
from reactivation.services.staff import StaffService, UnknownHandoff


@dataclass(frozen=True)
class SignedIn:
    token: str  # the cookie's value
    session: StaffSession


@dataclass(frozen=True)
class Challenge:
    """Cognito asks for more: a new password, or a TOTP code."""

    name: str
    session: str
    username: str


class Authenticator:
    def __init__(
        self,
        *,
        cognito: CognitoSignIn,
        verifier: JwksVerifier,
        sessions: SessionRepository,
        issuer: str,
        client_id: str,
        lifetime: timedelta = SESSION_LIFETIME,
        new_token: Callable[[], str] = lambda: secrets.token_urlsafe(32),
    ) -> None:
        self._cognito = cognito
        self._verifier = verifier
        self._sessions = sessions
        self._issuer = issuer
        self._client_id = client_id
        self._lifetime = lifetime
        self._new_token = new_token

    def password(self, email: str, password: str, now: datetime) -> SignedIn | Challenge:
        return self._next(self._cognito.password(email.strip().lower(), password), now)

    def new_password(
        self, challenge: Challenge, password: str, now: datetime
    ) -> SignedIn | Challenge:
        return self._next(
            self._cognito.new_password(challenge.username, challenge.session, password), now
        )

    def totp(self, challenge: Challenge, code: str, now: datetime) -> SignedIn | Challenge:
        return self._next(
            self._cognito.totp(challenge.username, challenge.session, code.strip()), now,
            mfa=True,
        )  # fmt: skip

    def _next(self, step: SignInStep, now: datetime, *, mfa: bool = False) -> SignedIn | Challenge:
        if step.id_token is None:
            return Challenge(step.challenge or "", step.session or "", step.username or "")
        claims = self._verifier.claims(step.id_token)
        user = user_from_claims(claims, issuer=self._issuer, client_id=self._client_id, now=now)
        user = user.model_copy(update={"mfa": mfa})
        token = self._new_token()
        session = StaffSession(
            user=user, csrf_token=secrets.token_urlsafe(32), created_at=now,
            expires_at=now + self._lifetime, access_token=step.access_token,
        )  # fmt: skip
        self._sessions.save(token, session)
        return SignedIn(token, session)

    def session(self, token: str | None, now: datetime) -> StaffSession | None:
        """The signed-in session the cookie names (None: none, forged, or expired)."""
        if not token:
            return None
        session = self._sessions.get(token)
        if session is None or session.expired(now):
            return None
        return session

    def sign_out(self, token: str) -> None:
        session = self._sessions.get(token)
        self._sessions.delete(token)
        if session is not None and session.access_token:
            self._cognito.sign_out(session.access_token)

    def totp_secret(self, session: StaffSession) -> str:
        return self._cognito.totp_secret(session.access_token or "")

    def enable_totp(self, token: str, session: StaffSession, code: str) -> StaffSession:
        """The user's authenticator app set up (its code checked): this session and every
        later sign-in have the second factor."""
        self._cognito.enable_totp(session.access_token or "", code.strip())
        user = session.user.model_copy(update={"mfa": True})
        changed = session.model_copy(update={"user": user})
        self._sessions.replace(token, changed)
        return changed

    @staticmethod
    def needs_mfa_setup(session: StaffSession) -> bool:
        """An owner signed in without a second factor sets one up before anything else."""
        return session.user.role in MFA_REQUIRED and not session.user.mfa


@dataclass(frozen=True)
class InboxRow:
    handoff: Handoff
    first_name: str
    last_four: str


@dataclass(frozen=True)
class InboxPage:
    groups: list[tuple[Team, list[InboxRow]]]
    open_count: int
    scope: Scope
    closed: bool


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    who: str  # practice, patient, staff
    text: str
    reply: Reply | None = None
    sent: SentStep | None = None
    audit: AuditEntry | None = None


@dataclass(frozen=True)
class ConversationPage:
    practice: Practice
    handoff: Handoff
    first_name: str
    last_four: str
    timeline: list[TimelineEntry]
    sequence: Enrolment | None
    held: list[HeldTime]
    audit: list[AuditEntry]
    opted_out: bool
    #: The handed reply's intent as it stands (the classifier's, or staff's correction).
    reply_intent: str | None = None
    #: Times offered by text and not picked yet (an offer stands three days).
    offer: Offer | None = None


class InboxService:
    def __init__(
        self,
        *,
        staff: StaffService,
        handoffs: HandoffRepository,
        replies: ReplyRepository,
        sequences: SequenceRepository,
        reads: ConversationReads,
        audit: AuditRepository,
        first_name: Callable[[str, tuple[str, ...]], str],
        opted_out: Callable[[str, str], bool],
    ) -> None:
        self._staff = staff
        self._handoffs = handoffs
        self._replies = replies
        self._sequences = sequences
        self._reads = reads
        self._audit = audit
        self._first_name = first_name
        self._opted_out = opted_out

    def _row(self, handoff: Handoff) -> InboxRow:
        return InboxRow(
            handoff,
            self._first_name(handoff.practice_id, handoff.patient_ids),
            handoff.from_number[-4:],
        )

    def inbox(self, user: StaffUser, scope: Scope, closed: bool, now: datetime) -> InboxPage:
        """Open handoffs (or those closed in the last 30 days) of the user's practices."""
        found: list[Handoff] = []
        for practice_id in user.practice_ids:
            if closed:
                since = now - timedelta(days=30)
                found += [h for h in self._handoffs.since(practice_id, since) if h.closed_at]
            else:
                found += self._handoffs.open_ones(practice_id)
        if scope is Scope.MINE:  # the ones the user acted on (open ones are few)
            found = [h for h in found if self._acted_on(user, h)]
        groups = inbox_order(found, user, scope)
        open_count = self.open_count(user) if closed else sum(len(r) for _, r in groups)
        if closed:
            groups = [
                (team, sorted(rows, key=lambda h: h.closed_at or h.opened_at, reverse=True))
                for team, rows in groups
            ]
        return InboxPage(
            [(team, [self._row(h) for h in rows]) for team, rows in groups],
            open_count,
            scope,
            closed,
        )

    def _acted_on(self, user: StaffUser, handoff: Handoff) -> bool:
        if not user.may_see(handoff.practice_id):
            return False
        trail = self._audit.trail(handoff.practice_id, handoff.handoff_id)
        return any(entry.by == user.email for entry in trail)

    def open_count(self, user: StaffUser) -> int:
        found = [h for p in user.practice_ids for h in self._handoffs.open_ones(p)]
        return sum(len(rows) for _, rows in inbox_order(found, user, Scope.ALL))

    def find(self, user: StaffUser, practice_id: str, handoff_id: str) -> Handoff:
        """The handoff, if the user works for its practice (UnknownHandoff otherwise: the
        same answer as for one that does not exist)."""
        if not user.may_see(practice_id):
            raise UnknownHandoff(practice_id, handoff_id)
        return self._staff.handoff(practice_id, handoff_id)

    def conversation(self, user: StaffUser, practice_id: str, handoff_id: str) -> ConversationPage:
        handoff = self.find(user, practice_id, handoff_id)
        practice = self._staff.practice(practice_id)
        replies = self._replies.conversation(practice_id, handoff.from_number)
        sent = self._reads.sent_steps(practice_id, handoff.patient_ids)
        trail = self._audit.trail(practice_id, handoff_id)
        timeline = [
            *(TimelineEntry(r.received_at, "patient", r.body, reply=r) for r in replies),
            *(
                TimelineEntry(s.at, "practice", f"{s.campaign} campaign, message {s.step}",
                              sent=s)
                for s in sent
            ),
            *(TimelineEntry(a.at, "staff", a.detail, audit=a) for a in trail
              if a.action.value == "replied"),
        ]  # fmt: skip
        timeline.sort(key=lambda e: e.at)
        sequence = None
        for patient_id in handoff.patient_ids:
            sequence = self._sequences.active(practice_id, patient_id) or sequence
        return ConversationPage(
            practice=practice,
            handoff=handoff,
            first_name=self._first_name(practice_id, handoff.patient_ids),
            last_four=handoff.from_number[-4:],
            timeline=timeline,
            sequence=sequence,
            held=self._reads.held_times(practice_id, handoff.patient_ids),
            audit=trail,
            opted_out=self._opted_out(practice_id, handoff.from_number),
            offer=self._reads.open_offer(practice_id, handoff.from_number),
            reply_intent=next(
                (r.intent.value for r in replies if r.inbound_message_id == handoff_id), None
            ),
        )
