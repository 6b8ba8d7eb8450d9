"""The Kubernetes rules the pod runner applies, on small manifests (no engine, no chart).

A wrong rule here would make ``test_chart_pods.py`` prove nothing, so each one is pinned down:
``$(VAR)`` expansion, environment precedence, command/args versus ENTRYPOINT/CMD, the merged
security context, Service names and ports, volumes.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from .cluster import Cluster, UnsupportedSpecError, expand
from .pods import run_args
from .podspec import pod_of


def test_expand_follows_kubernetes_variable_references() -> None:
    env = {"A": "1", "B": "two"}
    assert expand("x$(A)y$(B)", env) == "x1ytwo"
    assert expand("$$(A)", env) == "$(A)", "$$ escapes a reference"
    assert expand("$(MISSING)", env) == "$(MISSING)", "an undefined reference stays as written"
    assert expand("cost: $5 $(A", env) == "cost: $5 $(A"


def deployment(container: dict[str, Any], **pod: Any) -> dict[str, Any]:
    return {
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "img:1", **container}], **pod},
            }
        },
    }


def cluster(*extra: dict[str, Any]) -> Cluster:
    manifests = [
        {"kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"A": "from-cm", "B": "b"}},
        {
            "kind": "Secret",
            "metadata": {"name": "sec"},
            "data": {"password": base64.b64encode(b"s3cret").decode()},
        },
        *extra,
    ]
    return Cluster.from_manifests(manifests, "ns")


def test_environment_is_envfrom_then_env_with_references_to_what_came_before() -> None:
    pod = pod_of(
        deployment(
            {
                "envFrom": [{"configMapRef": {"name": "cfg"}}],
                "env": [
                    {"name": "A", "value": "overridden"},
                    {
                        "name": "PW",
                        "valueFrom": {"secretKeyRef": {"name": "sec", "key": "password"}},
                    },
                    {"name": "URL", "value": "pg://u:$(PW)@db/$(B)"},
                    {"name": "EARLY", "value": "$(LATE)"},
                    {"name": "LATE", "value": "x"},
                    {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                ],
            }
        ),
        cluster(),
    )
    env = pod.containers[0].env
    assert env["A"] == "overridden"
    assert env["URL"] == "pg://u:s3cret@db/b"
    assert env["EARLY"] == "$(LATE)", "only variables defined before are expanded"
    assert env["POD"] == "ns"


def test_a_missing_secret_fails_unless_optional() -> None:
    ref: dict[str, Any] = {"name": "nope", "key": "k"}
    with pytest.raises(UnsupportedSpecError, match="nope/k"):
        pod_of(deployment({"env": [{"name": "X", "valueFrom": {"secretKeyRef": ref}}]}), cluster())
    optional = {"secretKeyRef": {**ref, "optional": True}}
    pod = pod_of(deployment({"env": [{"name": "X", "valueFrom": optional}]}), cluster())
    assert "X" not in pod.containers[0].env


@pytest.mark.parametrize(
    ("spec", "entrypoint", "command"),
    [
        ({}, None, None),
        ({"args": ["serve", "--x"]}, None, ["serve", "--x"]),
        ({"command": ["python", "-c"], "args": ["print(1)"]}, ["python"], ["-c", "print(1)"]),
        ({"command": ["sleep", "1"]}, ["sleep"], ["1"]),
    ],
)
def test_command_replaces_entrypoint_and_args_replace_cmd(
    spec: dict[str, Any], entrypoint: list[str] | None, command: list[str] | None
) -> None:
    container = pod_of(deployment(spec), cluster()).containers[0]
    assert (container.entrypoint, container.command) == (entrypoint, command)
    flags = run_args(container)
    assert ("--entrypoint" in flags) == (entrypoint is not None)


def test_security_context_merges_pod_and_container_like_the_kubelet() -> None:
    pod = pod_of(
        deployment(
            {
                "securityContext": {
                    "runAsUser": 20002,
                    "readOnlyRootFilesystem": True,
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                },
                "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}},
            },
            securityContext={"runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 3000},
        ),
        cluster(),
    )
    flags = run_args(pod.containers[0])
    assert flags[:2] == ["--user", "20002:10001"], "the container's runAsUser wins"
    for expected in (
        ["--group-add", "3000"],
        ["--read-only"],
        ["--cap-drop", "ALL"],
        ["--security-opt", "no-new-privileges"],
        ["--cpus", "0.5"],
        ["--memory", "1g"],
    ):
        assert any(flags[i : i + len(expected)] == expected for i in range(len(flags))), expected
    assert pod.fs_group == 3000


def test_privilege_escalation_is_only_refused_when_the_spec_says_so() -> None:
    container = pod_of(deployment({}), cluster()).containers[0]
    assert "no-new-privileges" not in run_args(container), "Kubernetes' default allows it"


def service(selector: dict[str, str], port: int, target: int | str) -> dict[str, Any]:
    return {
        "kind": "Service",
        "metadata": {"name": "web-svc"},
        "spec": {"selector": selector, "ports": [{"port": port, "targetPort": target}]},
    }


def test_services_that_select_the_pod_become_its_dns_names() -> None:
    spec = {"ports": [{"name": "http", "containerPort": 8080}]}
    pod = pod_of(deployment(spec), cluster(service({"app": "web"}, 8080, "http")))
    assert pod.aliases == [
        "web-svc",
        "web-svc.ns",
        "web-svc.ns.svc",
        "web-svc.ns.svc.cluster.local",
    ]
    other = pod_of(deployment(spec), cluster(service({"app": "db"}, 8080, "http")))
    assert other.aliases == []
    with pytest.raises(UnsupportedSpecError, match="maps port 80 to 8080"):
        pod_of(deployment(spec), cluster(service({"app": "web"}, 80, "http")))


def test_volumes_emptydir_claims_and_configmaps() -> None:
    manifest = deployment(
        {"volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]},
        volumes=[
            {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
            {"name": "data", "persistentVolumeClaim": {"claimName": "store"}},
            {"name": "init", "configMap": {"name": "cfg", "defaultMode": 0o555}},
        ],
    )
    manifest["kind"] = "StatefulSet"
    manifest["spec"]["volumeClaimTemplates"] = [{"metadata": {"name": "pgdata"}}]
    volumes = pod_of(manifest, cluster()).volumes
    assert (volumes["tmp"].kind, volumes["tmp"].size) == ("emptyDir", "64m")
    assert (volumes["data"].kind, volumes["data"].claim) == ("pvc", "store")
    assert volumes["init"].files == (("A", "from-cm"), ("B", "b"))
    assert volumes["init"].mode == 0o555
    assert volumes["pgdata"].claim == "pgdata-web-0", "a StatefulSet's first replica's claim"


def test_what_docker_cannot_reproduce_is_refused() -> None:
    with pytest.raises(UnsupportedSpecError, match="privileged"):
        pod_of(deployment({"securityContext": {"privileged": True}}), cluster())
    with pytest.raises(UnsupportedSpecError, match="subPath"):
        mount = {"name": "tmp", "mountPath": "/x", "subPath": "y"}
        pod_of(deployment({"volumeMounts": [mount]}), cluster())
