"""`make add-model-version`: one more entry in a release's modelServers, nothing else changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, Renderer, by_kind, run

pytestmark = pytest.mark.k8s

SCRIPT = ROOT / "scripts" / "add-model-version.py"
RELEASE_VALUES = {
    "auth": {"apiToken": "t"},
    "postgresql": {"auth": {"password": "p"}},
    "modelServers": [{"model": "churn", "version": "1", "replicas": 2}],
}


@pytest.fixture
def fake_helm(tmp_path: Path) -> tuple[Path, Path]:
    """A `helm` that answers `get values` with RELEASE_VALUES and records every call."""
    calls = tmp_path / "calls.jsonl"
    helm = tmp_path / "helm"
    helm.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"open({str(calls)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
        "if sys.argv[1:3] == ['get', 'values']:\n"
        f"    print(json.dumps({RELEASE_VALUES!r}))\n"
    )
    helm.chmod(0o755)
    return helm, calls


def add(helm: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--helm",
            str(helm),
            "--release",
            "fleet",
            "--namespace",
            "ml",
            *args,
        ],
        capture_output=True,
        text=True,
        env={**os.environ},
    )


def upgrade_call(calls: Path) -> list[str]:
    (call,) = [json.loads(line) for line in calls.read_text().splitlines() if '"upgrade"' in line]
    return call


def test_adds_one_entry_with_reuse_values_and_the_chart_serves_both(
    fake_helm: tuple[Path, Path], render: Renderer, tmp_path: Path
) -> None:
    helm, calls = fake_helm
    result = add(helm, "--model", "churn", "--version", "2")
    assert result.returncode == 0, result.stderr
    call = upgrade_call(calls)
    assert call[:2] == ["upgrade", "fleet"] and "--reuse-values" in call
    assert call[call.index("--namespace") + 1] == "ml"
    servers = json.loads(call[call.index("--set-json") + 1].removeprefix("modelServers="))
    assert servers == [*RELEASE_VALUES["modelServers"], {"model": "churn", "version": "2"}]

    # What the upgrade renders: version 1 untouched (2 replicas), version 2 added.
    values = tmp_path / "values.json"
    values.write_text(json.dumps({**RELEASE_VALUES, "modelServers": servers}))
    deployments = {
        m["metadata"]["name"]: m
        for m in by_kind(render([values]), "Deployment")
        if m["metadata"]["labels"]["app.kubernetes.io/component"] == "model-server"
    }
    assert set(deployments) == {"fleet-modelfleet-ms-churn-v1", "fleet-modelfleet-ms-churn-v2"}
    assert deployments["fleet-modelfleet-ms-churn-v1"]["spec"]["replicas"] == 2


def test_adding_a_served_version_again_changes_nothing(fake_helm: tuple[Path, Path]) -> None:
    helm, calls = fake_helm
    result = add(helm, "--model", "churn", "--version", "1")
    assert result.returncode == 0
    assert "already served" in result.stdout
    assert '"upgrade"' not in calls.read_text()


def test_remove_drops_only_that_entry(fake_helm: tuple[Path, Path]) -> None:
    helm, calls = fake_helm
    assert add(helm, "--model", "churn", "--version", "1", "--remove").returncode == 0
    call = upgrade_call(calls)
    assert call[call.index("--set-json") + 1] == "modelServers=[]"


def test_make_target_passes_version_or_alias() -> None:
    # -n: print the recipes without running them (nor the tools/install prerequisites)
    by_version = run(["make", "-n", "add-model-version", "MODEL=churn", "VERSION=3"], cwd=ROOT)
    assert "--model churn" in by_version.stdout and "--version 3" in by_version.stdout
    by_alias = run(["make", "-n", "add-model-version", "MODEL=churn", "ALIAS=challenger"], cwd=ROOT)
    assert "--alias challenger" in by_alias.stdout
