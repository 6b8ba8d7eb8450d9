"""MLflow helpers: resolve ``models:/name/version`` and ``models:/name@alias``, read a version."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from modelfleet.common.errors import NotFoundError, UnavailableError

_MODEL_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:/(?P<version>\d+)|@(?P<alias>[\w-]+))$")


@dataclass(frozen=True)
class ModelRef:
    """A registered model name plus exactly one of version or alias."""

    name: str
    version: str | None = None
    alias: str | None = None

    def __post_init__(self) -> None:
        if (self.version is None) == (self.alias is None):
            raise ValueError("give exactly one of version or alias")

    @property
    def uri(self) -> str:
        return (
            f"models:/{self.name}/{self.version}"
            if self.version
            else f"models:/{self.name}@{self.alias}"
        )

    @classmethod
    def parse(cls, uri: str) -> ModelRef:
        """Parse ``models:/name/3`` or ``models:/name@champion``."""
        match = _MODEL_URI.match(uri)
        if not match:
            raise ValueError(
                f"not a registered-model URI: {uri!r} "
                "(expected models:/<name>/<version> or models:/<name>@<alias>)"
            )
        return cls(match["name"], match["version"], match["alias"])


@dataclass
class VersionInfo:
    """What a service needs to know about one registered version."""

    name: str
    version: str
    run_id: str
    source: str
    aliases: list[str]
    tags: dict[str, str]
    run_tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)


def resolve(client: MlflowClient, ref: ModelRef) -> ModelVersion:
    """The concrete version a reference points at; NotFoundError / UnavailableError otherwise."""
    try:
        if ref.alias:
            return client.get_model_version_by_alias(ref.name, ref.alias)
        return client.get_model_version(ref.name, str(ref.version))
    except MlflowException as exc:
        if _is_not_found(exc):
            raise NotFoundError(f"{ref.uri} does not exist in the MLflow registry") from exc
        raise UnavailableError(
            f"MLflow registry unavailable while resolving {ref.uri}: {_short(exc)}"
        ) from exc
    except OSError as exc:
        raise UnavailableError(f"MLflow tracking server unreachable: {exc}") from exc


def version_info(client: MlflowClient, ref: ModelRef) -> VersionInfo:
    """Resolve a reference and read its run's metrics, params and tags."""
    mv = resolve(client, ref)
    info = VersionInfo(
        name=mv.name,
        version=str(mv.version),
        run_id=mv.run_id or "",
        source=mv.source or "",
        aliases=list(mv.aliases or []),
        tags=dict(mv.tags),
    )
    if mv.run_id:
        run = client.get_run(mv.run_id)
        info.metrics = dict(run.data.metrics)
        info.params = dict(run.data.params)
        info.run_tags = dict(run.data.tags)
    return info


def download_artifact(client: MlflowClient, run_id: str, path: str, dst: Path) -> Path:
    """Download one run artifact into ``dst``; NotFoundError when the run does not have it."""
    dst.mkdir(parents=True, exist_ok=True)
    try:
        return Path(client.download_artifacts(run_id, path, str(dst)))
    except MlflowException as exc:
        raise NotFoundError(f"run {run_id} has no artifact {path!r}: {_short(exc)}") from exc
    except OSError as exc:
        if "No such file" in str(exc) or "not found" in str(exc).lower():
            raise NotFoundError(f"run {run_id} has no artifact {path!r}") from exc
        raise UnavailableError(f"MLflow artifact download failed: {exc}") from exc


def read_json_artifact(client: MlflowClient, run_id: str, path: str, dst: Path) -> Any:
    """Download and parse a JSON artifact."""
    return json.loads(download_artifact(client, run_id, path, dst).read_text())


def versions_of(client: MlflowClient, name: str) -> list[ModelVersion]:
    """Every version of a registered model, newest first."""
    try:
        found = client.search_model_versions(f"name = '{name}'")
    except MlflowException as exc:
        raise UnavailableError(f"MLflow registry unavailable: {_short(exc)}") from exc
    return sorted(found, key=lambda mv: int(mv.version), reverse=True)


def _is_not_found(exc: MlflowException) -> bool:
    return exc.error_code in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"}


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:300]
