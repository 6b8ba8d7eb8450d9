"""Rendered Kubernetes pod specs, translated into what ``docker run`` must be told.

Only the translation lives here (no engine): what Kubernetes would give a container -- command
and arguments, environment, security context, volumes, ports, probes, resource limits, and the
Service names that reach its pod -- as plain data. :mod:`tests.containers.pods` starts pods from
it; ``test_podspec.py`` checks the rules on their own, since a wrong rule would prove nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .cluster import Cluster, Manifest, UnsupportedSpecError, container_env, expand


@dataclass(frozen=True)
class Probe:
    kind: str  # http | exec | tcp
    path: str = ""
    port: int = 0
    command: tuple[str, ...] = ()
    timeout: float = 1.0

    @classmethod
    def parse(cls, probe: Manifest | None, ports: Mapping[str, int]) -> Probe | None:
        if not probe:
            return None
        timeout = float(probe.get("timeoutSeconds", 1))
        if "httpGet" in probe:
            get = probe["httpGet"]
            if get.get("scheme", "HTTP") != "HTTP":
                raise UnsupportedSpecError(f"probe scheme {get['scheme']}")
            return cls("http", path=get.get("path", "/"), port=_port(get["port"], ports),
                       timeout=timeout)  # fmt: skip
        if "exec" in probe:
            return cls("exec", command=tuple(probe["exec"]["command"]), timeout=timeout)
        if "tcpSocket" in probe:
            return cls("tcp", port=_port(probe["tcpSocket"]["port"], ports), timeout=timeout)
        raise UnsupportedSpecError(f"probe {sorted(probe)}")

    @staticmethod
    def budget(probe: Manifest | None) -> float:
        """How long Kubernetes lets a container take before this probe gives up on it."""
        if not probe:
            return 0.0
        return float(
            probe.get("initialDelaySeconds", 0)
            + probe.get("periodSeconds", 10) * probe.get("failureThreshold", 3)
        )


def _port(value: int | str, ports: Mapping[str, int]) -> int:
    if isinstance(value, int):
        return value
    if value not in ports:
        raise UnsupportedSpecError(f"named port {value!r} is not declared by the container")
    return ports[value]


@dataclass(frozen=True)
class Mount:
    volume: str
    path: str
    read_only: bool


@dataclass(frozen=True)
class Volume:
    """A pod volume: ``emptyDir`` (tmpfs), ``pvc`` (a named volume) or ``configMap`` (files)."""

    name: str
    kind: str
    size: str = ""
    claim: str = ""
    files: tuple[tuple[str, str], ...] = ()
    mode: int = 0o644


@dataclass
class Container:
    name: str
    image: str
    entrypoint: list[str] | None  # None: the image's ENTRYPOINT
    command: list[str] | None  # None: the image's CMD
    env: dict[str, str]
    user: str | None
    groups: list[int]
    read_only: bool
    cap_drop: list[str]
    cap_add: list[str]
    no_new_privileges: bool
    run_as_non_root: bool
    ports: dict[str, int]
    readiness: Probe | None
    startup_budget: float
    mounts: list[Mount]
    cpus: str | None
    memory: str | None


@dataclass
class Pod:
    """One pod of a workload (replica 0), with the Service names that select it."""

    name: str
    kind: str
    labels: dict[str, str]
    init_containers: list[Container]
    containers: list[Container]
    volumes: dict[str, Volume]
    aliases: list[str]
    active_deadline: float | None
    fs_group: int | None
    restart_policy: str


def _quantity_cpus(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return str(int(text[:-1]) / 1000) if text.endswith("m") else text


def _quantity_bytes(value: Any) -> str | None:
    if value is None:
        return None
    units = {"Ki": "k", "Mi": "m", "Gi": "g"}
    text = str(value)
    for suffix, docker in units.items():
        if text.endswith(suffix):
            return text[: -len(suffix)] + docker
    return text


def _container(
    spec: Manifest, pod_spec: Manifest, cluster: Cluster, pod_meta: Manifest
) -> Container:
    env = container_env(spec, cluster, pod_meta)
    command = [expand(c, env) for c in spec.get("command", [])] or None
    args = [expand(a, env) for a in spec.get("args", [])] if "args" in spec else None
    # Kubernetes: `command` replaces ENTRYPOINT (and drops CMD), `args` replaces CMD. docker:
    # --entrypoint takes the executable only (and clears CMD); the rest goes after the image.
    if command:
        entrypoint: list[str] | None = command[:1]
        cmd: list[str] | None = command[1:] + (args or [])
    else:
        entrypoint, cmd = None, args
    pod_ctx = pod_spec.get("securityContext") or {}
    ctx = {**pod_ctx, **(spec.get("securityContext") or {})}
    for key in ("windowsOptions", "appArmorProfile", "seLinuxOptions", "procMount"):
        if key in ctx:
            raise UnsupportedSpecError(f"securityContext.{key}")
    seccomp = (ctx.get("seccompProfile") or {}).get("type", "RuntimeDefault")
    if seccomp != "RuntimeDefault":  # the engine's default profile is RuntimeDefault
        raise UnsupportedSpecError(f"seccompProfile {seccomp}")
    if ctx.get("privileged"):
        raise UnsupportedSpecError("privileged container")
    uid, gid = ctx.get("runAsUser"), ctx.get("runAsGroup")
    user = None if uid is None else (f"{uid}:{gid}" if gid is not None else str(uid))
    groups = [int(g) for g in pod_ctx.get("supplementalGroups", [])]
    if pod_ctx.get("fsGroup") is not None:
        groups.append(int(pod_ctx["fsGroup"]))
    caps = ctx.get("capabilities") or {}
    ports = {
        p.get("name", str(p["containerPort"])): p["containerPort"] for p in spec.get("ports", [])
    }
    limits = (spec.get("resources") or {}).get("limits") or {}
    return Container(
        name=spec["name"],
        image=spec["image"],
        entrypoint=entrypoint,
        command=cmd,
        env=env,
        user=user,
        groups=groups,
        read_only=bool(ctx.get("readOnlyRootFilesystem")),
        cap_drop=list(caps.get("drop", [])),
        cap_add=list(caps.get("add", [])),
        # Kubernetes' default is true; only an explicit false sets no_new_privs.
        no_new_privileges=ctx.get("allowPrivilegeEscalation") is False,
        run_as_non_root=bool(ctx.get("runAsNonRoot")),
        ports=ports,
        readiness=Probe.parse(spec.get("readinessProbe"), ports),
        startup_budget=max(
            Probe.budget(spec.get("startupProbe")), Probe.budget(spec.get("readinessProbe"))
        ),
        mounts=_mounts(spec),
        cpus=_quantity_cpus(limits.get("cpu")),
        memory=_quantity_bytes(limits.get("memory")),
    )


def _mounts(spec: Manifest) -> list[Mount]:
    mounts = []
    for m in spec.get("volumeMounts", []):
        if m.get("subPath"):
            raise UnsupportedSpecError(f"subPath mount {m['mountPath']}")
        mounts.append(Mount(m["name"], m["mountPath"], bool(m.get("readOnly"))))
    return mounts


def _volumes(pod_spec: Manifest, cluster: Cluster, claims: Mapping[str, str]) -> dict[str, Volume]:
    volumes = {}
    for v in pod_spec.get("volumes", []):
        name = v["name"]
        if "emptyDir" in v:
            empty = v["emptyDir"] or {}
            if empty.get("medium") not in (None, "", "Memory"):
                raise UnsupportedSpecError(f"emptyDir medium {empty['medium']}")
            size = _quantity_bytes(empty.get("sizeLimit")) or "1g"
            volumes[name] = Volume(name, "emptyDir", size=size)
        elif "persistentVolumeClaim" in v:
            volumes[name] = Volume(name, "pvc", claim=v["persistentVolumeClaim"]["claimName"])
        elif "configMap" in v:
            ref = v["configMap"]
            if ref["name"] not in cluster.config_maps:
                raise UnsupportedSpecError(f"configMap volume {ref['name']} is not rendered")
            files = tuple(sorted(cluster.config_maps[ref["name"]].items()))
            volumes[name] = Volume(
                name, "configMap", files=files, mode=ref.get("defaultMode", 0o644)
            )
        else:
            raise UnsupportedSpecError(f"volume {name}: {sorted(set(v) - {'name'})}")
    for name, claim in claims.items():  # StatefulSet volumeClaimTemplates
        volumes[name] = Volume(name, "pvc", claim=claim)
    return volumes


def pod_of(manifest: Manifest, cluster: Cluster) -> Pod:
    """The pod a Deployment, StatefulSet, Job, CronJob (one run) or Pod manifest would start."""
    kind, meta = manifest["kind"], manifest["metadata"]
    spec = manifest.get("spec", {})
    claims: dict[str, str] = {}
    deadline = None
    if kind == "Pod":
        template = {"metadata": meta, "spec": spec}
    elif kind in {"Deployment", "StatefulSet"}:
        template = spec["template"]
        for tmpl in spec.get("volumeClaimTemplates", []):
            tname = tmpl["metadata"]["name"]
            claims[tname] = f"{tname}-{meta['name']}-0"
    elif kind == "Job":
        template, deadline = spec["template"], spec.get("activeDeadlineSeconds")
    elif kind == "CronJob":
        job = spec["jobTemplate"]["spec"]
        template, deadline = job["template"], job.get("activeDeadlineSeconds")
    else:
        raise UnsupportedSpecError(f"kind {kind}")
    pod_spec = template["spec"]
    if pod_spec.get("hostNetwork") or pod_spec.get("hostPID") or pod_spec.get("hostIPC"):
        raise UnsupportedSpecError("host namespaces")
    labels = dict((template.get("metadata") or {}).get("labels") or {})
    pod_meta = {"name": meta["name"]}
    containers = [_container(c, pod_spec, cluster, pod_meta) for c in pod_spec["containers"]]
    if len(containers) != 1:
        raise UnsupportedSpecError(f"{meta['name']}: {len(containers)} containers in one pod")
    aliases = []
    for service in cluster.services:
        if not service.selects(labels):
            continue
        for sp in service.ports:
            target = _port(sp.target, containers[0].ports)
            if target != sp.port:
                raise UnsupportedSpecError(
                    f"Service {service.name} maps port {sp.port} to {target}: network aliases "
                    "cannot remap ports"
                )
        aliases += service.dns_names()
    return Pod(
        name=meta["name"],
        kind=kind,
        labels=labels,
        init_containers=[
            _container(c, pod_spec, cluster, pod_meta) for c in pod_spec.get("initContainers", [])
        ],
        containers=containers,
        volumes=_volumes(pod_spec, cluster, claims),
        aliases=aliases,
        active_deadline=float(deadline) if deadline else None,
        fs_group=(pod_spec.get("securityContext") or {}).get("fsGroup"),
        restart_policy=pod_spec.get("restartPolicy", "Always"),
    )
