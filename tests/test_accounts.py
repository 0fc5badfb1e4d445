"""Facilitator accounts: argon2 hashes, sessions that logout revokes, typed errors."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from app.accounts import AccountError, Accounts, hash_token
from app.clock import FakeClock
from app.store import Store


@pytest.fixture
def accounts(tmp_path: Path) -> Accounts:
    store = Store(f"sqlite:///{tmp_path / 'a.db'}")
    store.create_schema()
    return Accounts(store.engine)


def test_log_in_gives_a_session_that_log_out_revokes(accounts: Accounts):
    """A correct password opens a session; after logout the token resolves to nobody."""
    clock = FakeClock()
    accounts.add_facilitator("Ada@Example.org", "correct horse battery", clock.now())
    session = accounts.log_in("ada@example.org ", "correct horse battery", clock.now())
    assert accounts.resolve(session.token, clock.now()) == "ada@example.org"
    assert accounts.log_out(session.token) == "ada@example.org"
    assert accounts.resolve(session.token, clock.now()) is None


def test_wrong_password_and_unknown_account_look_the_same(accounts: Accounts):
    """Both failures are the same typed error, so nobody learns which addresses exist."""
    clock = FakeClock()
    accounts.add_facilitator("ada@example.org", "correct horse battery", clock.now())
    for email, password in [("ada@example.org", "wrong password!"), ("bo@example.org", "x" * 12)]:
        with pytest.raises(AccountError) as error:
            accounts.log_in(email, password, clock.now())
        assert error.value.code == "bad_credentials"


def test_sessions_expire(accounts: Accounts):
    """A session stops working after its lifetime."""
    clock = FakeClock()
    accounts.add_facilitator("ada@example.org", "correct horse battery", clock.now())
    session = accounts.log_in("ada@example.org", "correct horse battery", clock.now())
    clock.advance(timedelta(days=15).total_seconds())
    assert accounts.resolve(session.token, clock.now()) is None


def test_store_keeps_only_hashes(accounts: Accounts, tmp_path: Path):
    """Neither the password nor the session token is stored in clear; passwords use argon2id."""
    clock = FakeClock()
    accounts.add_facilitator("ada@example.org", "correct horse battery", clock.now())
    session = accounts.log_in("ada@example.org", "correct horse battery", clock.now())
    dump = "\n".join(sqlite3.connect(tmp_path / "a.db").iterdump())
    assert "correct horse battery" not in dump and session.token not in dump
    assert "$argon2id$" in dump and hash_token(session.token) in dump


def test_bad_input_is_typed(accounts: Accounts):
    """Short passwords, malformed addresses and duplicates are refused with a code."""
    clock = FakeClock()
    cases = [("not-an-address", "long enough pw"), ("ada@example.org", "short")]
    codes = []
    for email, password in cases:
        with pytest.raises(AccountError) as error:
            accounts.add_facilitator(email, password, clock.now())
        codes.append(error.value.code)
    accounts.add_facilitator("ada@example.org", "long enough pw", clock.now())
    with pytest.raises(AccountError) as error:
        accounts.add_facilitator("ADA@example.org", "long enough pw", clock.now())
    assert [*codes, error.value.code] == ["invalid_email", "weak_password", "account_exists"]


def test_changing_the_password_ends_every_session(accounts: Accounts):
    """A new password revokes the sessions opened with the old one."""
    clock = FakeClock()
    accounts.add_facilitator("ada@example.org", "correct horse battery", clock.now())
    session = accounts.log_in("ada@example.org", "correct horse battery", clock.now())
    accounts.set_password("ada@example.org", "a new long password")
    assert accounts.resolve(session.token, clock.now()) is None
