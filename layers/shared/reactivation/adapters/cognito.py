"""Amazon Cognito for the staff inbox: signing in (password, first new password, TOTP), the ID
token's signature checked against the pool's JWKS, and the pool's staff (the CLI's invites).

Only `cryptography` (already in the layer) verifies the RS256 signature: no JWT library."""

from __future__ import annotations

import base64
import json
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError, ParamValidationError

from reactivation.domain.staff_access import InvalidToken, Role, practices_attribute


class SignInRefused(Exception):
    """Wrong email or password, a wrong code, or a password the pool's policy refuses."""


@dataclass(frozen=True)
class SignInStep:
    """Either the tokens (signed in) or the challenge still to answer, with its session."""

    id_token: str | None = None
    access_token: str | None = None
    challenge: str | None = None  # NEW_PASSWORD_REQUIRED, SOFTWARE_TOKEN_MFA, MFA_SETUP
    session: str | None = None
    username: str | None = None


_REFUSALS = {
    "NotAuthorizedException",
    "UserNotFoundException",
    "InvalidPasswordException",
    "CodeMismatchException",
    "ExpiredCodeException",
    "InvalidParameterException",
    "PasswordResetRequiredException",
    "UserNotConfirmedException",
    "EnableSoftwareTokenMFAException",
    "ResourceNotFoundException",  # a challenge's session that is no more (moto)
}


def _step(response: Mapping[str, Any], username: str) -> SignInStep:
    result = response.get("AuthenticationResult")
    if result:
        return SignInStep(id_token=result["IdToken"], access_token=result["AccessToken"])
    parameters = response.get("ChallengeParameters") or {}
    return SignInStep(
        challenge=response.get("ChallengeName"),
        session=response.get("Session"),
        username=parameters.get("USER_ID_FOR_SRP") or parameters.get("USERNAME") or username,
    )


class CognitoSignIn:
    """The app client's public flows (no AWS credentials needed by them)."""

    def __init__(self, client: Any, client_id: str) -> None:
        self._client = client
        self._client_id = client_id

    def _call(self, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self._client, operation)(ClientId=self._client_id, **kwargs)
        except ParamValidationError as error:  # a form's fields Cognito would never take
            raise SignInRefused("NotAuthorizedException") from error
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _REFUSALS:
                raise SignInRefused(error.response["Error"]["Code"]) from error
            raise

    def password(self, email: str, password: str) -> SignInStep:
        response = self._call(
            "initiate_auth",
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
        return _step(response, email)

    def new_password(self, username: str, session: str, password: str) -> SignInStep:
        response = self._call(
            "respond_to_auth_challenge",
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=session,
            ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": password},
        )
        return _step(response, username)

    def totp(self, username: str, session: str, code: str) -> SignInStep:
        response = self._call(
            "respond_to_auth_challenge",
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=session,
            ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code},
        )
        return _step(response, username)

    def totp_secret(self, access_token: str) -> str:
        """A new TOTP secret for the signed-in user's authenticator app."""
        try:
            return str(
                self._client.associate_software_token(AccessToken=access_token)["SecretCode"]
            )
        except ClientError as error:
            raise SignInRefused(error.response.get("Error", {}).get("Code", "")) from error

    def enable_totp(self, access_token: str, code: str) -> None:
        """The app's first code checked, then TOTP required at each of the user's sign-ins."""
        try:
            answer = self._client.verify_software_token(
                AccessToken=access_token, UserCode=code, FriendlyDeviceName="staff inbox"
            )
            if answer.get("Status") != "SUCCESS":
                raise SignInRefused("CodeMismatchException")
            self._client.set_user_mfa_preference(
                AccessToken=access_token,
                SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
            )
        except ClientError as error:
            raise SignInRefused(error.response.get("Error", {}).get("Code", "")) from error

    def sign_out(self, access_token: str) -> None:
        """Revokes the user's tokens (best effort: the session is deleted either way)."""
        try:
            self._client.global_sign_out(AccessToken=access_token)
        except ClientError:
            return


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _fetch_json(url: str) -> Any:
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ValueError("the JWKS is fetched over HTTPS")
    # B310: the pool's JWKS URL (https, or the local stack's moto)
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310  # nosec B310
        return json.loads(response.read())


