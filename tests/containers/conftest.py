"""Fixtures of the real-engine tests: the engine, the built images, the chart renderer.

The images are built before the tests (`make images`, which `.ci/run` runs): building four
images is minutes of work that no test should hide in a fixture. What they were built as is read
from the files that build writes (``.tools/container-*.env``). Without an engine or images the
tests are skipped on a developer's machine and fail on CI.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from .cluster import Manifest
from .engine import Engine

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".tools"
CHART = ROOT / "charts" / "modelfleet"
SERVICES = ("trainer", "model-server", "collector", "drift-monitor")


def unavailable(message: str) -> None:
    """Skip, or fail on CI, where nothing may be skipped."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def read_env_file(path: Path) -> dict[str, str]:
    if not path.exists():
        unavailable(f"{path.relative_to(ROOT)} missing: run `make images`")
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    """The docker engine, scoped to this run: everything created is named ``mfct<id>-…``."""
    engine = Engine(prefix=f"mfct{uuid.uuid4().hex[:6]}-")
    if not engine.answers():
        unavailable("no container engine answers: run `make engine` (scripts/container-engine.sh)")
    try:
        yield engine
    finally:
        engine.cleanup()
        assert not engine.leftovers(), f"left behind: {engine.leftovers()}"


@pytest.fixture(scope="session")
def bases() -> dict[str, str]:
    """PYTHON_IMAGE, UV_IMAGE, POSTGRES_IMAGE, MLFLOW_IMAGE as scripts/container-standins.sh
    resolved them (upstream images, or modelfleet-standin/* where no registry answers)."""
    return read_env_file(TOOLS / "container-bases.env")


@pytest.fixture(scope="session")
def images(engine: Engine) -> dict[str, str]:
    """service -> the image `make images` built for it (IMAGE_REPO/service:IMAGE_TAG)."""
    built = read_env_file(TOOLS / "container-images.env")
    refs = {s: f"{built['IMAGE_REPO']}/{s}:{built['IMAGE_TAG']}" for s in SERVICES}
    missing = [ref for ref in refs.values() if not engine.image_exists(ref)]
    if missing:
        unavailable(f"images not built: {missing}: run `make images`")
    refs["IMAGE_REPO"], refs["IMAGE_TAG"] = built["IMAGE_REPO"], built["IMAGE_TAG"]
    return refs


@pytest.fixture(scope="session")
def helm() -> str:
    path = TOOLS / "bin" / "helm"
    if not path.exists():
        unavailable("helm not found in .tools/bin: run `make tools`")
    return str(path)


Renderer = Callable[..., list[Manifest]]


@pytest.fixture(scope="session")
def render(helm: str, images: dict[str, str], bases: dict[str, str]) -> Renderer:
    """``render(*values_files)``: the chart with the images built here and PostgreSQL and MLflow
    from the resolved bases, chosen through the chart's own values as a user of a private
    registry would. The API token and database password are fixed for the run, as a GitOps user
    passes them, so that every rendering of the run agrees (``helm template`` cannot look up the
    Secrets of an earlier one)."""
    postgres_repo, postgres_tag = bases["POSTGRES_IMAGE"].rsplit(":", 1)
    mlflow_repo, mlflow_tag = bases["MLFLOW_IMAGE"].rsplit(":", 1)
    strings = {
        "image.registry": images["IMAGE_REPO"],
        "image.tag": images["IMAGE_TAG"],
        "postgresql.image.repository": postgres_repo,
        "postgresql.image.tag": postgres_tag,
        "mlflow.image.repository": mlflow_repo,
        "mlflow.image.tag": mlflow_tag,
        "auth.apiToken": uuid.uuid4().hex,
        "postgresql.auth.password": uuid.uuid4().hex,
    }

    def _render(*values: Path, release: str = "modelfleet") -> list[Manifest]:
        cmd = [helm, "template", release, str(CHART), "--namespace", "modelfleet"]
        for path in values:
            cmd += ["--values", str(path)]
        for key, value in strings.items():
            cmd += ["--set-string", f"{key}={value}"]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        return [doc for doc in yaml.safe_load_all(result.stdout) if doc]

    return _render
