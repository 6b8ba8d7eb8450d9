"""The fleet's HTTP API as the container tests use it: upload, train, send traffic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from modelfleet.cli.synthetic import ID_COLUMN, TARGET, GamingGenerator
from tests.polling import wait_for


def write_training_csv(path: Path, rows: int = 3000, seed: int = 5) -> Path:
    GamingGenerator(seed=seed).generate(rows).to_csv(path, index=False)
    return path


def upload_dataset(trainer: str, token: str, csv: Path, name: str) -> None:
    """Register ``csv`` in the trainer's dataset catalog as ``name``."""
    with csv.open("rb") as data:
        upload = httpx.post(
            f"{trainer}/v1/datasets",
            headers={"Authorization": f"Bearer {token}"},
            data={"name": name, "target": TARGET},
            files={"file": (csv.name, data, "text/csv")},
            timeout=120,
        )
    assert upload.status_code in (200, 201), upload.text


def train(trainer: str, token: str, dataset: str, model: str) -> str:
    """Queue a training job through the trainer's API, wait for it; the version it registered."""
    body = {
        "data": dataset,
        "target": TARGET,
        "model_type": "hgb",
        "model_name": model,
        "params": {"max_iter": 30},
    }
    headers = {"Authorization": f"Bearer {token}"}
    submitted = httpx.post(f"{trainer}/v1/jobs", headers=headers, json=body, timeout=30)
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["job_id"]

    def finished() -> dict[str, Any] | None:
        job: dict[str, Any] = httpx.get(f"{trainer}/v1/jobs/{job_id}", timeout=10).json()
        return job if job["status"] in ("succeeded", "failed") else None

    job = wait_for(finished, timeout=600, interval=1.0, what=f"training job {job_id}")
    assert job["status"] == "succeeded", job
    return str(job["model_version"])


def predict(server: str, rows: int, seed: int = 6) -> list[dict[str, Any]]:
    """``rows`` synthetic players scored by the model server at ``server``; its predictions."""
    frame = GamingGenerator(seed=seed).generate(rows)
    records = json.loads(frame.drop(columns=[ID_COLUMN, TARGET]).to_json(orient="records"))
    ids = [f"player-{i}" for i in frame[ID_COLUMN]]
    answer = httpx.post(
        f"{server}/v1/predict", json={"records": records, "entity_ids": ids}, timeout=120
    )
    assert answer.status_code == 200, answer.text
    predictions: list[dict[str, Any]] = answer.json()["predictions"]
    assert len(predictions) == rows
    return predictions
