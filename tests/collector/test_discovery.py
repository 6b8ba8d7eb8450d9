"""Kubernetes discovery through the official client against kmock's Kubernetes emulator."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import kmock
import pytest
import pytest_asyncio
import yaml
from kubernetes import client

from modelfleet.collector.config import CollectorSettings
from modelfleet.collector.evaluation.job import resolve_targets
from modelfleet.collector.evaluation.targets import DiscoveryError, Target, kubernetes_targets

SELECTOR = "app.kubernetes.io/component=model-server"
SERVICES = kmock.resource("", "v1", "services")


def _service(name: str, namespace: str, labels: dict[str, str], ports: list[Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"ports": ports},
    }


@pytest_asyncio.fixture
async def cluster() -> AsyncIterator[tuple[kmock.KubernetesEmulator, str]]:
    """The emulator with two model-server Services, a database Service and another namespace."""
    async with kmock.KubernetesEmulator() as k8s, kmock.Server(k8s) as server:
        component = {"app.kubernetes.io/component": "model-server"}
        k8s.objects[SERVICES, "fleet", "ms-v1"] = _service(
            "ms-v1",
            "fleet",
            component,
            [{"name": "metrics", "port": 9090}, {"name": "http", "port": 8080}],
        )
        k8s.objects[SERVICES, "fleet", "ms-v2"] = _service(
            "ms-v2", "fleet", component, [{"port": 8081}]
        )
        k8s.objects[SERVICES, "fleet", "postgres"] = _service(
            "postgres", "fleet", {"app.kubernetes.io/component": "database"}, [{"port": 5432}]
        )
        yield k8s, str(server.url).rstrip("/")


def _api_client(url: str) -> client.ApiClient:
    configuration = client.Configuration()
    configuration.host = url
    return client.ApiClient(configuration)


@pytest.mark.asyncio
async def test_discovers_model_server_services_by_label(
    cluster: tuple[kmock.KubernetesEmulator, str],
) -> None:
    k8s, url = cluster
    settings = CollectorSettings(namespace="fleet", _env_file=None)
    targets = await asyncio.to_thread(
        resolve_targets, settings, [], "k8s", lambda: _api_client(url)
    )
    # The emulator ignores label selectors: the database Service is filtered out by our code.
    assert targets == [
        Target("http://ms-v1.fleet.svc:8080", "k8s"),
        Target("http://ms-v2.fleet.svc:8081", "k8s"),
    ]
    [request] = list(k8s)
    assert request.params["labelSelector"] == SELECTOR
    assert request.namespace == "fleet"


@pytest.mark.asyncio
async def test_rbac_refusal_is_a_clear_error(
    cluster: tuple[kmock.KubernetesEmulator, str],
) -> None:
    k8s, url = cluster
    k8s["list v1/services"] << 403
    with pytest.raises(DiscoveryError) as caught:
        await asyncio.to_thread(kubernetes_targets, _api_client(url), "fleet", SELECTOR)
    assert "HTTP 403" in caught.value.detail
    assert "ServiceAccount needs a Role allowing 'list' on 'services'" in caught.value.detail


@pytest.mark.integration
@pytest.mark.asyncio
async def test_cronjob_command_reports_rbac_refusal_from_kubeconfig(
    cluster: tuple[kmock.KubernetesEmulator, str], tmp_path: Path
) -> None:
    k8s, url = cluster
    k8s["list v1/services"] << 403
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "emu", "cluster": {"server": url}}],
                "users": [{"name": "collector", "user": {"token": "t"}}],
                "contexts": [{"name": "emu", "context": {"cluster": "emu", "user": "collector"}}],
                "current-context": "emu",
            }
        )
    )
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "modelfleet.collector", "evaluate", "--discover", "k8s"],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "KUBECONFIG": str(kubeconfig),
            "MODELFLEET_NAMESPACE": "fleet",
            "MODELFLEET_STATE_DIR": str(tmp_path / "state"),
            "MODELFLEET_GOLDEN": str(tmp_path / "unused.csv"),
        },
    )
    assert result.returncode == 2
    assert "refused to list Services in namespace 'fleet' (HTTP 403" in result.stderr
    assert [r.params.get("labelSelector") for r in k8s] == [SELECTOR]


def test_local_discovery_reads_running_servers_of_the_fleet_state(tmp_path: Path) -> None:
    state = tmp_path / "fleet.json"
    state.write_text(
        json.dumps(
            {
                "version": 1,
                "processes": {
                    "collector": {"kind": "core", "url": "http://127.0.0.1:8002", "pid": 10},
                    "engagement-v1": {
                        "kind": "model-server",
                        "url": "http://127.0.0.1:8100",
                        "pid": 11,
                    },
                    "engagement-v2": {
                        "kind": "model-server",
                        "url": "http://127.0.0.1:8101",
                        "pid": None,
                    },
                },
            }
        )
    )
    settings = CollectorSettings(
        fleet_state_file=state, model_server_urls="http://10.0.0.5:8080/", _env_file=None
    )
    assert resolve_targets(settings, [], "local") == [
        Target("http://127.0.0.1:8100", "local"),
        Target("http://10.0.0.5:8080", "local"),
    ]
    state.write_text("{not json")
    with pytest.raises(DiscoveryError, match="fleet state file"):
        resolve_targets(settings, [], "local")
