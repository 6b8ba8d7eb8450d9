"""Pods on the docker engine, started the way the kubelet would start them.

A pod's volumes are created first (``emptyDir``: a tmpfs volume the pod's containers share;
``persistentVolumeClaim``: a named volume per claim, group-owned by the pod's ``fsGroup`` as the
kubelet does; ``configMap``: its files, read-only), its init containers run one after the other to
completion, then its container starts with the security context, limits, environment, command
and ports of its spec, on one network where every Service that selects the pod resolves to it.
Readiness is the container's own ``readinessProbe``, polled until it passes; a pod that exits or
never gets ready fails with its name and its log tail.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.polling import wait_for

from .engine import Engine
from .podspec import Container, Pod, Volume

# How long a pod may take to become ready: readiness itself has no deadline in Kubernetes, the
# release's has -- `make deploy` waits with `helm upgrade --install --wait --timeout 10m`.
DEFAULT_READY_BUDGET = 600.0
# Restarts after which a crashing container counts as in CrashLoopBackOff.
CRASH_LOOP_RESTARTS = 3


class PodFailedError(AssertionError):
    """A pod's container exited, failed an init container or never passed its probe."""


def run_args(container: Container) -> list[str]:
    """The security, resource and environment options of ``docker run`` for ``container``."""
    args: list[str] = []
    if container.user is not None:
        args += ["--user", container.user]
    for group in container.groups:
        args += ["--group-add", str(group)]
    if container.read_only:
        args.append("--read-only")
    for cap in container.cap_drop:
        args += ["--cap-drop", cap]
    for cap in container.cap_add:
        args += ["--cap-add", cap]
    if container.no_new_privileges:
        args += ["--security-opt", "no-new-privileges"]
    if container.cpus:
        args += ["--cpus", container.cpus]
    if container.memory:
        args += ["--memory", container.memory]
    for key, value in container.env.items():
        args += ["--env", f"{key}={value}"]
    if container.entrypoint is not None:
        args += ["--entrypoint", container.entrypoint[0]]
    return args


@dataclass
class RunningPod:
    """A started pod: its docker container and what it answers on."""

    pod: Pod
    container: str
    engine: Engine
    last_probe: str = "no probe made yet"

    @property
    def spec(self) -> Container:
        return self.pod.containers[0]

    def url(self, port: str = "http") -> str:
        return f"http://127.0.0.1:{self.engine.host_port(self.container, self.spec.ports[port])}"

    def logs(self, tail: int = 60) -> str:
        return self.engine.logs(self.container, tail)

    def failure(self, what: str) -> PodFailedError:
        return PodFailedError(
            f"pod {self.pod.name} (container {self.container}, image {self.spec.image}): {what}\n"
            f"--- log tail ---\n{self.logs()}"
        )

    def alive(self) -> None:
        """Fail if the container exited or crash-loops (the kubelet restarts a Deployment's
        container, so one restart is allowed; CrashLoopBackOff is a failure)."""
        state = self.engine.state(self.container)
        restarts = self.engine.restart_count(self.container)
        if restarts >= CRASH_LOOP_RESTARTS:
            raise self.failure(f"restarted {restarts} times (CrashLoopBackOff)")
        if state["Status"] not in {"running", "restarting"}:
            oom = " (OOM-killed)" if state.get("OOMKilled") else ""
            raise self.failure(f"container {state['Status']}, exit code {state['ExitCode']}{oom}")

    def probe(self) -> bool:
        """One attempt of the readiness probe, as the kubelet makes it."""
        probe = self.spec.readiness
        assert probe is not None
        if self.engine.state(self.container)["Status"] != "running":
            return False
        if probe.kind == "exec":
            result = self.engine.run(
                "exec", self.container, *probe.command, check=False, timeout=probe.timeout + 10
            )
            self.last_probe = f"exit {result.returncode}: {(result.stdout + result.stderr)[-300:]}"
            return result.returncode == 0
        host_port = self.engine.host_port(self.container, probe.port)
        if probe.kind == "tcp":
            try:
                socket.create_connection(("127.0.0.1", host_port), probe.timeout).close()
            except OSError:
                return False
            return True
        try:
            response = httpx.get(f"http://127.0.0.1:{host_port}{probe.path}", timeout=probe.timeout)
        except httpx.HTTPError as exc:
            self.last_probe = f"{type(exc).__name__} {exc}"
            return False
        self.last_probe = f"{response.status_code} {response.text[:300]}"
        return 200 <= response.status_code < 400

    def budget(self) -> float:
        """How long the container may take to get ready: Helm's wait, or longer if its own
        startup probe allows more."""
        return max(self.spec.startup_budget, DEFAULT_READY_BUDGET)

    def never_ready(self) -> PodFailedError:
        probe = self.spec.readiness
        assert probe is not None
        target = probe.path or " ".join(probe.command) or str(probe.port)
        return self.failure(
            f"readiness probe {probe.kind} {target} never passed (last answer: {self.last_probe})"
        )


def wait_ready(pods: Iterable[RunningPod], budget: float | None = None) -> None:
    """Poll every pod's readiness probe at once, each for its own budget (or ``budget``); fail on
    the first pod that exits, crash-loops or runs out of time, naming it, with its log tail."""
    pending = {pod.container: pod for pod in pods}
    for pod in pending.values():
        if pod.spec.readiness is None:
            raise pod.failure("no readinessProbe: nothing says when it is ready")
    start = time.monotonic()
    limit = {key: budget or pod.budget() for key, pod in pending.items()}

    def all_ready() -> bool:
        for key, pod in list(pending.items()):
            pod.alive()
            if pod.probe():
                del pending[key]
            elif time.monotonic() - start > limit[key]:
                raise pod.never_ready()
        return not pending

    wait_for(all_ready, timeout=max(limit.values(), default=0) + 30, interval=1.0, what="pods")


