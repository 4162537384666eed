"""Forged and spoiled tokens: every way an attacker may try to pass the shop's token check."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.tokens import PUBLIC, mint


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def changed_payload(token: str, **changes) -> str:
    """The original signature over a payload that now says something else."""
    head, _payload, signature = token.split(".")
    return f"{head}.{_b64(json.dumps({**_claims(token), **changes}).encode())}.{signature}"


def alg_none(token: str) -> str:
    """``alg: none`` and no signature at all."""
    head = _b64(b'{"alg":"none","typ":"JWT"}')
    return f"{head}.{_b64(json.dumps(_claims(token)).encode())}."


def hs256_with_public_key(token: str) -> str:
    """The key-confusion attack: HMAC-signed with the (public!) RSA key as the secret."""
    head = _b64(b'{"alg":"HS256","typ":"JWT"}')
    signing_input = f"{head}.{_b64(json.dumps(_claims(token)).encode())}"
    signature = hmac.new(PUBLIC.read_bytes(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def stranger_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def bad_tokens(user_id: int, roles=(), kind: str = "access") -> dict[str, str]:
    """Name → a token that must be refused with 401 wherever it is presented."""
    good = mint(user_id, roles, kind=kind)
    return {
        "changed_payload_sub": changed_payload(good, sub="1"),
        "changed_payload_admin": changed_payload(good, roles=["admin"]),
        "changed_payload_exp": changed_payload(mint(user_id, roles, kind=kind, ttl=-60), exp=4_102_444_800),
        "alg_none": alg_none(good),
        "hs256_public_key": hs256_with_public_key(good),
        "another_issuers_key": mint(user_id, roles, kind=kind, key=stranger_key(), issuer="evil-auth"),
        "another_key_same_issuer": mint(user_id, roles, kind=kind, key=stranger_key()),
        "our_key_another_issuer": mint(user_id, roles, kind=kind, issuer="evil-auth"),
        "expired": mint(user_id, roles, kind=kind, ttl=-60),
        "not_yet_valid": changed_payload(good, nbf=4_102_444_800),
        "wrong_kind": mint(user_id, roles, kind="refresh" if kind == "access" else "access"),
        "no_subject": mint(user_id, roles, kind=kind, sub=None),
        "subject_not_a_number": mint(user_id, roles, kind=kind, sub="1 OR 1=1"),
        "garbage": "not.a.token",
        "empty_signature": good.rsplit(".", 1)[0] + ".",
        "truncated": good[:-10],
    }
