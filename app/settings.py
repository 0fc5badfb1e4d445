"""Configuration, read once from ``LERNRAUM_*`` environment variables (or passed in tests)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting of a Lernraum server; see README.md, "Configuration"."""

    model_config = SettingsConfigDict(env_prefix="LERNRAUM_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///lernraum.db",
        description="SQLAlchemy URL of the store: sqlite:///FILE (default) or postgresql://…",
    )
    host: str = Field(default="127.0.0.1", description="Address `lernraum serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `lernraum serve` binds to.")
    structures_dirs: list[Path] = Field(
        default_factory=list,
        description="Extra folders of structure files, read after the shipped library.",
    )
    demo: bool = Field(
        default=True,
        description="Create the 90-minute reference workshop when the store has no workshop.",
    )
    demo_owner: str = Field(
        default="facilitator@lernraum.local",
        description="Owner (facilitator e-mail) of the demo workshop.",
    )
    log_level: str = Field(default="info", description="uvicorn log level.")
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Further browser origins (scheme://host[:port]) allowed to open the live "
        "websocket; the server's own origin always is.",
    )
    clock_scale: float = Field(
        default=1.0,
        gt=0,
        description="For demos and tests only: workshop time runs this many times faster "
        "than real time.",
    )
    clock_epoch: datetime | None = Field(
        default=None,
        description="With clock_scale: the wall-clock moment the scaled clock showed real "
        "time, so a restarted server continues the same scaled time.",
    )
    public_url: str | None = Field(
        default=None,
        description="Base URL people reach the server at, for join links (default: the URL "
        "of the facilitator's request).",
    )
    join_max_attempts: int = Field(
        default=20,
        ge=1,
        description="Join attempts and code look-ups one client address may make per window "
        "(a token bucket of this size, refilled evenly over the window).",
    )
    join_window_s: float = Field(
        default=60.0, gt=0, description="Seconds in which a client's join budget refills."
    )
    join_failure_cost: int = Field(
        default=5,
        ge=1,
        description="How many attempts a look-up of an unknown code or link token uses up.",
    )
    retention_days: int = Field(
        default=90,
        ge=0,
        description="Days after its end after which a workshop's personal data is deleted "
        "or anonymised (names, join attributes, tokens, private work); 0 keeps it for ever.",
    )
    retention_sweep_s: float = Field(
        default=60.0,
        gt=0,
        description="Seconds between two sweeps of the running server: retention, and the "
        "log redaction of erasures sent over the live websocket.",
    )
