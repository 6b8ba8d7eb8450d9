"""Settings come from the environment with the MODELFLEET_ prefix (MLflow's URI unprefixed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelfleet.common.settings import DatabaseSettings


def test_environment_drives_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow:5000")
    monkeypatch.setenv("MODELFLEET_API_TOKEN", "t0k")
    monkeypatch.setenv("MODELFLEET_STATE_DIR", str(tmp_path))
    settings = DatabaseSettings()
    assert settings.mlflow_tracking_uri == "http://mlflow:5000"
    assert settings.api_token is not None and settings.api_token.get_secret_value() == "t0k"
    assert "t0k" not in repr(settings)
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path.resolve()}/modelfleet.db"