@dataclass
class PodRunner:
    """Starts pods on ``network``; ``files`` holds the configMap volumes' files."""

    engine: Engine
    network: str
    files: Path
    claims: dict[str, str] = field(default_factory=dict)
    _sources: dict[str, dict[str, str]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.files.mkdir(parents=True, exist_ok=True)

    def claim(self, name: str, fs_group: int | None, image: str) -> str:
        """The named volume behind PersistentVolumeClaim ``name`` (created on first use)."""
        if name not in self.claims:
            volume = self.engine.volume(f"pvc-{name}")
            if fs_group is not None:  # the kubelet's fsGroup ownership of a fresh volume
                self.engine.run(
                    "run", "--rm", *self.engine.label(), "--user", "0", "--entrypoint", "sh",
                    "--mount", f"type=volume,src={volume},dst=/volume,volume-nocopy",
                    image, "-c", f"chgrp {fs_group} /volume && chmod 2775 /volume",
                )  # fmt: skip
            self.claims[name] = volume
        return self.claims[name]

    def _mount_args(self, pod: Pod, container: Container) -> list[str]:
        args = []
        for mount in container.mounts:
            volume = pod.volumes.get(mount.volume)
            if volume is None:
                raise PodFailedError(f"pod {pod.name}: no volume {mount.volume}")
            source = self._sources[pod.name][volume.name]
            kind = "bind" if volume.kind == "configMap" else "volume"
            spec = f"type={kind},src={source},dst={mount.path}"
            if kind == "volume":
                spec += ",volume-nocopy"  # an emptyDir or a fresh claim starts empty
            if mount.read_only or volume.kind == "configMap":
                spec += ",readonly"
            args += ["--mount", spec]
        return args

    def _create_volumes(self, pod: Pod) -> None:
        self._sources[pod.name] = {
            volume.name: self._volume_source(pod, volume) for volume in pod.volumes.values()
        }

    def _volume_source(self, pod: Pod, volume: Volume) -> str:
        if volume.kind == "emptyDir":
            return self.engine.tmpfs_volume(f"{pod.name}-{volume.name}", volume.size)
        if volume.kind == "pvc":
            return self.claim(volume.claim, pod.fs_group, pod.containers[0].image)
        directory = self.files / f"{pod.name}-{volume.name}"
        directory.mkdir(parents=True)
        for name, content in volume.files:
            path = directory / name
            path.write_text(content)
            path.chmod(volume.mode)
        directory.chmod(0o755)  # readable by the pod's non-root user, as the kubelet's are
        return str(directory)

    def _check_non_root(self, pod: Pod, container: Container) -> None:
        if not container.run_as_non_root or container.user is not None:
            return
        user = self.engine.image_inspect(container.image)["Config"].get("User") or "0"
        if user.split(":")[0] in {"0", "root"}:
            raise PodFailedError(
                f"pod {pod.name}: {container.name} has runAsNonRoot but its image runs as root"
            )

    def _create(self, pod: Pod, container: Container, name: str, *, serve: bool) -> str:
        self._check_non_root(pod, container)
        args = ["run", "-d", "--name", name, *self.engine.label(), "--network", self.network]
        # The kubelet never runs an image's HEALTHCHECK: only the pod's probes count.
        args += ["--hostname", pod.name[:63], "--no-healthcheck"]
        if serve and pod.restart_policy == "Always":  # the kubelet restarts what exits
            args += ["--restart", "always"]
        if serve:
            for alias in pod.aliases:
                args += ["--network-alias", alias]
            for port in container.ports.values():
                args += ["--publish", f"127.0.0.1::{port}"]
        args += run_args(container) + self._mount_args(pod, container)
        args.append(container.image)
        if container.command is not None:
            args += container.command
        self.engine.run(*args)
        return name

    def _run_init(self, pod: Pod) -> None:
        for init in pod.init_containers:
            name = self.engine.name(f"{pod.name}-init-{init.name}")
            self._create(pod, init, name, serve=False)
            code = self.engine.wait(name, timeout=DEFAULT_READY_BUDGET)
            if code != 0:
                raise PodFailedError(
                    f"pod {pod.name}: init container {init.name} exited {code}\n"
                    f"--- log tail ---\n{self.engine.logs(name)}"
                )

    def start(self, pod: Pod) -> RunningPod:
        """Volumes, init containers to completion, then the container, detached."""
        self._create_volumes(pod)
        self._run_init(pod)
        name = self.engine.name(pod.name)
        self._create(pod, pod.containers[0], name, serve=True)
        return RunningPod(pod, name, self.engine)

    def start_all(self, pods: Iterable[Pod]) -> list[RunningPod]:
        """Start ``pods`` at once, as a release's pods are (their init containers overlap)."""
        pods = list(pods)
        with ThreadPoolExecutor(max_workers=max(1, len(pods))) as pool:
            return list(pool.map(self.start, pods))

    def complete(self, pod: Pod, timeout: float | None = None) -> tuple[int, str, str]:
        """Run a Job's pod to completion: its exit code, standard output and standard error."""
        running = self.start(pod)
        budget = timeout or pod.active_deadline or DEFAULT_READY_BUDGET
        code = self.engine.wait(running.container, timeout=budget)
        result = self.engine.run("logs", running.container, check=False)
        return code, result.stdout, result.stderr
