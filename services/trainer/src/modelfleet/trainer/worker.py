"""Runs trainings: :func:`run_training` trains one request in this process with the configured
knobs (the ``train`` command and the CLI call it directly), and :class:`TrainingWorker` is the
service's background thread that claims queued jobs one at a time, oldest first, and runs them.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from mlflow.exceptions import MlflowException
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from threadpoolctl import threadpool_limits

from modelfleet.common.db.engine import session_scope
from modelfleet.common.errors import ModelfleetError
from modelfleet.common.wire import JOB_FAILED, JOB_SUCCEEDED, TrainRequest
from modelfleet.trainer import catalog, job_queue
from modelfleet.trainer.config import TrainerSettings
from modelfleet.trainer.metrics import TrainerMetrics
from modelfleet.trainer.training import Progress, TrainResult, train_and_register

logger = logging.getLogger(__name__)


def run_training(
    request: TrainRequest,
    settings: TrainerSettings,
    session_factory: sessionmaker[Session] | None,
    progress: Progress | None = None,
) -> TrainResult:
    """Resolve the data and train, log and register one version with the configured knobs."""
    request, path = _resolve_data(request, session_factory)
    with threadpool_limits(limits=settings.threads):
        return train_and_register(
            request,
            tracking_uri=settings.mlflow_tracking_uri,
            data_path=path,
            reference_rows=settings.reference_rows,
            test_size=settings.test_size,
            seed=settings.seed,
            permutation_rows=settings.permutation_rows,
            progress=progress,
        )


def _resolve_data(
    request: TrainRequest, session_factory: sessionmaker[Session] | None
) -> tuple[TrainRequest, Path]:
    """The data file of a request; a catalog dataset also names the MLflow dataset input.

    A plain file path needs no database, so ``modelfleet train --data file.csv`` works on a
    machine whose database was never migrated.
    """
    path = Path(request.data).expanduser()
    if path.is_file() or session_factory is None:
        return request, path
    with session_scope(session_factory) as session:
        path, name = catalog.resolve_data(session, request.data)
    if name is not None and request.dataset_name is None:
        request = request.model_copy(update={"dataset_name": name})
    return request, path


class TrainingWorker:
    """Polls the ``training_jobs`` queue; ``notify()`` wakes it at once after a submission.

    The thread is a daemon: stopping the service does not wait for a fit to finish. The job
    stays ``running`` in the table and :func:`job_queue.requeue_interrupted` re-queues it at
    the next start, so an interrupted job runs again rather than being lost.
    """

    def __init__(
        self,
        settings: TrainerSettings,
        session_factory: sessionmaker[Session],
        metrics: TrainerMetrics,
    ) -> None:
        self._settings = settings
        self._factory = session_factory
        self._metrics = metrics
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with session_scope(self._factory) as session:
            requeued = job_queue.requeue_interrupted(session)
        if requeued:
            logger.warning("re-queued %d job(s) left running by a previous process", requeued)
        self._thread = threading.Thread(target=self._loop, name="training-worker", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                ran = self.run_next()
            except SQLAlchemyError as exc:
                logger.error("job queue unavailable: %s", exc)
                ran = False
            if not ran:
                self._wake.wait(self._settings.worker_poll_seconds)
                self._wake.clear()

    def run_next(self) -> bool:
        """Claim and run the oldest queued job; False when the queue was empty."""
        with session_scope(self._factory) as session:
            job = job_queue.claim_next(session)
            if job is None:
                return False
            job_id, payload, model_type = job.id, dict(job.request), job.model_type
        logger.info("job %s started", job_id, extra={"job_id": job_id})
        start = time.perf_counter()
        outcome = JOB_FAILED
        try:
            request = TrainRequest.model_validate(payload)
            result = run_training(request, self._settings, self._factory)
        except ModelfleetError as exc:
            self._record_failure(job_id, exc.detail)
        except MlflowException as exc:
            self._record_failure(job_id, f"MLflow failed: {str(exc).splitlines()[0]}")
        except Exception as exc:
            logger.exception("job %s crashed", job_id, extra={"job_id": job_id})
            self._record_failure(job_id, f"internal error: {type(exc).__name__}: {exc}")
        else:
            outcome = JOB_SUCCEEDED
            with session_scope(self._factory) as session:
                job_queue.succeed(session, job_id, result)
            logger.info(
                "job %s registered %s version %s",
                job_id,
                result.model_name,
                result.version,
                extra={"job_id": job_id, "run_id": result.run_id},
            )
        finally:
            self._metrics.training_seconds.labels(model_type, outcome).observe(
                time.perf_counter() - start
            )
        return True

    def _record_failure(self, job_id: str, error: str) -> None:
        logger.warning("job %s failed: %s", job_id, error, extra={"job_id": job_id})
        with session_scope(self._factory) as session:
            job_queue.fail(session, job_id, error)
