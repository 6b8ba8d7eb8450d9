"""Shared settings base: every service's ``Settings`` subclasses this.

Twelve-factor: every value comes from the environment with the ``MODELFLEET_`` prefix, except
MLflow's own ``MLFLOW_TRACKING_URI``. Nothing here reads the environment at import time; a
service builds its settings once in its composition root.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_STATE_DIR = Path(".modelfleet")


class BaseServiceSettings(BaseSettings):
    """Settings every modelfleet service understands."""

    model_config = SettingsConfigDict(
        env_prefix="MODELFLEET_", extra="ignore", populate_by_name=True
    )

    host: str = "127.0.0.1"
    """Interface the HTTP service binds to (0.0.0.0 in container images)."""

    port: int = 8080
    """TCP port of the HTTP service; each service overrides the local default."""

    log_level: str = "INFO"
    """Python logging level name."""

    log_json: bool = True
    """Emit one JSON object per log line (set false for human-readable local logs)."""

    api_token: SecretStr | None = None
    """Bearer token required on mutating endpoints. Unset means no authentication (local only)."""

    mlflow_tracking_uri: str = Field(
        default="http://127.0.0.1:5000",
        validation_alias=AliasChoices("MLFLOW_TRACKING_URI", "MODELFLEET_MLFLOW_TRACKING_URI"),
    )
    """MLflow tracking server; artifacts travel through it (``--serve-artifacts``)."""

    state_dir: Path = DEFAULT_STATE_DIR
    """Local state (SQLite database, spools, caches) when running on one machine."""


class DatabaseSettings(BaseServiceSettings):
    """Settings of a service that owns a database connection."""

    database_url: str = ""
    """SQLAlchemy URL. Empty means a SQLite file under ``state_dir`` (the one-machine default)."""

    def resolved_database_url(self) -> str:
        """The configured URL, or the SQLite file in the state directory."""
        if self.database_url:
            return self.database_url
        self.state_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.state_dir / 'modelfleet.db').resolve()}"
