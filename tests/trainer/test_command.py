"""``python -m modelfleet.trainer train``: the Kubernetes Job entry point, as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow import MlflowClient

from modelfleet.common import model_contract as contract
from tests.trainer.conftest import run_count

pytestmark = pytest.mark.integration


def test_train_subcommand_registers_a_version_and_fails_cleanly(
    mlflow_uri: str,
    pg_clean: str,
    tiny_gaming_csv: Path,
    mlflow_client: MlflowClient,
    model_name: str,
) -> None:
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": mlflow_uri,
        "MODELFLEET_DATABASE_URL": pg_clean,
        "MODELFLEET_THREADS": "1",
    }
    command = [sys.executable, "-m", "modelfleet.trainer", "train", "--data", str(tiny_gaming_csv)]
    command += ["--model", "logreg", "--name", model_name]
    ok = subprocess.run(
        [*command, "--target", "EngagementLevel"], env=env, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr[-2000:]
    result = json.loads(ok.stdout.strip().splitlines()[-1])
    assert result["version"] == "1"
    assert result["metrics"]["test_f1_macro"] > 0.4
    version = mlflow_client.get_model_version(model_name, "1")
    assert version.tags[contract.TAG_CANDIDATE] == "true"

    runs_before = run_count(mlflow_client)
    bad = subprocess.run([*command, "--target", "Nope"], env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    logged = [json.loads(line) for line in bad.stderr.splitlines() if line.startswith("{")]
    assert any("target column 'Nope' not found" in entry["message"] for entry in logged)
    assert "Traceback" not in bad.stderr
    assert run_count(mlflow_client) == runs_before
