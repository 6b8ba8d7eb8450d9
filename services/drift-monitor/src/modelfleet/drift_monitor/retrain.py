"""Retraining requests: build the training set, hand it to the trainer, record what happened.

A request is a ``retrain_requests`` row tied to the drift report that caused it. Its status says
where it stands: ``submitted`` (the trainer accepted a job; the new version will arrive as a
``candidate``, evaluated and promoted by the usual path, never by the monitor), ``no_labels`` or
``trainer_unavailable`` (pending: retried on the version's next drift run), ``rejected`` (the
trainer answered 4xx) or ``failed`` (still pending after ``max_retrain_attempts``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from modelfleet.common.db.models import RetrainRequest
from modelfleet.common.wire import DatasetMeta, TrainRequest
from modelfleet.drift_monitor.config import DriftSettings
from modelfleet.drift_monitor.reference import Reference
from modelfleet.drift_monitor.trainer_client import (
    TrainerClient,
    TrainerRejectedError,
    TrainerUnavailableError,
)
from modelfleet.drift_monitor.training_set import TrainingSet, labelled_traffic, write_training_set

logger = logging.getLogger(__name__)

SUBMITTED = "submitted"
NO_LABELS = "no_labels"
TRAINER_UNAVAILABLE = "trainer_unavailable"
REJECTED = "rejected"
FAILED = "failed"
PENDING = (NO_LABELS, TRAINER_UNAVAILABLE)


class Retrainer:
    """Creates and (re)tries retraining requests for one monitor."""

    def __init__(
        self,
        settings: DriftSettings,
        engine: Engine,
        trainer: Callable[[], TrainerClient],
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.trainer = trainer

    def last_request_at(self, session: Session, model: str, version: str) -> datetime | None:
        """When the version's latest retraining was requested (the cooldown starts there)."""
        latest = session.scalar(
            select(func.max(RetrainRequest.created_at)).where(
                RetrainRequest.model_name == model, RetrainRequest.model_version == version
            )
        )
        if latest is not None and latest.tzinfo is None:
            latest = latest.replace(tzinfo=UTC)
        return latest

    def pending(self, session: Session, model: str, version: str) -> list[RetrainRequest]:
        """The version's requests waiting for labels or for the trainer."""
        return list(
            session.scalars(
                select(RetrainRequest)
                .where(
                    RetrainRequest.model_name == model,
                    RetrainRequest.model_version == version,
                    RetrainRequest.status.in_(PENDING),
                )
                .order_by(RetrainRequest.id)
            )
        )

    def create(self, session: Session, reference: Reference, report_id: int) -> RetrainRequest:
        """A new request for the version, caused by drift report ``report_id``."""
        row = RetrainRequest(
            drift_report_id=report_id,
            model_name=reference.model_name,
            model_version=reference.model_version,
            status=TRAINER_UNAVAILABLE,
            attempts=0,
        )
        session.add(row)
        session.flush()
        return row

    def attempt(self, row: RetrainRequest, reference: Reference) -> None:
        """One try: labelled traffic → training set → upload → job. Updates ``row`` in place."""
        row.attempts += 1
        row.updated_at = datetime.now(UTC)
        training = self._training_set(row, reference)
        if training is None:
            self._give_up_if_exhausted(row)
            return
        try:
            meta = self._dataset_meta(row, reference, training)
            request = self._train_request(row, reference)
        except ValidationError as exc:  # e.g. a model name too long for a catalog name
            row.status, row.error = REJECTED, f"no valid trainer request: {exc}"
            return
        client = self.trainer()
        try:
            client.upload_dataset(training.path, meta)
            row.trainer_job_id = client.submit_job(request).job_id
        except TrainerUnavailableError as exc:
            row.status, row.error = TRAINER_UNAVAILABLE, str(exc)
            self._give_up_if_exhausted(row)
        except TrainerRejectedError as exc:
            row.status, row.error = REJECTED, str(exc)
        else:
            row.status, row.error = SUBMITTED, None
            logger.info(
                "retraining of %s v%s submitted as job %s",
                reference.model_name,
                reference.model_version,
                row.trainer_job_id,
                extra={"drift_report_id": row.drift_report_id, "training_data": meta.name},
            )
        finally:
            client.client.close()

    def _training_set(self, row: RetrainRequest, reference: Reference) -> TrainingSet | None:
        """The CSV to retrain on, named in ``row.training_data``; None (and ``no_labels``)
        while too few online predictions are labelled."""
        since = row.updated_at - timedelta(hours=self.settings.label_window_hours)
        labelled = labelled_traffic(self.engine, reference, since)
        if len(labelled) < self.settings.min_labelled_rows:
            row.status = NO_LABELS
            row.error = (
                f"{len(labelled)} labelled online predictions since {since:%Y-%m-%d %H:%M} UTC; "
                f"at least {self.settings.min_labelled_rows} are needed to retrain"
            )
            return None
        name = f"{reference.model_name}-v{reference.model_version}-retrain-{row.id}"
        training = write_training_set(
            reference, labelled, self.settings.training_dir / f"{name}.csv"
        )
        row.training_data = name
        return training

    @staticmethod
    def _dataset_meta(
        row: RetrainRequest, reference: Reference, training: TrainingSet
    ) -> DatasetMeta:
        """How the training set is registered in the trainer's catalog (``row.training_data``)."""
        return DatasetMeta(
            name=str(row.training_data),
            target=reference.target,
            owner="drift-monitor",
            description=(
                f"reference sample of {reference.model_name} v{reference.model_version} plus "
                f"{training.labelled_rows} labelled online rows (drift report "
                f"{row.drift_report_id})"
            ),
            tags={
                "source": "drift-monitor",
                "model": reference.model_name,
                "version": reference.model_version,
                "drift_report": str(row.drift_report_id),
            },
        )

    @staticmethod
    def _train_request(row: RetrainRequest, reference: Reference) -> TrainRequest:
        """The job that retrains the version on its training set, as it was trained before."""
        return TrainRequest(
            data=str(row.training_data),
            target=reference.target,
            model_type=reference.model_type,
            params=reference.params,
            model_name=reference.model_name,
            id_columns=[],
            dataset_name=row.training_data,
            description=f"retrained by the drift monitor after drift report {row.drift_report_id}",
        )

    def _give_up_if_exhausted(self, row: RetrainRequest) -> None:
        if row.attempts >= self.settings.max_retrain_attempts:
            row.status = FAILED
            row.error = f"gave up after {row.attempts} attempts: {row.error}"
