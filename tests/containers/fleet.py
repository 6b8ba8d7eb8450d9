"""The chart's release, run as containers in the order Helm and the kubelet would run it.

``helm install`` creates the release's ordinary objects at once (PostgreSQL, MLflow, the
services, the first-install migrations Job), then its post-install hooks (the training Job);
model servers are added for versions that exist (`make add-model-version`); ``helm test`` runs
the test Pod last. :class:`Fleet` does the same with the rendered manifests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cluster import Cluster, Manifest
from .engine import Engine
from .pods import PodFailedError, PodRunner, RunningPod, wait_ready
from .podspec import Pod, pod_of

WORKLOADS = {"Deployment", "StatefulSet", "Job"}


def json_lines(text: str) -> list[dict[str, Any]]:
    """The JSON objects a command printed, one a line."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def hook(manifest: Manifest) -> str:
    return (manifest["metadata"].get("annotations") or {}).get("helm.sh/hook", "")


def component(manifest: Manifest) -> str:
    return manifest["metadata"].get("labels", {}).get("app.kubernetes.io/component", "")


def is_model_server(manifest: Manifest) -> bool:
    return manifest["kind"] == "Deployment" and component(manifest) == "model-server"


@dataclass
class Fleet:
    """A rendered release on one docker network."""

    engine: Engine
    runner: PodRunner
    manifests: list[Manifest]
    cluster: Cluster
    running: dict[str, RunningPod] = field(default_factory=dict)
    completed: dict[str, str] = field(default_factory=dict)  # Job name -> its output
    trained: list[dict[str, Any]] = field(default_factory=list)  # the training Jobs' results

    @classmethod
    def create(cls, engine: Engine, manifests: list[Manifest], files: Path) -> Fleet:
        namespace = manifests[0]["metadata"].get("namespace", "default")
        network = engine.network("fleet")
        cluster = Cluster.from_manifests(manifests, namespace)
        return cls(engine, PodRunner(engine, network, files), manifests, cluster)

    def pod(self, name: str) -> Pod:
        (manifest,) = [m for m in self.manifests if m["metadata"]["name"] == name]
        return pod_of(manifest, self.cluster)

    def named(self, suffix: str) -> RunningPod:
        """The running pod of the workload whose name ends with ``suffix``."""
        (pod,) = [p for name, p in self.running.items() if name.endswith(suffix)]
        return pod

    def token(self) -> str:
        return self.cluster.secrets[next(s for s in self.cluster.secrets if "api-token" in s)][
            "api-token"
        ]

    def install(self) -> None:
        """The release's ordinary workloads at once; Jobs to completion, the rest ready."""
        ordinary = [
            m
            for m in self.manifests
            if m["kind"] in WORKLOADS and not hook(m) and not is_model_server(m)
        ]
        pods = [pod_of(m, self.cluster) for m in ordinary]
        started = self.runner.start_all(pods)
        for running in started:
            if running.pod.kind == "Job":
                self._finish(running)
            else:
                self.running[running.pod.name] = running
        wait_ready(self.running.values())

    def post_install(self) -> None:
        """The post-install hook Jobs (the training Job), to completion."""
        for manifest in self.manifests:
            if manifest["kind"] == "Job" and "post-install" in hook(manifest):
                self.trained += json_lines(self.complete(pod_of(manifest, self.cluster)))

    def serve(self, manifests: list[Manifest]) -> list[RunningPod]:
        """Start the model-server Deployments of a rendering that are not running yet (the ones
        `make add-model-version` adds) and wait until they are ready."""
        cluster = Cluster.from_manifests(manifests, self.cluster.namespace)
        pods = [
            pod_of(m, cluster)
            for m in manifests
            if is_model_server(m) and m["metadata"]["name"] not in self.running
        ]
        started = self.runner.start_all(pods)
        for running in started:
            self.running[running.pod.name] = running
        wait_ready(started)
        return started

    def pod_of_rendering(self, manifest: Manifest, manifests: list[Manifest]) -> Pod:
        """The pod of ``manifest`` from another rendering ``manifests`` of the release."""
        return pod_of(manifest, Cluster.from_manifests(manifests, self.cluster.namespace))

    def complete(self, pod: Pod) -> str:
        """Run a Job's (or a CronJob's, once) pod to completion, failing unless it exits 0; its
        standard output (the services log to standard error)."""
        code, out, err = self.runner.complete(pod)
        if code != 0:
            raise PodFailedError(
                f"{pod.kind} {pod.name} exited {code}\n--- output ---\n{out[-2000:]}\n"
                f"--- log ---\n{err[-4000:]}"
            )
        self.completed[pod.name] = out
        return out

    def _finish(self, running: RunningPod) -> None:
        code = self.engine.wait(running.container, timeout=running.pod.active_deadline or 600)
        if code != 0:
            raise running.failure(f"Job exited {code}")
        self.completed[running.pod.name] = self.engine.run("logs", running.container).stdout

    def psql(self, sql: str) -> str:
        """``sql`` through psql in the PostgreSQL pod, as the chart's database user."""
        postgres = self.named("postgresql")
        env = postgres.spec.env
        result = self.engine.run(
            "exec", postgres.container, "psql", "-U", env["POSTGRES_USER"],
            "-d", env["POSTGRES_DB"], "-tAc", sql,
        )  # fmt: skip
        return result.stdout.strip()
