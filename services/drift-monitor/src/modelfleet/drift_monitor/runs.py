"""One drift run, start to finish: reference → window → Evidently → policy → storage → retrain.

A run is a ``drift_reports`` row created as ``running`` and finished with one of the statuses
below; whatever goes wrong ends as a status with a readable ``reason``, never as a crash:

``done`` (analysed; ``decision`` says what the policy made of it), ``not_enough_data`` (fewer
current rows than ``min_rows``), ``reference_missing`` (the version, its run or its reference
sample cannot be found in MLflow), ``failed`` (anything else, e.g. MLflow down; see ``reason``).
"""

from __future__ import annotations

import gc
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from modelfleet.common.db.engine import session_scope
from modelfleet.common.db.models import DriftReport, RetrainRequest
from modelfleet.common.db.queries.predictions import served_versions
from modelfleet.common.errors import ModelfleetError
from modelfleet.drift_monitor.analysis import Analysis, analyse
from modelfleet.drift_monitor.config import DriftSettings
from modelfleet.drift_monitor.policy import RETRAIN, Decision, Policy
from modelfleet.drift_monitor.reference import Reference, ReferenceMissingError, ReferenceStore
from modelfleet.drift_monitor.retrain import Retrainer
from modelfleet.drift_monitor.window import WindowSpec, count_window, read_window
from modelfleet.drift_monitor.workspace import WorkspaceStore

logger = logging.getLogger(__name__)

RUNNING = "running"
DONE = "done"
NOT_ENOUGH_DATA = "not_enough_data"
REFERENCE_MISSING = "reference_missing"
FAILED = "failed"


@dataclass
class Outcome:
    """What a finished analysis writes onto its report row."""

    analysis: Analysis
    decision: Decision
    sampled: bool
    current_rows: int
    report_path: str


