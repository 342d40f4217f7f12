"""Who may use the staff inbox: an ID token's claims, the inbox's order, CSRF tokens."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reactivation.domain.handoffs import Handoff, HandoffReason, Team, route
from reactivation.domain.staff_access import (
    InvalidToken,
    Role,
    Scope,
    StaffUser,
    age,
    csrf_matches,
    inbox_order,
    system_did,
    user_from_claims,
)

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc"


def claims(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "iss": ISSUER, "aud": "client", "token_use": "id", "sub": "u-1",
        "email": "desk@example.com", "custom:role": "clinical",
        "custom:practices": "bright-smile lakeside",
        "iat": NOW.timestamp() - 10, "exp": NOW.timestamp() + 3600,
    }  # fmt: skip
    base.update(changes)
    return base


def test_a_valid_id_token_names_the_user_their_role_and_practices() -> None:
    user = user_from_claims(claims(), issuer=ISSUER, client_id="client", now=NOW)
    assert user.role is Role.CLINICAL and user.practice_ids == ("bright-smile", "lakeside")
    assert user.may_see("lakeside") and not user.may_see("elsewhere")


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"},
        {"aud": "another-app"},
        {"token_use": "access"},
        {"exp": NOW.timestamp()},
        {"exp": "never"},
        {"iat": NOW.timestamp() + 3600},
        {"custom:role": "admin"},
        {"custom:practices": ""},
        {"email": ""},
    ],
)
def test_an_id_token_of_another_pool_app_or_time_or_without_a_role_is_refused(
    changes: dict[str, object],
) -> None:
    with pytest.raises(InvalidToken):
        user_from_claims(claims(**changes), issuer=ISSUER, client_id="client", now=NOW)


@given(st.text(max_size=60), st.text(min_size=32, max_size=60))
def test_a_csrf_token_matches_only_itself(given_token: str, expected: str) -> None:
    assert csrf_matches(expected, expected)
    assert csrf_matches(expected, given_token) is (given_token == expected)
    assert not csrf_matches(expected, None) and not csrf_matches(expected, "")


def handoff(handoff_id: str, reason: HandoffReason, minutes: int, practice: str = "p") -> Handoff:
    team, urgent = route(reason)
    return Handoff(practice_id=practice, handoff_id=handoff_id, from_number="+12125550101",
                   patient_ids=("P-1",), reason=reason, team=team, urgent=urgent,
                   opened_at=NOW - timedelta(minutes=minutes))  # fmt: skip


def test_the_inbox_puts_clinical_first_then_urgent_then_oldest_and_hides_other_practices() -> None:
    found = [
        handoff("q-old", HandoffReason.QUESTION, 90),
        handoff("sensitive", HandoffReason.SENSITIVE, 5),
        handoff("q-new", HandoffReason.QUESTION, 10),
        handoff("clinical", HandoffReason.CLINICAL, 1),
        handoff("complaint", HandoffReason.COMPLAINT, 30),
        handoff("theirs", HandoffReason.CLINICAL, 500, practice="other"),
    ]
    desk = StaffUser(subject="s", email="d@x.test", role=Role.FRONT_DESK, practice_ids=("p",))
    groups = inbox_order(found, desk, Scope.ALL)
    assert [(team, [h.handoff_id for h in rows]) for team, rows in groups] == [
        (Team.CLINICAL, ["clinical"]),
        (Team.MANAGER, ["complaint"]),
        (Team.FRONT_DESK, ["sensitive", "q-old", "q-new"]),
    ]
    team = inbox_order(found, desk, Scope.TEAM)
    assert [team for team, _ in team] == [Team.FRONT_DESK]
    owner = desk.model_copy(update={"role": Role.OWNER})
    assert len(inbox_order(found, owner, Scope.TEAM)) == 3  # owners answer for every team


@pytest.mark.parametrize(
    ("minutes", "shown"), [(0, "1 min"), (59, "59 min"), (60, "1 h"), (1439, "23 h"), (2880, "2 d")]
)
def test_age_reads_at_a_glance(minutes: int, shown: str) -> None:
    assert age(NOW - timedelta(minutes=minutes), NOW) == shown


def test_what_the_system_did_follows_the_spec() -> None:
    assert "urgent" in system_did("clinical", HandoffReason.CLINICAL)
    assert "held the time" in system_did("book", HandoffReason.BOOKING_REQUEST)
    assert system_did("not_now", None).startswith("snoozed")
    assert system_did("other", None) == "handed to staff"
