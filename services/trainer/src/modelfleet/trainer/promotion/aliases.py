"""The MLflow aliases a promotion reads and moves, each move tagged with its reason."""

from __future__ import annotations

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from modelfleet.common import model_contract as contract
from modelfleet.common.errors import UnavailableError


def holder(client: MlflowClient, model: str, alias: str) -> str | None:
    """Read from the registered model: version search results do not always carry aliases."""
    try:
        aliases = client.get_registered_model(model).aliases or {}
    except MlflowException as exc:
        raise UnavailableError(f"cannot read the aliases of {model}: {exc}") from exc
    version = aliases.get(alias)
    return None if version is None else str(version)


def move(client: MlflowClient, model: str, alias: str, version: str, reason: str) -> None:
    """Point ``alias`` at ``version`` and record why on the version."""
    try:
        client.set_registered_model_alias(model, alias, version)
        client.set_model_version_tag(model, version, contract.TAG_PROMOTION_REASON, reason)
    except MlflowException as exc:
        raise UnavailableError(f"cannot move alias {alias} of {model}: {exc}") from exc
