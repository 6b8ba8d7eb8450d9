"""k8s/: the kustomize base and overlays generated from the chart, for users without Helm."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, by_kind, find_tool, load_manifests, run, workloads

pytestmark = pytest.mark.k8s

K8S = ROOT / "k8s"
OVERLAYS = ["dev", "production"]


def tree(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): p.read_text() for p in sorted(path.rglob("*")) if p.is_file()}


def test_k8s_manifests_are_up_to_date_with_the_chart(helm: str, tmp_path: Path) -> None:
    (tmp_path / "values").symlink_to(K8S / "values")
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "render-k8s.py"),
            "--helm",
            helm,
            "--output",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    for sub in ("base", "overlays"):
        fresh, committed = tree(tmp_path / sub), tree(K8S / sub)
        stale = sorted(
            name
            for name in fresh.keys() | committed.keys()
            if fresh.get(name) != committed.get(name)
        )
        assert not stale, f"k8s/{sub} is stale, run `make k8s-manifests`: {stale}"
    assert filecmp.cmp(K8S / "values" / "base.yaml", tmp_path / "values" / "base.yaml")


@pytest.fixture(scope="module")
def kubectl() -> str:
    return find_tool("kubectl")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_builds_and_is_valid_kubernetes_1_30(
    kubectl: str, overlay: str, tmp_path: Path
) -> None:
    built = run([kubectl, "kustomize", str(K8S / "overlays" / overlay)]).stdout
    rendered = tmp_path / f"{overlay}.yaml"
    rendered.write_text(built)
    result = run(
        [find_tool("kubernetes-validate"), "-k", "1.30.0", "--strict", str(rendered)], check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr

    manifests = load_manifests(built)
    assert all(
        m["metadata"].get("namespace") == "modelfleet"
        for m in manifests
        if m["kind"] != "Namespace"
    )
    (namespace,) = by_kind(manifests, "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    secrets = {m["metadata"]["name"] for m in by_kind(manifests, "Secret")}
    referenced = {
        env["valueFrom"]["secretKeyRef"]["name"]
        for _, spec in workloads(manifests)
        for container in spec["containers"]
        for env in container.get("env", [])
        if "secretKeyRef" in env.get("valueFrom", {})
    }
    assert referenced == {"modelfleet-api-token", "modelfleet-postgresql"}
    if overlay == "dev":
        assert secrets == referenced, "the dev overlay brings its own Secrets"
    else:
        assert not secrets, "production Secrets are created by the operator, never committed"
    servers = [
        m for m in by_kind(manifests, "Deployment")
        if m["metadata"]["labels"]["app.kubernetes.io/component"] == "model-server"
    ]  # fmt: skip
    assert servers, "each overlay serves at least the champion"
    for manifest, spec in workloads(manifests):
        for container in spec["containers"]:
            if "/modelfleet/" in container["image"]:
                tag = container["image"].rsplit(":", 1)[1]
                assert tag == ("dev" if overlay == "dev" else "0.1.0"), container["image"]
        assert manifest["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "kustomize"


def test_chart_readme_values_reference_is_up_to_date(tmp_path: Path) -> None:
    fresh = tmp_path / "README.md"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "chart-readme.py"), "--output", str(fresh)],
        check=True,
        capture_output=True,
    )
    committed = ROOT / "charts" / "modelfleet" / "README.md"
    assert fresh.read_text() == committed.read_text(), "run `make k8s-manifests`"
    assert "| `modelServers` |" in fresh.read_text()
