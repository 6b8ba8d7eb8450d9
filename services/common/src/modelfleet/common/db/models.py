"""SQLAlchemy 2.0 models of every table in the design.

JSON columns are JSONB on PostgreSQL and JSON (text) on SQLite, so the same models run the
cluster and the one-machine default. The Alembic migrations in ``migrations/`` own the schema;
these classes only describe it to the code.

Every table has one owner, the only service that writes it, named in its docstring. Another
service reading it goes through :mod:`modelfleet.common.db.queries`, so what it depends on in a
table it does not own is written down in one place.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from modelfleet.common.wire import MAX_CLASS_LABEL, MAX_ENTITY_ID

JsonType = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY, so BigInteger ids become INTEGER there.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """Timezone-aware now, the default of every timestamp column."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of all modelfleet tables."""


class Dataset(Base):
    """A registered dataset file in the catalog (also golden sets and training sets).

    Owner: trainer (its catalog; the drift monitor uploads through its API, the CLI through its
    facade). The one exception: the collector registers a golden-set file given by path on first
    use (``collector.evaluation.golden``), and reads golden sets by name.
    """

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    location: Mapped[str] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    target: Mapped[str | None] = mapped_column(String(200))
    tags: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)
    rows: Mapped[int] = mapped_column(BigInteger)
    columns: Mapped[list[str]] = mapped_column(JsonType)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TrainingJob(Base):
    """A queued/running/finished training job. Owner: trainer (its job queue)."""

    __tablename__ = "training_jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    request: Mapped[dict[str, Any]] = mapped_column(JsonType)
    model_name: Mapped[str] = mapped_column(String(200))
    model_type: Mapped[str] = mapped_column(String(20))
    run_id: Mapped[str | None] = mapped_column(String(64))
    model_version: Mapped[str | None] = mapped_column(String(20))
    metrics: Mapped[dict[str, float] | None] = mapped_column(JsonType)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Prediction(Base):
    """One predicted row: online traffic, golden-set evaluation or batch scoring.

    Owner: collector (prediction logs shipped by model-servers, and its own evaluations). Read by
    the drift monitor (:mod:`modelfleet.common.db.queries.predictions`).
    """

    __tablename__ = "predictions"
    __table_args__ = (
        UniqueConstraint("request_id", "row_index", name="uq_predictions_request_row"),
        Index("ix_predictions_model_time", "model_name", "model_version", "created_at"),
        Index("ix_predictions_entity", "entity_id"),
        Index("ix_predictions_evaluation", "evaluation_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64))
    row_index: Mapped[int] = mapped_column(Integer)
    entity_id: Mapped[str | None] = mapped_column(String(MAX_ENTITY_ID))
    model_name: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))
    evaluation_id: Mapped[int | None] = mapped_column(BigInteger)
    features: Mapped[dict[str, Any]] = mapped_column(JsonType)
    prediction: Mapped[str] = mapped_column(String(MAX_CLASS_LABEL))
    probabilities: Mapped[dict[str, float] | None] = mapped_column(JsonType)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Label(Base):
    """Ground truth arriving later, for an entity id or for one prediction id.

    Owner: collector (``POST /v1/labels``). Read by the drift monitor through the
    ``v_labelled_predictions`` view (:mod:`modelfleet.common.db.queries.predictions`).
    """

    __tablename__ = "labels"
    __table_args__ = (
        Index("ix_labels_entity_observed", "entity_id", "observed_at"),
        Index("ix_labels_prediction", "prediction_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entity_id: Mapped[str | None] = mapped_column(String(MAX_ENTITY_ID))
    prediction_id: Mapped[int | None] = mapped_column(BigInteger)
    label: Mapped[str] = mapped_column(String(MAX_CLASS_LABEL))
    observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Evaluation(Base):
    """One model version answering one golden set; claimed in the database so it runs once.

    Owner: collector (its evaluation job). Read by the trainer's promotion
    (:mod:`modelfleet.common.db.queries.evaluations`).
    """

    __tablename__ = "evaluations"
    __table_args__ = (
        UniqueConstraint(
            "model_name", "model_version", "golden_digest", name="uq_evaluations_model_golden"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    model_name: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str] = mapped_column(String(20))
    golden_name: Mapped[str] = mapped_column(String(200))
    golden_digest: Mapped[str] = mapped_column(String(64))
    target_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_scored: Mapped[int] = mapped_column(Integer, default=0)
    rows_skipped: Mapped[int] = mapped_column(Integer, default=0)
    skipped_reason: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EvaluationMetric(Base):
    """One metric value of an evaluation; ``class_label`` NULL means overall.

    Owner: collector. Read by the trainer's promotion
    (:mod:`modelfleet.common.db.queries.evaluations`).
    """

    __tablename__ = "evaluation_metrics"
    __table_args__ = (Index("ix_evaluation_metrics_evaluation", "evaluation_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("evaluations.id", ondelete="CASCADE")
    )
    metric: Mapped[str] = mapped_column(String(50))
    class_label: Mapped[str | None] = mapped_column(String(200))
    value: Mapped[float] = mapped_column(Float)


class DriftReport(Base):
    """One drift run of a served version: window, scores, verdicts and policy decision.

    Owner: drift-monitor.
    """

    __tablename__ = "drift_reports"
    __table_args__ = (Index("ix_drift_reports_model", "model_name", "model_version", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    model_name: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(30))
    window_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    window_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reference_rows: Mapped[int] = mapped_column(Integer, default=0)
    current_rows: Mapped[int] = mapped_column(Integer, default=0)
    sampled: Mapped[bool] = mapped_column(Boolean, default=False)
    drift_share: Mapped[float | None] = mapped_column(Float)
    dataset_drift: Mapped[bool | None] = mapped_column(Boolean)
    prediction_drift: Mapped[bool | None] = mapped_column(Boolean)
    prediction_drift_score: Mapped[float | None] = mapped_column(Float)
    column_scores: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    quality: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    decision: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(Text)
    report_path: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RetrainRequest(Base):
    """A retraining asked of the trainer because of a drift report. Owner: drift-monitor."""

    __tablename__ = "retrain_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    drift_report_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("drift_reports.id", ondelete="SET NULL")
    )
    model_name: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    training_data: Mapped[str | None] = mapped_column(Text)
    trainer_job_id: Mapped[str | None] = mapped_column(String(36))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
