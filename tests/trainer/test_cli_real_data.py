"""The issue's acceptance path on the real 40k-row gaming file: hgb, then rf, then promote."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from modelfleet.cli.main import app
from modelfleet.common import model_contract as contract

pytestmark = pytest.mark.integration


def test_train_hgb_and_rf_then_promote_the_better(
    datasets_dir: Path,
    mlflow_uri: str,
    pg_clean: str,
    mlflow_client: MlflowClient,
    model_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MODELFLEET_DATABASE_URL", pg_clean)
    monkeypatch.setenv("MODELFLEET_THREADS", "2")
    monkeypatch.setenv("MODELFLEET_PERMUTATION_ROWS", "500")
    data = datasets_dir / "online_gaming_behavior.csv"
    runner = CliRunner()
    env = {"COLUMNS": "200"}
    common = ["train", "--data", str(data), "--target", "EngagementLevel", "--name", model_name]
    runs = (
        ("1", ["--model", "hgb", "--param", "max_iter=100"]),
        ("2", ["--model", "rf", "--param", "n_estimators=30"]),
    )
    for version, extra in runs:
        result = runner.invoke(app, [*common, *extra], env=env)
        assert result.exit_code == 0, result.output
        assert f"registered {model_name} version {version}" in result.output
        assert "identifier columns kept out of features: PlayerID" in result.output
        assert "f1_macro" in result.output and "Medium" in result.output

    f1 = {
        v: mlflow_client.get_run(
            mlflow_client.get_model_version(model_name, v).run_id
        ).data.metrics["test_f1_macro"]
        for v in ("1", "2")
    }
    assert min(f1.values()) > 0.6  # the real data is learnable: far better than chance (0.33)
    promoted = runner.invoke(app, ["promote", model_name], env=env)
    assert promoted.exit_code == 0, promoted.output
    best, runner_up = sorted(f1, key=lambda v: f1[v], reverse=True)
    aliases = mlflow_client.get_registered_model(model_name).aliases
    assert (str(aliases[contract.CHAMPION_ALIAS]), str(aliases[contract.CHALLENGER_ALIAS])) == (
        best,
        runner_up,
    )
    assert f"champion moved: v{best}" in promoted.output
