"""The service Dockerfiles as text: one recipe, buildable by any engine's default builder.

What the images do when built and run is ``test_images.py``'s and ``test_chart_pods.py``'s
business; this module needs no engine.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT, SERVICES, TOOLS, unavailable

MODULES = {service: service.replace("-", "_") for service in SERVICES}


def dockerfile(service: str) -> str:
    return (ROOT / "services" / service / "Dockerfile").read_text()


def arg_default(text: str, name: str) -> str:
    match = re.search(rf"^ARG {name}=(\S+)$", text, re.MULTILINE)
    assert match, f"ARG {name}=<default> before the first FROM"
    return match.group(1)


def generic(service: str) -> str:
    """The Dockerfile with its service's name, module and description taken out."""
    text = dockerfile(service)
    description = re.search(r'image.description="([^"]+)"', text)
    assert description
    text = text.replace(description.group(1), "<description>")
    own = (  # the places that name the image's own service (every member's pyproject is copied)
        f"modelfleet {service} image",
        f"services/{service}/Dockerfile",
        f"modelfleet/{service}:dev",
        f"modelfleet-{service}",
        f"services/{service}/src",
    )
    for place in own:
        text = text.replace(place, place.replace(service, "<service>"))
    return text.replace(f"modelfleet.{MODULES[service]}", "modelfleet.<module>")


def test_the_four_dockerfiles_are_one_recipe() -> None:
    """Four files, one text: a change made to one and not the others fails here."""
    texts = {service: generic(service) for service in SERVICES}
    first = texts[SERVICES[0]]
    for service, text in texts.items():
        assert text == first, f"services/{service}/Dockerfile differs from the others"


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_builds_with_the_default_builder_on_pinned_bases(service: str) -> None:
    text = dockerfile(service)
    assert "# syntax=" not in text, "a syntax line makes BuildKit fetch a frontend from a registry"
    assert "--mount=" not in text, "RUN --mount needs BuildKit; the default builder may be legacy"
    python = arg_default(text, "PYTHON_IMAGE")
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", python), python
    assert re.fullmatch(r"ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+", arg_default(text, "UV_IMAGE"))
    froms = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert froms == ["${UV_IMAGE}", "${PYTHON_IMAGE}", "${PYTHON_IMAGE}"], froms


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_installs_only_the_service_and_runs_it_unprivileged(service: str) -> None:
    text = dockerfile(service)
    syncs = re.findall(r"^RUN (uv sync .*)$", text, re.MULTILINE)
    assert len(syncs) == 2, syncs
    for sync in syncs:
        for flag in ("--frozen", "--no-dev", "--no-editable", f"--package modelfleet-{service}"):
            assert flag in sync, (flag, sync)
    runtime = text.split(" AS runtime", 1)[1]
    assert "uv" not in re.findall(r"^COPY --from=(\S+)", runtime, re.MULTILINE)
    user = re.search(r"^USER (\d+):(\d+)$", runtime, re.MULTILINE)
    assert user and int(user.group(1)) >= 10000, "a numeric non-root user"
    assert f'ENTRYPOINT ["python", "-m", "modelfleet.{MODULES[service]}"]' in runtime
    assert "MODELFLEET_HOST=0.0.0.0" in runtime and "MODELFLEET_PORT=8080" in runtime


def test_hadolint_passes_on_every_dockerfile() -> None:
    hadolint = TOOLS / "bin" / "hadolint"
    if not hadolint.exists():
        unavailable("hadolint not found in .tools/bin: run `make tools`")
    files = sorted(str(p) for p in Path(ROOT / "services").glob("*/Dockerfile"))
    assert len(files) == len(SERVICES)
    result = subprocess.run(
        [str(hadolint), "--config", str(ROOT / ".hadolint.yaml"), "--no-color", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