class JwksVerifier:
    """Checks a token's RS256 signature against the pool's published keys (fetched once per
    instance, again when a token names a key not seen yet: the pool rotated its keys)."""

    def __init__(self, jwks_url: str, fetch: Callable[[str], Any] | None = None) -> None:
        self._url = jwks_url
        self._fetch = fetch
        self._keys: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers

        keys = {}
        for jwk in (self._fetch or _fetch_json)(self._url).get("keys", []):
            if jwk.get("kty") != "RSA" or "kid" not in jwk:
                continue
            numbers = RSAPublicNumbers(
                int.from_bytes(_b64(jwk["e"]), "big"), int.from_bytes(_b64(jwk["n"]), "big")
            )
            keys[jwk["kid"]] = numbers.public_key()
        return keys

    def _key(self, kid: str) -> Any:
        if self._keys is None or kid not in self._keys:
            self._keys = self._load()
        if kid not in self._keys:
            raise InvalidToken("unknown key")
        return self._keys[kid]

    def claims(self, token: str) -> dict[str, object]:
        """The token's claims once its signature is the pool's (InvalidToken otherwise)."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
        from cryptography.hazmat.primitives.hashes import SHA256

        try:
            header_part, payload_part, signature_part = token.split(".")
            header = json.loads(_b64(header_part))
            payload = json.loads(_b64(payload_part))
            signature = _b64(signature_part)
        except ValueError as error:
            raise InvalidToken("malformed") from error
        if not isinstance(header, dict) or header.get("alg") != "RS256":
            raise InvalidToken("algorithm")
        if not isinstance(payload, dict):
            raise InvalidToken("malformed")
        key = self._key(str(header.get("kid", "")))
        try:
            key.verify(signature, f"{header_part}.{payload_part}".encode(), PKCS1v15(), SHA256())
        except InvalidSignature as error:
            raise InvalidToken("signature") from error
        return payload


@dataclass(frozen=True)
class StaffMember:
    email: str
    role: str
    practice_ids: tuple[str, ...]
    status: str
    enabled: bool


def _attributes(user: Mapping[str, Any]) -> dict[str, str]:
    listed = user.get("Attributes") or user.get("UserAttributes") or []
    return {a["Name"]: a["Value"] for a in listed}


class StaffDirectory:
    """The pool's staff, for the operator CLI (admin calls: the operator's credentials)."""

    def __init__(self, client: Any, user_pool_id: str) -> None:
        self._client = client
        self._pool = user_pool_id

    def _find(self, email: str) -> Mapping[str, Any] | None:
        users = self._client.list_users(UserPoolId=self._pool, Filter=f'email = "{email}"')
        found = users.get("Users", [])
        return found[0] if found else None

    def invite(
        self, practice_id: str, email: str, role: Role, temporary_password: str | None = None
    ) -> tuple[StaffMember, bool]:
        """Invites `email` to the practice (Cognito emails a temporary password); someone
        already in the pool gets the practice added (their role becomes `role`). True: new."""
        existing = self._find(email)
        if existing is not None:
            attributes = _attributes(existing)
            practices = {*attributes.get("custom:practices", "").split(), practice_id}
            self._client.admin_update_user_attributes(
                UserPoolId=self._pool,
                Username=existing["Username"],
                UserAttributes=[
                    {"Name": "custom:practices", "Value": practices_attribute(practices)},
                    {"Name": "custom:role", "Value": role.value},
                ],
            )
            return self._member(email), False
        request: dict[str, Any] = {
            "UserPoolId": self._pool,
            "Username": email,
            "UserAttributes": [
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "custom:role", "Value": role.value},
                {"Name": "custom:practices", "Value": practice_id},
            ],
            "DesiredDeliveryMediums": ["EMAIL"],
        }
        if temporary_password is not None:
            request["TemporaryPassword"] = temporary_password
        self._client.admin_create_user(**request)
        return self._member(email), True

    def _member(self, email: str) -> StaffMember:
        user = self._find(email)
        if user is None:
            raise LookupError(email)
        attributes = _attributes(user)
        return StaffMember(
            email=attributes.get("email", email),
            role=attributes.get("custom:role", ""),
            practice_ids=tuple(attributes.get("custom:practices", "").split()),
            status=str(user.get("UserStatus", "")),
            enabled=bool(user.get("Enabled", True)),
        )

    def members(self, practice_id: str) -> list[StaffMember]:
        found = []
        for page in self._client.get_paginator("list_users").paginate(UserPoolId=self._pool):
            for user in page.get("Users", []):
                attributes = _attributes(user)
                practices = tuple(attributes.get("custom:practices", "").split())
                if practice_id in practices:
                    found.append(StaffMember(
                        email=attributes.get("email", ""), role=attributes.get("custom:role", ""),
                        practice_ids=practices, status=str(user.get("UserStatus", "")),
                        enabled=bool(user.get("Enabled", True)),
                    ))  # fmt: skip
        return sorted(found, key=lambda m: m.email)

    def remove(self, practice_id: str, email: str) -> bool:
        """Takes the practice from the user; a user left with none is deleted and signed out
        everywhere. False: no such user of that practice."""
        user = self._find(email)
        if user is None:
            return False
        practices = set(_attributes(user).get("custom:practices", "").split())
        if practice_id not in practices:
            return False
        practices.discard(practice_id)
        self._client.admin_user_global_sign_out(UserPoolId=self._pool, Username=user["Username"])
        if practices:
            self._client.admin_update_user_attributes(
                UserPoolId=self._pool,
                Username=user["Username"],
                UserAttributes=[
                    {"Name": "custom:practices", "Value": practices_attribute(practices)}
                ],
            )
        else:
            self._client.admin_delete_user(UserPoolId=self._pool, Username=user["Username"])
        return True
