"""Composition root of the model server: everything is built here from ``Settings``.

``__main__`` (HTTP serving, through :func:`app_from_environment` in each worker process), file
scoring and tests all call :func:`build_dataplane`; the app factory only mounts routers on the
plane it is given.
"""

from __future__ import annotations

import functools
import gc

import httpx
from fastapi import FastAPI

from modelfleet.common.logging import configure_logging
from modelfleet.model_server.config import ModelServerSettings
from modelfleet.model_server.dataplane import DataPlane
from modelfleet.model_server.execution import PATHS
from modelfleet.model_server.loader import Loader, ModelHolder
from modelfleet.model_server.logging_shipper import LogShipper
from modelfleet.model_server.metrics import ServerMetrics
from modelfleet.model_server.runtime import LoadedModel, load
from modelfleet.model_server.serving import ServedModel
from modelfleet.model_server.spool import Spool
from modelfleet.model_server.workers import WorkerSlot, WorkerSlots, exit_with_supervisor


def app_from_environment() -> FastAPI:
    """The app of one worker process, everything built from the environment's settings."""
    from modelfleet.model_server.app import create_app

    exit_with_supervisor()
    settings = ModelServerSettings()
    configure_logging(settings.log_level, settings.log_json)
    return create_app(settings, build_dataplane(settings))


def build_dataplane(
    settings: ModelServerSettings,
    *,
    batch: bool = False,
    loader: Loader | None = None,
    metrics: ServerMetrics | None = None,
) -> DataPlane:
    """The data plane of this worker process (or of a batch scoring run, ``batch``).

    The worker first claims its slot (see :mod:`modelfleet.model_server.workers`): the slot
    names its log spool, and the plane is ready only once every slot's worker is.
    """
    metrics = metrics or ServerMetrics()
    if batch:
        slots = WorkerSlots(settings.batch_dir(), None)
    else:
        slots = WorkerSlots(settings.instance_dir(), settings.resolved_workers())
    slot = slots.claim()
    if settings.prometheus_multiproc_dir is not None and slot.previous_pid is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(slot.previous_pid, str(settings.prometheus_multiproc_dir))
    holder = ModelHolder(
        settings.model_ref.uri,
        loader or registry_loader(settings),
        functools.partial(prepare, settings, metrics, slot),
        first_delay=settings.load_retry_seconds,
        max_delay=settings.load_retry_max,
    )
    shipper = log_shipper(settings, metrics, slot.index, batch=batch, workers=slots.count)
    return DataPlane(holder, metrics, shipper, slots=None if batch else slots, slot=slot)


def registry_loader(settings: ModelServerSettings) -> Loader:
    """Load the configured version (or alias) through the tracking server."""
    return functools.partial(
        load,
        settings.model_ref,
        settings.mlflow_tracking_uri,
        unknown=settings.unknown_columns,
        max_rows=settings.max_rows,
        compiled=settings.compiled,
        verify_rows=settings.verify_rows,
    )


def prepare(
    settings: ModelServerSettings, metrics: ServerMetrics, slot: WorkerSlot, model: LoadedModel
) -> ServedModel:
    """Make a freshly loaded model servable (on the event loop's thread) and mark the slot.

    The loaded model's objects (thousands of tree nodes, arrays, the pipeline) move to the
    garbage collector's permanent generation: full collections stop walking them, which would
    otherwise stall a request now and then.
    """
    gc.collect()
    gc.freeze()
    for path in PATHS:
        metrics.execution.labels(path).set(1 if path == model.execution_report.path else 0)
    on_batch = metrics.batch_observer(model.name, model.version)
    budget = settings.inline_predict_ms / 1000.0
    inline_rows = model.cost.rows_within(budget) if model.cost is not None and budget else 0
    if settings.batching:
        served = ServedModel.batched(
            model,
            settings.inference_threads,
            max_batch_size=settings.max_batch_size,
            max_wait=settings.max_batch_wait_ms / 1000.0,
            on_batch=on_batch,
            inline_rows=inline_rows,
        )
    else:
        served = ServedModel.direct(
            model, settings.inference_threads, on_batch, inline_rows=inline_rows
        )
    slot.mark_ready()
    return served


def log_shipper(
    settings: ModelServerSettings,
    metrics: ServerMetrics,
    slot: int,
    *,
    batch: bool = False,
    workers: int | None = None,
) -> LogShipper | None:
    """The shipper to the collector, or None when no collector is configured.

    Its spool is the slot's; spools of slots a smaller worker count no longer has are adopted
    by the slot with the same remainder, so their batches are still replayed.
    """
    if not settings.collector_url:
        return None
    spool = Spool(settings.resolved_spool_dir(slot, batch=batch), settings.spool_max_bytes)
    if workers:
        for orphan in sorted(spool.directory.parent.glob("worker-*")):
            index = orphan.name.removeprefix("worker-")
            if index.isdigit() and int(index) >= workers and int(index) % workers == slot:
                spool.adopt(orphan)
    token = settings.collector_bearer()
    client = httpx.AsyncClient(
        base_url=settings.collector_url.rstrip("/"),
        headers={"Authorization": f"Bearer {token}"} if token else {},
        timeout=httpx.Timeout(10.0, connect=2.0),
    )
    return LogShipper(
        client,
        spool,
        metrics,
        batch_rows=settings.log_batch_size,
        flush_seconds=settings.log_flush_seconds,
        max_queue_rows=settings.log_queue_rows,
        max_backoff=settings.log_retry_max_seconds,
    )
