"""One run of the evaluation job, as the route, the CLI and the CronJob command start it."""

from __future__ import annotations

from sqlalchemy import Engine

from modelfleet.collector.config import CollectorSettings
from modelfleet.collector.evaluation.golden import resolve_golden
from modelfleet.collector.evaluation.runner import EvaluationRunner, Outcome, Reporter
from modelfleet.collector.evaluation.targets import (
    ApiClientFactory,
    Target,
    default_namespace,
    explicit_targets,
    kubernetes_targets,
    load_api_client,
    local_targets,
)
from modelfleet.common.errors import BadRequestError


def resolve_targets(
    settings: CollectorSettings,
    urls: list[str],
    discover: str | None,
    api_client_factory: ApiClientFactory = load_api_client,
) -> list[Target]:
    """Explicit URLs win; else discovery (argument, else ``MODELFLEET_DISCOVER``)."""
    if urls:
        return explicit_targets(urls)
    mode = discover or settings.discover
    if mode == "k8s":
        namespace = settings.namespace or default_namespace()
        return kubernetes_targets(api_client_factory(), namespace, settings.model_server_selector)
    if mode == "local":
        return local_targets(settings.model_server_urls, settings.resolved_fleet_state_file())
    if mode is None:
        raise BadRequestError("targets: give model-server URLs or a discovery mode (k8s or local)")
    raise BadRequestError(f"discover: must be 'k8s' or 'local', got {mode!r}")


def run_evaluations(
    engine: Engine,
    settings: CollectorSettings,
    *,
    golden: str | None = None,
    target: str | None = None,
    urls: list[str] | None = None,
    discover: str | None = None,
    reporter: Reporter | None = None,
    api_client_factory: ApiClientFactory = load_api_client,
) -> list[Outcome]:
    """Resolve the golden set and the targets, then evaluate every target."""
    targets = resolve_targets(settings, urls or [], discover, api_client_factory)
    golden_set = resolve_golden(engine, golden or settings.golden, target or settings.golden_target)
    return EvaluationRunner(engine, settings).run(targets, golden_set, reporter)
