"""Facilitator accounts and their server-side sessions.

Passwords are hashed with argon2id. A session is a random token handed to the browser in a
cookie; the store keeps only its SHA-256, so a leaked database does not leak live sessions.
Logging out deletes the session row, which revokes it at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete
from sqlmodel import Field, Session, SQLModel, select

SESSION_TOKEN_BYTES = 32  # 256 bits
SESSION_LIFETIME = timedelta(days=14)
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024
MAX_EMAIL_CHARS = 254

_HASHER = PasswordHasher()
# Verifying against this when the account does not exist costs the same time as a real
# check, so response times do not tell which e-mail addresses have accounts.
_DUMMY_HASH = _HASHER.hash("not a password of anybody")


class FacilitatorRow(SQLModel, table=True):
    """A facilitator account; the id is the lower-cased e-mail address."""

    __tablename__ = "facilitators"
    email: str = Field(primary_key=True)
    password_hash: str
    created_at: datetime


class SessionRow(SQLModel, table=True):
    """A logged-in browser; only the token's hash is stored."""

    __tablename__ = "sessions"
    token_hash: str = Field(primary_key=True)
    email: str = Field(foreign_key="facilitators.email", index=True)
    created_at: datetime
    expires_at: datetime


class AccountError(Exception):
    """A typed account problem: ``code`` is stable, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class LoggedIn:
    """A fresh session: the token goes to the browser once and is never stored in clear."""

    email: str
    token: str
    expires_at: datetime


def hash_token(token: str) -> str:
    """The stored form of a session or participant token."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    """The account id for an e-mail address, or AccountError."""
    cleaned = email.strip().lower()
    local, _, domain = cleaned.partition("@")
    if not local or "." not in domain or len(cleaned) > MAX_EMAIL_CHARS or " " in cleaned:
        raise AccountError("invalid_email", f"not an e-mail address: {email!r}")
    return cleaned


class Accounts:
    """Create facilitators, log them in and out, and resolve sessions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add_facilitator(self, email: str, password: str, now: datetime) -> str:
        """Create an account; AccountError when it exists or the password is too short."""
        email = normalise_email(email)
        if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
            raise AccountError(
                "weak_password", f"a password needs at least {MIN_PASSWORD_CHARS} characters"
            )
        with Session(self.engine) as session:
            if session.get(FacilitatorRow, email) is not None:
                raise AccountError("account_exists", f"{email} already has an account")
            session.add(
                FacilitatorRow(email=email, password_hash=_HASHER.hash(password), created_at=now)
            )
            session.commit()
        return email

    def set_password(self, email: str, password: str) -> None:
        """Replace an account's password and end all its sessions."""
        email = normalise_email(email)
        if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
            raise AccountError(
                "weak_password", f"a password needs at least {MIN_PASSWORD_CHARS} characters"
            )
        with Session(self.engine) as session:
            row = session.get(FacilitatorRow, email)
            if row is None:
                raise AccountError("no_such_account", f"{email} has no account")
            row.password_hash = _HASHER.hash(password)
            session.add(row)
            session.execute(delete(SessionRow).where(SessionRow.email == email))  # type: ignore[arg-type]
            session.commit()

    def log_in(self, email: str, password: str, now: datetime) -> LoggedIn:
        """A new session for a correct e-mail and password; AccountError otherwise."""
        try:
            email = normalise_email(email)
        except AccountError:
            email = ""
        with Session(self.engine) as session:
            row = session.get(FacilitatorRow, email) if email else None
            try:
                _HASHER.verify(row.password_hash if row else _DUMMY_HASH, password)
            except (VerificationError, InvalidHashError):
                row = None
            if row is None:
                raise AccountError("bad_credentials", "e-mail or password is wrong")
            if _HASHER.check_needs_rehash(row.password_hash):
                row.password_hash = _HASHER.hash(password)
                session.add(row)
            token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
            expires = now + SESSION_LIFETIME
            session.add(
                SessionRow(
                    token_hash=hash_token(token), email=email, created_at=now, expires_at=expires
                )
            )
            session.commit()
        return LoggedIn(email=email, token=token, expires_at=expires)

    def resolve(self, token: str | None, now: datetime) -> str | None:
        """The e-mail of a live session's token, or None."""
        if not token or len(token) > 2 * SESSION_TOKEN_BYTES:
            return None
        with Session(self.engine) as session:
            row = session.get(SessionRow, hash_token(token))
            if row is None:
                return None
            expires = row.expires_at
            if expires.tzinfo is None:  # SQLite hands datetimes back without a zone
                expires = expires.replace(tzinfo=now.tzinfo)
            if expires <= now:
                session.delete(row)
                session.commit()
                return None
            return row.email

    def log_out(self, token: str | None) -> str | None:
        """Revoke a session; returns whose it was."""
        if not token:
            return None
        with Session(self.engine) as session:
            row = session.get(SessionRow, hash_token(token))
            if row is None:
                return None
            email = row.email
            session.delete(row)
            session.commit()
            return email

    def exists(self, email: str) -> bool:
        """Whether an account exists for the address."""
        try:
            email = normalise_email(email)
        except AccountError:
            return False
        with Session(self.engine) as session:
            return (
                session.exec(select(FacilitatorRow).where(FacilitatorRow.email == email)).first()
                is not None
            )
