"""Configuration, read once from ``LERNRAUM_*`` environment variables (or passed in tests)."""

from __future__ import annotations

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
