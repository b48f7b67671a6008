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

ROLES = ("public", "volunteer", "owner", "gateway", "dispatcher", "analyst", "admin")


@dataclass(frozen=True)
class Principal:
    """Who a valid token speaks for: its role, label and, for volunteers, their id; for AED
    owners, their organisation's."""

    token_id: int
    role: str
    label: str | None
    volunteer_id: int | None
    organisation_id: int | None = None


def hash_token(token: str) -> bytes:
    """The 32-byte SHA-256 digest under which a token is stored."""
    return hashlib.sha256(token.encode()).digest()


def create_token(
    engine: Engine, *, role: str, label: str | None = None, volunteer_id: int | None = None,
    organisation_id: int | None = None,
) -> str:
    """Store a new token for ``role`` and return it; this is the only time it is visible. An
    owner token needs its ``organisation_id``, and only an owner token takes one."""
    if role not in ROLES:
        raise InvalidInput(f"role {role!r}: expected one of {', '.join(ROLES)}")
    if (role == "owner") != (organisation_id is not None):
        raise InvalidInput("an owner token speaks for one organisation: give it (and only it) "
                           "an organisation")
    token = secrets.token_urlsafe(32)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO rc.api_token (token_hash, role, label, volunteer_id, "
                     "organisation_id) VALUES (:h, :r, :l, :v, :o)"),
                {"h": hash_token(token), "r": role, "l": label, "v": volunteer_id,
                 "o": organisation_id},
            )
    except IntegrityError as exc:
        raise InvalidInput(f"volunteer_id {volunteer_id} or organisation_id {organisation_id}: "
                           "no such volunteer or organisation") from exc
    return token


def organisation_named(engine: Engine, name: str) -> int:
    """The id of the organisation called ``name``, registered now if it is new."""
    with engine.begin() as conn:
        return int(conn.execute(text(
            "INSERT INTO rc.organisation (name) VALUES (:n) ON CONFLICT (name) "
            "DO UPDATE SET name = EXCLUDED.name RETURNING id"), {"n": name}).scalar_one())


def lookup_token(engine: Engine, token: str) -> Principal | None:
    """The principal of a valid, unrevoked token; ``None`` for any other string."""
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT id, role, label, volunteer_id, organisation_id FROM rc.api_token "
                 "WHERE token_hash = :h AND revoked_at IS NULL"),
            {"h": hash_token(token)},
        ).first()
    return (Principal(row.id, row.role, row.label, row.volunteer_id, row.organisation_id)
            if row else None)


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
