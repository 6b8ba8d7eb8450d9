"""The dataset catalog over HTTP (JSON and upload) and through ``modelfleet datasets``."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from modelfleet.cli.main import app
from tests.trainer.conftest import TrainerService

pytestmark = pytest.mark.integration


def _split_pokemon(datasets_dir: Path, out: Path) -> dict[int, Path]:
    """One file per generation, as a data catalog would hold them."""
    frame = pd.read_csv(datasets_dir / "pokemon.csv")
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for generation, part in frame.groupby("generation"):
        files[int(generation)] = out / f"pokemon_gen{generation}.csv"
        part.to_csv(files[int(generation)], index=False)
    return files


def test_seven_generations_are_found_by_tag_and_by_text(
    trainer: TrainerService, datasets_dir: Path, tmp_path: Path
) -> None:
    files = _split_pokemon(datasets_dir, tmp_path / "pokemon")
    assert len(files) == 7
    for generation, path in files.items():
        response = trainer.client.post(
            "/v1/datasets",
            json={
                "name": f"pokemon-gen{generation}",
                "location": str(path),
                "owner": "professor-oak",
                "description": f"Pokémon introduced in generation {generation}",
                "target": "is_legendary",
                "tags": {"generation": generation, "source": "pokedex"},
            },
        )
        assert response.status_code == 201, response.text

    by_tag = trainer.client.get("/v1/datasets", params={"tag": "generation:3"}).json()
    assert [d["name"] for d in by_tag] == ["pokemon-gen3"]
    entry = by_tag[0]
    expected = pd.read_csv(files[3])
    assert entry["rows"] == len(expected)
    assert entry["columns"] == list(expected.columns)
    assert entry["digest"] == hashlib.sha256(files[3].read_bytes()).hexdigest()
    assert entry["size_bytes"] == files[3].stat().st_size
    assert entry["tags"] == {"generation": "3", "source": "pokedex"}
    assert entry["created_at"]

    by_text = trainer.client.get("/v1/datasets", params={"q": "Generation 3"}).json()
    assert [d["name"] for d in by_text] == ["pokemon-gen3"]
    both = trainer.client.get(
        "/v1/datasets",
        params=[("q", "pokemon"), ("tag", "generation:3"), ("tag", "source:pokedex")],
    ).json()
    assert [d["name"] for d in both] == ["pokemon-gen3"]
    assert len(trainer.client.get("/v1/datasets", params={"q": "oak"}).json()) == 0
    assert len(trainer.client.get("/v1/datasets", params={"tag": "source:pokedex"}).json()) == 7
    shown = trainer.client.get("/v1/datasets/pokemon-gen3").json()
    assert shown["location"] == str(files[3].resolve())

    problems = [
        (trainer.client.get("/v1/datasets/pokemon-gen9"), 404, "pokemon-gen9"),
        (trainer.client.get("/v1/datasets", params={"tag": "generation"}), 422, "key:value"),
        (
            trainer.client.post(
                "/v1/datasets", json={"name": "pokemon-gen3", "location": str(files[3])}
            ),
            409,
            "already exists",
        ),
        (
            trainer.client.post(
                "/v1/datasets", json={"name": "ghost", "location": str(tmp_path / "nope.csv")}
            ),
            422,
            "location",
        ),
        (
            trainer.client.post(
                "/v1/datasets",
                json={"name": "wrong-target", "location": str(files[1]), "target": "legend"},
            ),
            422,
            "legend",
        ),
        (trainer.client.post("/v1/datasets", json={"location": str(files[1])}), 422, "name"),
    ]
    for response, status, needle in problems:
        assert response.status_code == status, response.text
        assert needle in response.json()["detail"]


def test_uploaded_dataset_trains_by_name(
    trainer: TrainerService,
    tiny_gaming_csv: Path,
    model_name: str,
    mlflow_client: MlflowClient,
    tmp_path: Path,
) -> None:
    with tiny_gaming_csv.open("rb") as handle:
        response = trainer.client.post(
            "/v1/datasets",
            files={"file": ("retrain.csv", handle, "text/csv")},
            data={"name": "gaming-retrain-1", "target": "EngagementLevel", "tag": "day:3"},
        )
    assert response.status_code == 201, response.text
    entry = response.json()
    stored = Path(entry["location"])
    assert stored.is_relative_to((tmp_path / "data").resolve())
    assert stored.read_bytes() == tiny_gaming_csv.read_bytes()
    assert entry["tags"] == {"day": "3"}
    assert entry["rows"] == len(pd.read_csv(tiny_gaming_csv))

    with tiny_gaming_csv.open("rb") as handle:
        again = trainer.client.post(
            "/v1/datasets",
            files={"file": ("retrain.csv", handle, "text/csv")},
            data={"name": "gaming-retrain-1"},
        )
    assert again.status_code == 409

    job = trainer.client.post(
        "/v1/jobs",
        json={
            "data": "gaming-retrain-1",
            "target": "EngagementLevel",
            "model_type": "logreg",
            "model_name": model_name,
        },
    )
    assert job.status_code == 202, job.text
    done = trainer.wait_job(job.json()["job_id"])
    assert done["status"] == "succeeded", done["error"]
    run = mlflow_client.get_run(done["run_id"])
    assert run.inputs.dataset_inputs[0].dataset.name == "gaming-retrain-1"
    assert run.inputs.dataset_inputs[0].dataset.digest


def test_cli_adds_searches_and_shows(
    pg_clean: str, datasets_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELFLEET_DATABASE_URL", pg_clean)
    runner = CliRunner()
    env = {"COLUMNS": "250"}
    files = _split_pokemon(datasets_dir, tmp_path / "pokemon")
    for generation, path in files.items():
        result = runner.invoke(
            app,
            [
                *("datasets", "add", f"gen{generation}", str(path), "--target", "is_legendary"),
                *("--tag", f"generation:{generation}", "--description", f"generation {generation}"),
            ],
            env=env,
        )
        assert result.exit_code == 0, result.output

    found = runner.invoke(app, ["datasets", "search", "--tag", "generation:3"], env=env)
    assert found.exit_code == 0, found.output
    assert "gen3" in found.output and "gen4" not in found.output
    assert "1 dataset(s)" in found.output
    text = runner.invoke(app, ["datasets", "search", "generation 3"], env=env)
    assert "gen3" in text.output and "gen5" not in text.output
    shown = runner.invoke(app, ["datasets", "show", "gen3"], env=env)
    assert hashlib.sha256(files[3].read_bytes()).hexdigest() in shown.output
    duplicate = runner.invoke(app, ["datasets", "add", "gen3", str(files[3])], env=env)
    assert duplicate.exit_code == 1
    assert "already exists" in duplicate.output
    assert "Traceback" not in duplicate.output
