"""API tokens: created once, stored only as a hash, looked up by role, revoked for good."""

import hashlib

import pytest
from sqlalchemy import Engine, text

from gis.tokens import create_token, lookup_token, revoke_token, role_for_token
from rescuecircle.errors import InvalidInput


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    return make_database("tokens")


def test_token_authenticates_with_its_role(engine):
    token = create_token(engine, role="dispatcher", label="console 1")
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    assert role_for_token(engine, token) == "dispatcher"
    principal = lookup_token(engine, token)
    assert principal is not None
    assert (principal.role, principal.label, principal.volunteer_id) == (
        "dispatcher", "console 1", None)


def test_tokens_are_unique(engine):
    assert create_token(engine, role="analyst") != create_token(engine, role="analyst")


def test_only_the_hash_is_stored(engine):
    token = create_token(engine, role="admin", label="ops")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT row_to_json(t)::text AS row, token_hash "
                                 "FROM rc.api_token t")).all()
    assert all(token not in row.row for row in rows)
    assert hashlib.sha256(token.encode()).digest() in {bytes(row.token_hash) for row in rows}


def test_unknown_strings_have_no_role(engine):
    assert role_for_token(engine, "not-a-token") is None
    assert role_for_token(engine, "") is None
    assert role_for_token(engine, "'; DROP TABLE rc.api_token; --") is None


def test_revoked_token_no_longer_authenticates(engine):
    token = create_token(engine, role="volunteer")
    assert revoke_token(engine, token) is True
    assert role_for_token(engine, token) is None
    assert revoke_token(engine, token) is False
    assert revoke_token(engine, "never-issued") is False


def test_volunteer_token_names_its_volunteer(engine):
    with engine.begin() as conn:
        volunteer_id = conn.execute(text(
            "INSERT INTO rc.volunteer (name) VALUES ('Test Volunteer') RETURNING id")).scalar_one()
    token = create_token(engine, role="volunteer", volunteer_id=volunteer_id)
    principal = lookup_token(engine, token)
    assert principal is not None and principal.volunteer_id == volunteer_id


def test_bad_role_or_volunteer_is_invalid_input(engine):
    with pytest.raises(InvalidInput, match="role 'root'"):
        create_token(engine, role="root")
    with pytest.raises(InvalidInput, match="volunteer_id 987654"):
        create_token(engine, role="volunteer", volunteer_id=987654)
