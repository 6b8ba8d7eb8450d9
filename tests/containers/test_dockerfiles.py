"""The service Dockerfile as text: one recipe for the four services, buildable by any engine's
default builder.

What the images do when built and run is ``test_images.py``'s and ``test_chart_pods.py``'s
business; this module needs no engine.
"""

from __future__ import annotations

import re
import subprocess

from .conftest import ROOT, SERVICES, TOOLS, unavailable

DOCKERFILE = ROOT / "services" / "Dockerfile"


def arg_default(text: str, name: str) -> str:
    match = re.search(rf"^ARG {name}=(\S+)$", text, re.MULTILINE)
    assert match, f"ARG {name}=<default> before the first FROM"
    return match.group(1)


def test_one_dockerfile_serves_every_service() -> None:
    """No per-service copies to drift apart: the service is a build argument."""
    assert not list((ROOT / "services").glob("*/Dockerfile"))
    text = DOCKERFILE.read_text()
    allowed = re.search(r"in (\S+)\) ;;", text)
    assert allowed and set(allowed.group(1).split("|")) == set(SERVICES)


def test_dockerfile_builds_with_the_default_builder_on_pinned_bases() -> None:
    text = DOCKERFILE.read_text()
    assert "# syntax=" not in text, "a syntax line makes BuildKit fetch a frontend from a registry"
    assert "--mount=" not in text, "RUN --mount needs BuildKit; the default builder may be legacy"
    python = arg_default(text, "PYTHON_IMAGE")
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", python), python
    assert re.fullmatch(r"ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+", arg_default(text, "UV_IMAGE"))
    froms = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert froms == ["${UV_IMAGE}", "${PYTHON_IMAGE}", "${PYTHON_IMAGE}"], froms


def test_dockerfile_installs_only_the_service_and_runs_it_unprivileged() -> None:
    text = DOCKERFILE.read_text()
    syncs = re.findall(r"^RUN (uv sync .*)$", text, re.MULTILINE)
    assert len(syncs) == 2, syncs
    for sync in syncs:
        for flag in ("--frozen", "--no-dev", "--no-editable", '--package "modelfleet-${SERVICE}"'):
            assert flag in sync, (flag, sync)
    runtime = text.split(" AS runtime", 1)[1]
    assert "uv" not in re.findall(r"^COPY --from=(\S+)", runtime, re.MULTILINE)
    assert "binutils" not in runtime
    user = re.search(r"^USER (\d+):(\d+)$", runtime, re.MULTILINE)
    assert user and int(user.group(1)) >= 10000, "a numeric non-root user"
    assert 'ENTRYPOINT ["modelfleet-service"]' in runtime
    assert "MODELFLEET_HOST=0.0.0.0" in runtime and "MODELFLEET_PORT=8080" in runtime


def test_hadolint_passes_on_the_dockerfile() -> None:
    hadolint = TOOLS / "bin" / "hadolint"
    if not hadolint.exists():
        unavailable("hadolint not found in .tools/bin: run `make tools`")
    result = subprocess.run(
        [str(hadolint), "--config", str(ROOT / ".hadolint.yaml"), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
