"""Staff users of the inbox, for the operator: temporary passwords, and the local stack's demo
users (moto sends no invitation email: their temporary passwords are printed instead)."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

from reactivation.adapters.cognito import StaffDirectory
from reactivation.domain.staff_access import Role


def temporary_password(length: int = 16) -> str:
    """Random, and within the pool's policy: upper and lower case, a digit and a symbol."""
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(length - 4))
    return (
        secrets.choice(string.ascii_uppercase)
        + core
        + secrets.choice(string.ascii_lowercase)
        + secrets.choice(string.digits)
        + secrets.choice("-_!#%")
    )


@dataclass(frozen=True)
class DemoUser:
    email: str
    role: Role
    practice_id: str
    temporary_password: str


def invite_demo_user(
    client: Any, user_pool_id: str, practice_id: str, email: str, role: Role = Role.FRONT_DESK
) -> DemoUser:
    """A user of the local stack's pool with a printed temporary password (changed at the
    first sign-in, as on AWS)."""
    password = temporary_password()
    StaffDirectory(client, user_pool_id).invite(practice_id, email, role, password)
    return DemoUser(email, role, practice_id, password)
