"""An ID token's signature is checked against the pool's JWKS: another key, another algorithm
or a changed payload is refused."""

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from reactivation.adapters.cognito import JwksVerifier
from reactivation.domain.staff_access import InvalidToken


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    size = (numbers.n.bit_length() + 7) // 8
    return {"kty": "RSA", "kid": kid, "alg": "RS256", "e": b64(numbers.e.to_bytes(3, "big")),
            "n": b64(numbers.n.to_bytes(size, "big"))}  # fmt: skip


def token(key: rsa.RSAPrivateKey, kid: str, payload: dict[str, Any], alg: str = "RS256") -> str:
    header = b64(json.dumps({"kid": kid, "alg": alg}).encode())
    body = b64(json.dumps(payload).encode())
    signature = key.sign(f"{header}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{body}.{b64(signature)}"


POOL_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def verifier() -> tuple[JwksVerifier, list[str]]:
    fetched: list[str] = []

    def fetch(url: str) -> Any:
        fetched.append(url)
        return {"keys": [jwk(POOL_KEY, "pool")]}

    return JwksVerifier("https://pool.test/.well-known/jwks.json", fetch), fetched


def test_a_token_the_pool_signed_is_read_and_the_keys_are_fetched_once() -> None:
    check, fetched = verifier()
    for _ in range(3):
        assert check.claims(token(POOL_KEY, "pool", {"sub": "u-1"})) == {"sub": "u-1"}
    assert fetched == ["https://pool.test/.well-known/jwks.json"]


def test_forged_tokens_are_refused() -> None:
    check, fetched = verifier()
    good = token(POOL_KEY, "pool", {"sub": "u-1", "custom:role": "front_desk"})
    header, _, signature = good.split(".")
    owner = b64(json.dumps({"sub": "u-1", "custom:role": "owner"}).encode())
    unsigned = b64(json.dumps({"kid": "pool", "alg": "none"}).encode())
    for forged in (
        token(OTHER_KEY, "pool", {"sub": "u-1"}),  # another key, the pool's key id
        token(OTHER_KEY, "theirs", {"sub": "u-1"}),  # a key the pool never published
        f"{header}.{owner}.{signature}",  # the payload changed
        f"{unsigned}.{owner}.",  # alg none
        "not-a-token",
        "a.b.c",
    ):
        with pytest.raises(InvalidToken):
            check.claims(forged)
    assert len(fetched) <= 3  # an unknown key id fetches the keys again, no more