class DriftMonitor:
    """Runs drift analyses and records them; shared by the HTTP service and the batch command."""

    def __init__(
        self,
        settings: DriftSettings,
        engine: Engine,
        sessions: sessionmaker[Session],
        references: ReferenceStore,
        retrainer: Retrainer,
        workspace: WorkspaceStore,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.sessions = sessions
        self.references = references
        self.retrainer = retrainer
        self.workspace = workspace
        self.policy = Policy.from_settings(settings)

    def default_window(self) -> WindowSpec:
        return WindowSpec(hours=self.settings.window_hours)

    def start(self, model: str, version: str) -> DriftReport:
        """The ``running`` row a run fills in (the HTTP API answers with it at once)."""
        with session_scope(self.sessions) as session:
            row = DriftReport(model_name=model, model_version=version, status=RUNNING)
            session.add(row)
        return row

    def run(self, model: str, version: str, spec: WindowSpec | None = None) -> DriftReport:
        """Start and execute a run in this thread."""
        return self.execute(self.start(model, version).id, spec or self.default_window())

    def run_all_served(self, spec: WindowSpec | None = None) -> list[DriftReport]:
        """A run for every (model, version) with online predictions in the window."""
        spec = spec or self.default_window()
        since = spec.bounds()[0] if spec.hours is not None else datetime(1970, 1, 1, tzinfo=UTC)
        return [self.run(m, v, spec) for m, v in served_versions(self.engine, since)]

    def execute(self, report_id: int, spec: WindowSpec) -> DriftReport:
        """Fill in report ``report_id``; every failure becomes a status on the row."""
        with session_scope(self.sessions) as session:
            row = session.get_one(DriftReport, report_id)
            model, version = row.model_name, row.model_version
        try:
            self._execute(report_id, model, version, spec)
        except ReferenceMissingError as exc:
            self._finish(report_id, status=REFERENCE_MISSING, reason=exc.detail)
        except ModelfleetError as exc:
            self._finish(report_id, status=FAILED, reason=exc.detail)
        except Exception as exc:
            logger.exception("drift run %s of %s v%s failed", report_id, model, version)
            self._finish(report_id, status=FAILED, reason=f"{type(exc).__name__}: {exc}")
        finally:
            gc.collect()  # a large window's frames are freed now, not at some later run
        with session_scope(self.sessions) as session:
            return session.get_one(DriftReport, report_id)

    def fail_interrupted(self) -> int:
        """Mark runs left ``running`` by a previous process as failed (called at start-up)."""
        with session_scope(self.sessions) as session:
            result = session.execute(
                update(DriftReport)
                .where(DriftReport.status == RUNNING)
                .values(status=FAILED, reason="interrupted: the monitor stopped during the run")
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def _execute(self, report_id: int, model: str, version: str, spec: WindowSpec) -> None:
        reference = self.references.load(model, version)
        count = count_window(self.engine, model, version, spec)
        self._finish(
            report_id,
            status=RUNNING,
            window_start=count.start,
            window_end=count.end,
            reference_rows=len(reference.frame),
            current_rows=count.rows,
        )
        if not self.policy.enough_rows(count.rows):
            self._finish(
                report_id,
                status=NOT_ENOUGH_DATA,
                reason=f"{count.rows} online predictions in the window; "
                f"at least {self.policy.min_rows} are needed for a verdict",
            )
            self._retry_pending(reference)
            return
        outcome = self._analyse(report_id, reference, spec, count.rows)
        result = outcome.analysis
        # Still ``running`` until the retraining is recorded: a poller never sees half a run.
        self._finish(
            report_id,
            current_rows=outcome.current_rows,
            sampled=outcome.sampled,
            drift_share=result.drift_share,
            dataset_drift=result.drift_share > self.policy.drift_share_threshold,
            prediction_drift=result.prediction.drifted,
            prediction_drift_score=result.prediction.score,
            column_scores=result.column_scores(),
            quality=result.quality,
            decision=outcome.decision.decision,
            reason=outcome.decision.reason,
            report_path=outcome.report_path,
        )
        self._retry_pending(reference)
        if outcome.decision.decision == RETRAIN:
            with session_scope(self.sessions) as session:
                request = self.retrainer.create(session, reference, report_id)
            self._attempt(request, reference)
        self._finish(report_id, status=DONE)

    def _analyse(
        self, report_id: int, reference: Reference, spec: WindowSpec, rows: int
    ) -> Outcome:
        started = time.perf_counter()
        current = read_window(
            self.engine, reference, spec, rows, max_rows=self.settings.max_current_rows
        )
        read_s = time.perf_counter() - started
        result = analyse(
            reference,
            current.frame,
            drift_share=self.settings.drift_share_threshold,
            methods=self.settings.column_methods,
            thresholds=self.settings.column_thresholds,
        )
        sampled, analysed_rows = current.sampled, len(current.frame)
        del current
        with session_scope(self.sessions) as session:
            last = self.retrainer.last_request_at(
                session, reference.model_name, reference.model_version
            )
        decision = self.policy.decide(result, last, datetime.now(UTC))
        analysed_s = time.perf_counter() - started - read_s
        path = self.settings.reports_dir / reference.model_name / f"{report_id}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        result.snapshot.save_html(str(path))
        self.workspace.add(reference.model_name, report_id, result.snapshot)
        logger.info(
            "drift run %s of %s v%s analysed",
            report_id,
            reference.model_name,
            reference.model_version,
            extra={
                "rows": analysed_rows,
                "read_s": round(read_s, 2),
                "evidently_s": round(analysed_s, 2),
                "store_s": round(time.perf_counter() - started - read_s - analysed_s, 2),
            },
        )
        return Outcome(result, decision, sampled, analysed_rows, str(path.resolve()))

    def _retry_pending(self, reference: Reference) -> None:
        """Requests left waiting for labels or for the trainer get another try on each run."""
        with session_scope(self.sessions) as session:
            pending = self.retrainer.pending(session, reference.model_name, reference.model_version)
        for request in pending:
            self._attempt(request, reference)

    def _attempt(self, request: RetrainRequest, reference: Reference) -> None:
        """Call the trainer with no transaction open, then store the outcome.

        On SQLite an open write transaction locks the whole database, so the trainer (which
        writes the uploaded dataset to the same file) would fail with "database is locked".
        """
        self.retrainer.attempt(request, reference)
        with session_scope(self.sessions) as session:
            session.merge(request)

    def _finish(self, report_id: int, **values: object) -> None:
        with session_scope(self.sessions) as session:
            session.execute(update(DriftReport).where(DriftReport.id == report_id).values(**values))


def list_reports(
    session: Session,
    *,
    model: str | None = None,
    version: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> list[DriftReport]:
    """Newest first, filtered."""
    query = select(DriftReport).order_by(DriftReport.id.desc()).limit(limit)
    if model:
        query = query.where(DriftReport.model_name == model)
    if version:
        query = query.where(DriftReport.model_version == version)
    if status:
        query = query.where(DriftReport.status == status)
    return list(session.scalars(query))


def retrain_requests_of(session: Session, report_id: int) -> list[RetrainRequest]:
    """The retraining requests a drift report caused."""
    return list(
        session.scalars(
            select(RetrainRequest)
            .where(RetrainRequest.drift_report_id == report_id)
            .order_by(RetrainRequest.id)
        )
    )
