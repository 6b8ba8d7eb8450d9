"""The job queue: validate and queue a training request, claim the next one FIFO, record the
outcome (the worker runs what it claims, :mod:`modelfleet.trainer.worker`).

The ``training_jobs`` table is the queue, so a restart loses nothing: a job left ``running`` by
a crash is put back in the queue when the worker starts (one worker per database is assumed, as
the trainer runs as a single replica). Claiming uses ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so a
second replica by mistake would still never run a job twice.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import cast

import pandas as pd
import pyarrow.parquet as pq
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from modelfleet.common import wire
from modelfleet.common.db.models import TrainingJob, utcnow
from modelfleet.common.errors import BadRequestError, NotFoundError
from modelfleet.common.wire import JobAccepted, JobOut, TrainRequest
from modelfleet.trainer import catalog
from modelfleet.trainer.pipeline import make_classifier
from modelfleet.trainer.training import TrainResult


def job_view(job: TrainingJob) -> JobOut:
    """A ``training_jobs`` row as the API shows it."""
    return JobOut(
        job_id=job.id,
        status=cast(wire.JobStatus, job.status),
        model_name=job.model_name,
        model_type=job.model_type,
        request=job.request,
        run_id=job.run_id,
        model_version=job.model_version,
        metrics=job.metrics,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def read_header(path: Path) -> list[str]:
    """Column names of a CSV or parquet file without reading its rows."""
    if path.stat().st_size == 0:
        raise BadRequestError(f"data: file {path.name} is empty")
    try:
        if path.suffix.lower() in {".parquet", ".pq"}:
            return [str(c) for c in pq.read_schema(path).names]
        return [str(c) for c in pd.read_csv(path, nrows=0).columns]
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        first = str(exc).splitlines()[0]
        raise BadRequestError(f"data: cannot parse {path.name}: {first}") from exc
    except OSError as exc:
        raise BadRequestError(f"data: cannot read {path.name}: {exc}") from exc


def validate(session: Session, request: TrainRequest, seed: int = 42) -> Path:
    """The checks cheap enough to answer synchronously; returns the resolved data file."""
    make_classifier(request.model_type, request.params, seed)
    path, _name = catalog.resolve_data(session, request.data)
    columns = read_header(path)
    if request.target not in columns:
        raise BadRequestError(
            f"target: column {request.target!r} not in {path.name}; "
            f"columns are {', '.join(columns)}"
        )
    for field, names in (("id_columns", request.id_columns or []), ("drop", request.drop)):
        missing = [name for name in names if name not in columns]
        if missing:
            raise BadRequestError(f"{field}: column(s) {', '.join(missing)} not in {path.name}")
    return path


def submit(session: Session, request: TrainRequest, seed: int = 42) -> JobAccepted:
    """Validate and queue a job; a catalog name also names the MLflow dataset input."""
    validate(session, request, seed)
    job = TrainingJob(
        id=str(uuid.uuid4()),
        status=wire.JOB_QUEUED,
        request=request.model_dump(mode="json"),
        model_name=request.model_name,
        model_type=request.model_type,
        created_at=utcnow(),
    )
    session.add(job)
    session.flush()
    return JobAccepted(job_id=job.id, status=wire.JOB_QUEUED)


def get(session: Session, job_id: str) -> JobOut:
    job = session.get(TrainingJob, job_id)
    if job is None:
        raise NotFoundError(f"job {job_id!r} does not exist")
    return job_view(job)


def list_jobs(session: Session, status: str | None = None, limit: int = 100) -> list[JobOut]:
    """Newest first, optionally only one status."""
    if status is not None and status not in wire.JOB_STATUSES:
        raise BadRequestError(
            f"status: must be one of {', '.join(wire.JOB_STATUSES)}, got {status!r}"
        )
    query = select(TrainingJob).order_by(TrainingJob.created_at.desc()).limit(limit)
    if status is not None:
        query = query.where(TrainingJob.status == status)
    return [job_view(job) for job in session.scalars(query)]


def requeue_interrupted(session: Session) -> int:
    """Put jobs a crash left ``running`` back in the queue; returns how many."""
    result = session.execute(
        update(TrainingJob)
        .where(TrainingJob.status == wire.JOB_RUNNING)
        .values(status=wire.JOB_QUEUED, started_at=None, error="re-queued after a restart")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def claim_next(session: Session) -> TrainingJob | None:
    """Mark the oldest queued job ``running`` and return it (None when the queue is empty)."""
    query = (
        select(TrainingJob)
        .where(TrainingJob.status == wire.JOB_QUEUED)
        .order_by(TrainingJob.created_at, TrainingJob.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    job = session.scalars(query).first()
    if job is None:
        return None
    job.status = wire.JOB_RUNNING
    job.started_at = utcnow()
    job.error = None
    session.flush()
    return job


def succeed(session: Session, job_id: str, result: TrainResult) -> None:
    job = session.get(TrainingJob, job_id)
    if job is None:
        return
    job.status = wire.JOB_SUCCEEDED
    job.run_id = result.run_id
    job.model_version = result.version
    job.metrics = {k: v for k, v in result.metrics.items() if k.startswith("test_")}
    job.error = None
    job.finished_at = utcnow()


def fail(session: Session, job_id: str, error: str) -> None:
    job = session.get(TrainingJob, job_id)
    if job is None:
        return
    job.status = wire.JOB_FAILED
    job.error = error
    job.finished_at = utcnow()


def counts_by_status(session: Session) -> dict[str, int]:
    """``{status: jobs}`` for every status, zeros included (the ``/metrics`` gauge)."""
    rows = session.execute(
        select(TrainingJob.status, func.count()).group_by(TrainingJob.status)
    ).all()
    counts: dict[str, int] = dict.fromkeys(wire.JOB_STATUSES, 0)
    counts.update({str(status): int(n) for status, n in rows})
    return counts
