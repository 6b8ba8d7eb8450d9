"""Fixtures for the Kubernetes delivery checks: tools from ``make tools``, chart rendering."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = ROOT / ".tools" / "bin"
CHART = ROOT / "charts" / "modelfleet"
EVERYTHING_VALUES = CHART / "ci" / "everything-values.yaml"

Manifest = dict[str, Any]


def find_tool(name: str) -> str:
    """``name`` from ``.tools/bin`` (``make tools``), else PATH; fail on CI, skip elsewhere."""
    candidate = TOOLS_BIN / name
    if candidate.exists() and os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    message = f"{name} not found in {TOOLS_BIN} or PATH: run `make tools`"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def helm() -> str:
    return find_tool("helm")


@pytest.fixture(scope="session")
def hadolint() -> str:
    return find_tool("hadolint")


def run(cmd: list[str], *, check: bool = True, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` capturing text output; on failure raise with both streams in the message."""
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} exited {result.returncode}\n"
            f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
        )
    return result


def load_manifests(text: str) -> list[Manifest]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


Renderer = Callable[..., list[Manifest]]


@pytest.fixture(scope="session")
def render(helm: str) -> Renderer:
    """``render(values_files, set_values)`` -> the chart manifests, hooks and tests included."""

    def _render(
        values_files: Iterable[Path] = (),
        set_values: Iterable[str] = (),
        *,
        release: str = "fleet",
        namespace: str = "modelfleet",
    ) -> list[Manifest]:
        cmd = [helm, "template", release, str(CHART), "--namespace", namespace]
        for path in values_files:
            cmd += ["--values", str(path)]
        for item in set_values:
            cmd += ["--set", item]
        return load_manifests(run(cmd).stdout)

    return _render


@pytest.fixture(scope="session")
def default_manifests(render: Renderer) -> list[Manifest]:
    return render()


@pytest.fixture(scope="session")
def everything_manifests(render: Renderer) -> list[Manifest]:
    return render([EVERYTHING_VALUES])


def by_kind(manifests: Iterable[Manifest], kind: str) -> list[Manifest]:
    return [m for m in manifests if m.get("kind") == kind]


def pod_spec(manifest: Manifest) -> Manifest | None:
    """The pod template spec of a workload (Deployment, StatefulSet, Job, CronJob) or Pod."""
    kind = manifest.get("kind")
    spec = manifest.get("spec", {})
    if kind == "Pod":
        return spec
    if kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}:
        return spec["template"]["spec"]
    if kind == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]["spec"]
    return None


def workloads(manifests: Iterable[Manifest]) -> list[tuple[Manifest, Manifest]]:
    """(manifest, pod spec) for every manifest that runs pods."""
    out = []
    for manifest in manifests:
        spec = pod_spec(manifest)
        if spec is not None:
            out.append((manifest, spec))
    return out
