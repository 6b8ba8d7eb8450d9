"""Bad training input: a 4xx or a failed job (HTTP) / one red line (CLI) naming the problem,
and never an MLflow run left behind."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from modelfleet.cli.main import app
from tests.trainer.conftest import TrainerService, run_count

pytestmark = pytest.mark.integration


@pytest.fixture
def bad_files(tiny_gaming_csv: Path, tmp_path: Path) -> dict[str, Path]:
    frame = pd.read_csv(tiny_gaming_csv)
    files = {
        "empty": tmp_path / "empty.csv",
        "garbage": tmp_path / "garbage.csv",
        "one_class": tmp_path / "one_class.csv",
        "text_in_numbers": tmp_path / "text_in_numbers.csv",
    }
    files["empty"].write_bytes(b"")
    files["garbage"].write_bytes(b"\xff\xfe\x00\x81PK\x03\x04" * 50)
    frame.assign(EngagementLevel="High").to_csv(files["one_class"], index=False)
    typo = frame.astype({"PlayTimeHours": object})
    typo.loc[10, "PlayTimeHours"] = "lots"
    typo.to_csv(files["text_in_numbers"], index=False)
    return files


def _request(data: Path | str, **overrides: object) -> dict[str, object]:
    return {
        "data": str(data),
        "target": "EngagementLevel",
        "model_type": "logreg",
        "model_name": "bad-input",
        **overrides,
    }


def test_http_rejects_bad_input_naming_the_problem(
    trainer: TrainerService,
    tiny_gaming_csv: Path,
    bad_files: dict[str, Path],
    mlflow_client: MlflowClient,
) -> None:
    runs_before = run_count(mlflow_client)
    rejected = [
        (_request(tiny_gaming_csv, target="Engagement"), "'Engagement' not in"),
        (_request(bad_files["empty"]), "empty"),
        (_request(bad_files["garbage"]), "cannot parse"),
        (_request(tiny_gaming_csv, model_type="xgboost"), "unknown model type 'xgboost'"),
        (_request(tiny_gaming_csv, params={"max_depth": 3}), "unknown parameter(s) max_depth"),
        (_request(tiny_gaming_csv, params={"C": -1}), "invalid parameter"),
        (_request("no-such-dataset"), "neither an existing file nor a catalog dataset"),
        (_request(tiny_gaming_csv, drop=["Nope"]), "drop: column(s) Nope"),
        (_request(tiny_gaming_csv, model_name="bad name!"), "model_name"),
    ]
    for body, needle in rejected:
        response = trainer.client.post("/v1/jobs", json=body)
        assert response.status_code == 422, (body, response.text)
        assert needle in response.json()["detail"], (needle, response.json())
    assert trainer.client.get("/v1/jobs").json() == []

    # Only a full read finds these: the job is accepted, then fails with the reason.
    failing = [
        (_request(bad_files["one_class"]), "single class"),
        (_request(bad_files["text_in_numbers"]), "'PlayTimeHours' is numeric but holds text"),
    ]
    for body, needle in failing:
        accepted = trainer.client.post("/v1/jobs", json=body)
        assert accepted.status_code == 202, accepted.text
        job = trainer.wait_job(accepted.json()["job_id"])
        assert job["status"] == "failed"
        assert needle in job["error"], job["error"]
        assert job["run_id"] is None and job["model_version"] is None
    assert run_count(mlflow_client) == runs_before


def test_cli_reports_bad_input_in_one_line(
    mlflow_uri: str,
    pg_clean: str,
    tiny_gaming_csv: Path,
    bad_files: dict[str, Path],
    mlflow_client: MlflowClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MODELFLEET_DATABASE_URL", pg_clean)
    runs_before = run_count(mlflow_client)
    base = ["train", "--target", "EngagementLevel", "--name", "bad-cli", "--model", "logreg"]
    cases = [
        (["--data", str(tiny_gaming_csv), "--target", "Nope"], "target column 'Nope' not found"),
        (["--data", str(bad_files["empty"])], "is empty"),
        (["--data", str(bad_files["garbage"])], "cannot parse"),
        (["--data", str(bad_files["one_class"])], "single class"),
        (["--data", str(bad_files["text_in_numbers"])], "'PlayTimeHours' is numeric"),
        (["--data", str(tiny_gaming_csv), "--model", "svm"], "unknown model type 'svm'"),
        (["--data", str(tiny_gaming_csv), "--param", "depth=3"], "unknown parameter(s) depth"),
        (["--data", str(tiny_gaming_csv), "--param", "oops"], "name=value"),
        (["--data", "missing-dataset"], "neither an existing file nor a catalog dataset"),
    ]
    runner = CliRunner()
    for extra, needle in cases:
        result = runner.invoke(app, [*base, *extra], env={"COLUMNS": "300"})
        assert result.exit_code == 1, (extra, result.output)
        assert needle in result.output, (needle, result.output)
        assert "Traceback" not in result.output
        assert len([line for line in result.output.splitlines() if "error:" in line]) == 1
    assert run_count(mlflow_client) == runs_before
