"""API tokens: create, look up and revoke bearer tokens, of which only a SHA-256 hash is stored.

A token is 32 random bytes (``secrets.token_urlsafe``), so a plain SHA-256 is enough: there is
nothing to brute-force, and the hash makes a stolen ``rc.api_token`` table useless for logging in.
The token itself is returned once, by :func:`create_token`, and never stored.
"""

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from rescuecircle.errors import InvalidInput

ROLES = ("public", "volunteer", "dispatcher", "analyst", "admin")


@dataclass(frozen=True)
class Principal:
    """Who a valid token speaks for: its role, label and, for volunteers, their id."""

    token_id: int
    role: str
    label: str | None
    volunteer_id: int | None


def hash_token(token: str) -> bytes:
    """The 32-byte SHA-256 digest under which a token is stored."""
    return hashlib.sha256(token.encode()).digest()


def create_token(
    engine: Engine, *, role: str, label: str | None = None, volunteer_id: int | None = None
) -> str:
    """Store a new token for ``role`` and return it; this is the only time it is visible."""
    if role not in ROLES:
        raise InvalidInput(f"role {role!r}: expected one of {', '.join(ROLES)}")
    token = secrets.token_urlsafe(32)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO rc.api_token (token_hash, role, label, volunteer_id) "
                     "VALUES (:h, :r, :l, :v)"),
                {"h": hash_token(token), "r": role, "l": label, "v": volunteer_id},
            )
    except IntegrityError as exc:
        raise InvalidInput(f"volunteer_id {volunteer_id}: no such volunteer") from exc
    return token


def lookup_token(engine: Engine, token: str) -> Principal | None:
    """The principal of a valid, unrevoked token; ``None`` for any other string."""
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT id, role, label, volunteer_id FROM rc.api_token "
                 "WHERE token_hash = :h AND revoked_at IS NULL"),
            {"h": hash_token(token)},
        ).first()
    return Principal(row.id, row.role, row.label, row.volunteer_id) if row else None


def role_for_token(engine: Engine, token: str) -> str | None:
    """The role of a valid, unrevoked token; ``None`` for any other string."""
    principal = lookup_token(engine, token)
    return principal.role if principal else None


def revoke_token(engine: Engine, token: str) -> bool:
    """Revoke a token from now on; ``False`` when it is unknown or already revoked."""
    with engine.begin() as conn:
        revoked = conn.execute(
            text("UPDATE rc.api_token SET revoked_at = now() "
                 "WHERE token_hash = :h AND revoked_at IS NULL RETURNING id"),
            {"h": hash_token(token)},
        ).first()
    return revoked is not None
