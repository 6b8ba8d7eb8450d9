"""``python -m modelfleet.model_server batch``: a file in, predictions next to the rows out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest

from modelfleet.cli.processes import free_port
from modelfleet.model_server.execution import TOLERANCE
from tests.model_server.conftest import RECEIVER, server_env
from tests.model_server.test_logging import received

pytestmark = pytest.mark.integration


def test_batch_scores_a_csv_and_reports_the_bad_row(
    registered_model: dict[str, str],
    gaming_training_csv: Path,
    reference_pipeline: Any,
    tmp_path: Path,
) -> None:
    frame = pd.read_csv(gaming_training_csv).head(250)
    text = frame.to_csv(index=False).splitlines()
    bad_line = 101  # line 1 is the header
    cells = text[bad_line - 1].split(",")
    cells[list(frame.columns).index("SessionsPerWeek")] = "lots"
    text[bad_line - 1] = ",".join(cells)
    source = tmp_path / "day.csv"
    source.write_text("\n".join(text) + "\n")
    target = tmp_path / "out" / "predictions.parquet"

    from modelfleet.cli.processes import start_process, wait_until_ready

    port, received_path = free_port(), tmp_path / "received.jsonl"
    receiver = start_process(
        "receiver",
        [sys.executable, str(RECEIVER), str(port), str(received_path)],
        url=f"http://127.0.0.1:{port}",
        log_path=tmp_path / "receiver.log",
    )
    try:
        wait_until_ready(receiver, "/healthz", timeout=60)
        env = server_env(
            registered_model,
            0,
            tmp_path / "state",
            MODELFLEET_COLLECTOR_URL=receiver.url,
            MODELFLEET_LOG_BATCH_SIZE="100",
        )
        result = subprocess.run(
            [
                *(sys.executable, "-m", "modelfleet.model_server", "batch"),
                *("--input", str(source), "--output", str(target), "--chunk-rows", "64"),
            ],
            env=env,
            capture_output=True,
            timeout=300,
        )
        logs = received(received_path)
    finally:
        receiver.stop()
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    summary = orjson.loads(result.stdout.splitlines()[-1])
    assert (summary["rows"], summary["scored"], summary["bad_rows"]) == (250, 249, 1)
    assert (
        f"line {bad_line}" in result.stderr.decode() and "SessionsPerWeek" in result.stderr.decode()
    )
    errors = pd.read_csv(target.with_suffix(".errors.csv"))
    assert errors["line"].tolist() == [bad_line] and "'lots'" in errors["problem"][0]

    scored = pd.read_parquet(target)
    good = frame.drop(index=bad_line - 2).reset_index(drop=True)
    assert scored["PlayerID"].astype(int).tolist() == good["PlayerID"].tolist()
    features = good.drop(columns=["PlayerID", "EngagementLevel"])
    assert scored["prediction"].tolist() == [str(p) for p in reference_pipeline.predict(features)]
    proba = reference_pipeline.predict_proba(features)
    for j, cls in enumerate(reference_pipeline.classes_):
        # the compiled path agrees with scikit-learn to TOLERANCE (in practice ~1e-16)
        np.testing.assert_allclose(scored[f"proba_{cls}"], proba[:, j], rtol=0, atol=TOLERANCE)

    assert len(logs) == 249 and {log["source"] for log in logs} == {"batch"}
    assert [log["entity_id"] for log in logs] == [str(p) for p in good["PlayerID"]]


def test_modelfleet_predict_batch_scores_a_file_by_alias(
    registered_model: dict[str, str],
    gaming_training_csv: Path,
    reference_pipeline: Any,
    tmp_path: Path,
) -> None:
    from mlflow import MlflowClient
    from typer.testing import CliRunner

    from modelfleet.cli.main import app

    MlflowClient(registered_model["tracking_uri"]).set_registered_model_alias(
        registered_model["name"], "batch-test", registered_model["version"]
    )
    frame = pd.read_csv(gaming_training_csv).head(40)
    source, target = tmp_path / "rows.csv", tmp_path / "scored.parquet"
    frame.to_csv(source, index=False)
    result = CliRunner().invoke(
        app,
        [
            *("predict-batch", str(source), str(target)),
            *("--model", registered_model["name"], "--alias", "batch-test"),
        ],
        env={
            "MLFLOW_TRACKING_URI": registered_model["tracking_uri"],
            "MODELFLEET_STATE_DIR": str(tmp_path / "state"),
            "COLUMNS": "200",
        },
    )
    assert result.exit_code == 0, result.output
    assert "scored 40 of 40 rows" in result.output
    scored = pd.read_parquet(target)
    features = frame.drop(columns=["PlayerID", "EngagementLevel"])
    assert scored["prediction"].tolist() == reference_pipeline.predict(features).tolist()
    both = CliRunner().invoke(
        app, ["predict-batch", str(source), str(target), "--model", "m", "-v", "1", "-a", "x"]
    )
    assert both.exit_code == 1 and "exactly one of --version and --alias" in both.output
