"""Which model-servers to evaluate: explicit URLs, the local fleet, or Kubernetes Services.

In Kubernetes the job lists the Services labelled ``app.kubernetes.io/component=model-server``
in its namespace with the official client. The label selector is sent to the API server and
checked again on what comes back, so a proxy or emulator that ignores selectors cannot make the
job evaluate a Service that is not a model-server.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelfleet.common.errors import ModelfleetError

logger = logging.getLogger(__name__)

ApiClientFactory = Callable[[], Any]
"""Builds a ``kubernetes.client.ApiClient`` (tests point one at an emulator)."""

NAMESPACE_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


class DiscoveryError(ModelfleetError):
    """Model-servers could not be listed (no cluster access, RBAC refusal …)."""

    status_code = 502


@dataclass(frozen=True)
class Target:
    """A model-server to evaluate, and where its URL came from."""

    url: str
    origin: str = "explicit"


def explicit_targets(urls: list[str]) -> list[Target]:
    """URLs given by a person or a caller, without duplicates, in order."""
    seen: dict[str, Target] = {}
    for url in urls:
        clean = url.strip().rstrip("/")
        if clean and clean not in seen:
            seen[clean] = Target(clean)
    return list(seen.values())


def local_targets(urls: list[str], state_file: Path) -> list[Target]:
    """Running model-servers of the local fleet's state file, plus configured URLs.

    The state file is written by ``modelfleet up``/``deploy`` (format version 1:
    ``{"processes": {name: {"kind", "url", "pid", …}}}``); a stopped server has no pid.
    """
    found = []
    try:
        state = json.loads(state_file.read_text())
    except FileNotFoundError:
        state = {}
    except (OSError, ValueError) as exc:
        raise DiscoveryError(f"cannot read the fleet state file {state_file}: {exc}") from exc
    for record in (state.get("processes") or {}).values():
        if record.get("kind") == "model-server" and record.get("pid") and record.get("url"):
            found.append(record["url"])
    return [Target(t.url, "local") for t in explicit_targets(found + urls)]


def _parse_selector(selector: str) -> dict[str, str]:
    pairs = {}
    for part in selector.split(","):
        key, _, value = part.partition("=")
        pairs[key.strip()] = value.strip()
    return pairs


def _service_port(ports: list[Any]) -> int | None:
    """The port named ``http`` if any, else the first one."""
    if not ports:
        return None
    for port in ports:
        if port.name == "http":
            return int(port.port)
    return int(ports[0].port)


def default_namespace() -> str:
    """The pod's own namespace in a cluster, else ``default``."""
    try:
        return NAMESPACE_FILE.read_text().strip() or "default"
    except OSError:
        return "default"


def load_api_client() -> Any:
    """An ApiClient from in-cluster config, else from the kubeconfig."""
    from kubernetes import client, config

    try:
        config.load_incluster_config()
    except config.ConfigException:
        try:
            config.load_kube_config()
        except (config.ConfigException, OSError) as exc:
            raise DiscoveryError(
                f"no Kubernetes access: not in a cluster and no usable kubeconfig ({exc})"
            ) from exc
    return client.ApiClient()


def kubernetes_targets(api_client: Any, namespace: str, selector: str) -> list[Target]:
    """Model-server Services of ``namespace`` as ``http://name.namespace.svc:port`` targets."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    api = client.CoreV1Api(api_client)
    try:
        services = api.list_namespaced_service(namespace, label_selector=selector)
    except ApiException as exc:
        if exc.status in (401, 403):
            raise DiscoveryError(
                f"Kubernetes refused to list Services in namespace {namespace!r} "
                f"(HTTP {exc.status} {exc.reason}): the collector's ServiceAccount needs a Role "
                "allowing 'list' on 'services' in that namespace"
            ) from exc
        raise DiscoveryError(
            f"listing Services in namespace {namespace!r} failed: HTTP {exc.status} {exc.reason}"
        ) from exc
    except HTTPError as exc:
        raise DiscoveryError(f"Kubernetes API unreachable: {exc}") from exc
    wanted = _parse_selector(selector)
    targets = []
    for service in services.items:
        meta, spec = service.metadata, service.spec
        if meta is None or spec is None:
            continue
        labels = meta.labels or {}
        if any(labels.get(key) != value for key, value in wanted.items()):
            continue
        port = _service_port(spec.ports or [])
        if port is None:
            logger.warning("service %s/%s has no port, skipped", meta.namespace, meta.name)
            continue
        namespace_of = meta.namespace or namespace
        targets.append(Target(f"http://{meta.name}.{namespace_of}.svc:{port}", "k8s"))
    return sorted(targets, key=lambda t: t.url)
