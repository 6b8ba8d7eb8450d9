"""The model-server's public API for the ``modelfleet`` CLI: score a file with a version.

The CLI imports this module (inside its commands) instead of the server's internals.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from modelfleet.model_server.config import ModelServerSettings
from modelfleet.model_server.file_scoring import run


def scoring_settings(
    model: str,
    *,
    version: str | None = None,
    alias: str | None = None,
    tracking_uri: str | None = None,
    collector_url: str | None = None,
) -> ModelServerSettings:
    """The environment's settings with the version to use (exactly one of version, alias)."""
    overrides: dict[str, Any] = {"model_name": model, "model_version": version}
    overrides["model_alias"] = alias
    if tracking_uri:
        overrides["mlflow_tracking_uri"] = tracking_uri
    if collector_url:
        overrides["collector_url"] = collector_url
    return ModelServerSettings(**overrides)


def score_file(
    settings: ModelServerSettings, source: Path, target: Path, chunk_rows: int = 50_000
) -> dict[str, Any]:
    """Score ``source`` into the parquet file ``target``; the run's summary."""
    return asyncio.run(run(settings, source, target, chunk_rows))
