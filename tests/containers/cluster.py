"""The rendered objects a pod spec refers to (ConfigMaps, Secrets, Services) and the
Kubernetes rules for reading them: ``$(VAR)`` expansion and a container's environment."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Manifest = dict[str, Any]


class UnsupportedSpecError(AssertionError):
    """The pod spec uses something the docker translation cannot reproduce faithfully."""


def expand(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes' ``$(VAR)`` expansion: defined names are replaced, ``$$`` is a literal ``$``,
    and a reference to an undefined name stays as written."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "$" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            if nxt == "(":
                end = text.find(")", i + 2)
                if end != -1:
                    name = text[i + 2 : end]
                    out.append(env.get(name, f"$({name})"))
                    i = end + 1
                    continue
        out.append(char)
        i += 1
    return "".join(out)


@dataclass(frozen=True)
class ServicePort:
    port: int
    target: int | str


@dataclass(frozen=True)
class Service:
    name: str
    namespace: str
    selector: dict[str, str]
    ports: tuple[ServicePort, ...]

    def dns_names(self) -> list[str]:
        """The names a pod in the cluster may use for this Service."""
        base = f"{self.name}.{self.namespace}"
        return [self.name, base, f"{base}.svc", f"{base}.svc.cluster.local"]

    def selects(self, labels: Mapping[str, str]) -> bool:
        return bool(self.selector) and all(labels.get(k) == v for k, v in self.selector.items())


@dataclass
class Cluster:
    """The rendered objects a pod's spec refers to: ConfigMaps, Secrets, Services."""

    namespace: str
    config_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    secrets: dict[str, dict[str, str]] = field(default_factory=dict)
    services: list[Service] = field(default_factory=list)

    @classmethod
    def from_manifests(cls, manifests: Iterable[Manifest], namespace: str) -> Cluster:
        cluster = cls(namespace)
        for m in manifests:
            kind, name = m.get("kind"), m.get("metadata", {}).get("name", "")
            if kind == "ConfigMap":
                cluster.config_maps[name] = {k: str(v) for k, v in (m.get("data") or {}).items()}
            elif kind == "Secret":
                data = {k: base64.b64decode(v).decode() for k, v in (m.get("data") or {}).items()}
                data.update({k: str(v) for k, v in (m.get("stringData") or {}).items()})
                cluster.secrets[name] = data
            elif kind == "Service":
                spec = m["spec"]
                ports = tuple(
                    ServicePort(p["port"], p.get("targetPort", p["port"]))
                    for p in spec.get("ports", [])
                )
                cluster.services.append(
                    Service(name, namespace, dict(spec.get("selector") or {}), ports)
                )
        return cluster

    def add_secret(self, name: str, data: Mapping[str, str]) -> None:
        """A Secret the chart expects to exist already (``existingSecret`` values)."""
        self.secrets[name] = dict(data)

    def lookup(self, kind: str, name: str, key: str, optional: bool) -> str | None:
        store = self.config_maps if kind == "configMapKeyRef" else self.secrets
        if name not in store or key not in store[name]:
            if optional:
                return None
            raise UnsupportedSpecError(
                f"{kind} {name}/{key} does not exist in the rendered objects"
            )
        return store[name][key]


def container_env(container: Manifest, cluster: Cluster, pod_meta: Manifest) -> dict[str, str]:
    """``envFrom`` first, then ``env`` in order (later names win), as the kubelet builds it."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        prefix = source.get("prefix", "")
        if "configMapRef" in source:
            ref, store = source["configMapRef"], cluster.config_maps
        elif "secretRef" in source:
            ref, store = source["secretRef"], cluster.secrets
        else:
            raise UnsupportedSpecError(f"envFrom {sorted(source)}")
        if ref["name"] not in store:
            if ref.get("optional"):
                continue
            raise UnsupportedSpecError(
                f"envFrom {ref['name']} does not exist in the rendered objects"
            )
        for key, value in store[ref["name"]].items():
            env[prefix + key] = value
    for var in container.get("env", []):
        name = var["name"]
        if "valueFrom" not in var:  # a value, possibly referring to the variables before it
            env[name] = expand(str(var.get("value", "")), env)
            continue
        source = var["valueFrom"]
        kind = next(iter(source), "")
        if kind in {"configMapKeyRef", "secretKeyRef"}:
            ref = source[kind]
            found = cluster.lookup(kind, ref["name"], ref["key"], bool(ref.get("optional")))
            if found is not None:
                env[name] = found
        elif kind == "fieldRef":
            path = source[kind]["fieldPath"]
            fields = {"metadata.name": pod_meta["name"], "metadata.namespace": cluster.namespace}
            if path not in fields:
                raise UnsupportedSpecError(f"fieldRef {path}")
            env[name] = fields[path]
        else:
            raise UnsupportedSpecError(f"env {name}: valueFrom {kind}")
    return env
