"""skaffold.yaml: structure checked without skaffold (one artifact per service, values wired)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from .conftest import CHART, ROOT, Renderer, by_kind

pytestmark = pytest.mark.k8s

SKAFFOLD = ROOT / "skaffold.yaml"
SERVICES = {
    "trainer": "trainer",
    "model-server": "modelServer",
    "collector": "collector",
    "drift-monitor": "driftMonitor",
}


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return yaml.safe_load(SKAFFOLD.read_text())


def template_key(image: str) -> str:
    return re.sub(r"[/.:-]", "_", image)


def test_one_artifact_per_service_built_from_the_repo_root(config: dict[str, Any]) -> None:
    assert config["apiVersion"].startswith("skaffold/v4")
    artifacts = {a["image"]: a for a in config["build"]["artifacts"]}
    assert set(artifacts) == {f"modelfleet/{s}" for s in SERVICES}
    for service in SERVICES:
        artifact = artifacts[f"modelfleet/{service}"]
        assert artifact["context"] == "."
        dockerfile = artifact["docker"]["dockerfile"]
        assert dockerfile == "services/Dockerfile"
        assert artifact["docker"]["buildArgs"] == {"SERVICE": service}
        assert (ROOT / dockerfile).is_file()


def test_helm_release_wires_every_image_value(config: dict[str, Any]) -> None:
    (release,) = config["deploy"]["helm"]["releases"]
    assert (ROOT / release["chartPath"]).resolve() == CHART
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    templates = release["setValueTemplates"]
    for service, key in SERVICES.items():
        image = template_key(f"modelfleet/{service}")
        assert templates[f"{key}.image.repository"] == f"{{{{.IMAGE_REPO_{image}}}}}"
        assert templates[f"{key}.image.tag"] == f"{{{{.IMAGE_TAG_{image}}}}}"
        assert "repository" in values[key]["image"] and "tag" in values[key]["image"]


def test_every_profile_is_commented_and_its_values_render(
    config: dict[str, Any], render: Renderer
) -> None:
    lines = SKAFFOLD.read_text().splitlines()
    names = [p["name"] for p in config["profiles"]]
    assert {"local", "production"} <= set(names)
    for name in names:
        index = next(i for i, line in enumerate(lines) if line.strip() == f"- name: {name}")
        assert lines[index - 1].strip().startswith("#"), f"profile {name} has no comment"
    local = next(p for p in config["profiles"] if p["name"] == "local")
    assert {"kubeContext": "minikube"} in local["activation"]
    assert local["build"]["local"]["push"] is False
    for profile in config["profiles"]:
        for patch in profile.get("patches", []):
            if patch["path"].endswith("/valuesFiles"):
                files = [ROOT / f for f in patch["value"]]
                assert all(f.is_file() for f in files), files
                manifests = render(files, ["auth.apiToken=x"], release="modelfleet")
                assert by_kind(manifests, "Deployment"), profile["name"]


def test_port_forwards_match_the_rendered_service_names(
    config: dict[str, Any], render: Renderer
) -> None:
    services = {m["metadata"]["name"] for m in by_kind(render(release="modelfleet"), "Service")}
    for forward in config["portForward"]:
        assert forward["resourceName"] in services
