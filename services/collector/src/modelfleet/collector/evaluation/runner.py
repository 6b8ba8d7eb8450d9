"""The evaluation job: for each target, claim, score the golden set, store metrics, finish.

One target's failure (unreachable server, wrong inputs, a server that keeps erroring) marks
that evaluation ``failed`` with the reason and the job goes on with the others.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import asdict, dataclass
from time import perf_counter
from typing import Any, Protocol

from sqlalchemy import Engine

from modelfleet.collector.config import CollectorSettings
from modelfleet.collector.evaluation import claims
from modelfleet.collector.evaluation.golden import GoldenSet
from modelfleet.collector.evaluation.scoring import (
    compute_from_store,
    score,
    select_rows,
    store_metrics,
    stored_rows,
)
from modelfleet.collector.evaluation.server import ModelServerClient, TargetError
from modelfleet.collector.evaluation.targets import Target
from modelfleet.collector.ingest.store import PredictionWriter
from modelfleet.common.errors import ModelfleetError
from modelfleet.common.wire import EVALUATION_DONE, EVALUATION_FAILED, ModelInfo

logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What happened to one target: ``done``, ``failed``, ``skipped`` or ``unreachable``."""

    target: str
    status: str
    model: str | None = None
    version: str | None = None
    evaluation_id: int | None = None
    reason: str | None = None
    rows_scored: int = 0
    rows_skipped: int = 0
    accuracy: float | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Reporter(Protocol):
    """Progress callbacks (the CLI shows a progress bar)."""

    def started(self, target: Target, info: ModelInfo, rows: int, already: int) -> None:
        """Scoring of ``rows`` rows begins, ``already`` of them stored by an earlier run."""

    def advanced(self, target: Target, scored: int) -> None:
        """``scored`` rows are stored so far."""

    def finished(self, outcome: Outcome) -> None:
        """A target is done with, whatever the result."""


class SilentReporter:
    """The reporter of the service and the CronJob: progress goes to the log only."""

    def started(self, target: Target, info: ModelInfo, rows: int, already: int) -> None:
        return None

    def advanced(self, target: Target, scored: int) -> None:
        return None

    def finished(self, outcome: Outcome) -> None:
        return None


def default_owner() -> str:
    """Claims name their holder: host, process and a per-runner suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class EvaluationRunner:
    """Evaluates model-servers on a golden set, one target after the other."""

    def __init__(self, engine: Engine, settings: CollectorSettings, owner: str = "") -> None:
        self.engine = engine
        self.settings = settings
        self.writer = PredictionWriter(engine)
        self.owner = owner or settings.collector_id or default_owner()

    def run(
        self, targets: list[Target], golden: GoldenSet, reporter: Reporter | None = None
    ) -> list[Outcome]:
        reporter = reporter or SilentReporter()
        outcomes = []
        for target in targets:
            outcome = self.evaluate(target, golden, reporter)
            logger.info("evaluation of %s: %s", target.url, outcome.status, extra=outcome.to_dict())
            reporter.finished(outcome)
            outcomes.append(outcome)
        return outcomes

    def evaluate(self, target: Target, golden: GoldenSet, reporter: Reporter) -> Outcome:
        began = perf_counter()
        client = ModelServerClient(
            target.url,
            retries=self.settings.evaluation_retries,
            backoff=self.settings.evaluation_backoff,
            timeout=self.settings.evaluation_timeout,
        )
        try:
            outcome = self._evaluate(client, target, golden, reporter)
        finally:
            client.close()
        outcome.seconds = round(perf_counter() - began, 3)
        return outcome

    def _evaluate(
        self, client: ModelServerClient, target: Target, golden: GoldenSet, reporter: Reporter
    ) -> Outcome:
        try:
            info = client.model_info()
        except TargetError as exc:
            return Outcome(target.url, "unreachable", reason=str(exc))
        outcome = Outcome(target.url, "skipped", info.name, info.version)
        claim = claims.claim(
            self.engine,
            model=info.name,
            version=info.version,
            golden_name=golden.name,
            golden_digest=golden.digest,
            target_url=target.url,
            owner=self.owner,
            stale_seconds=self.settings.claim_stale_seconds,
        )
        if isinstance(claim, claims.Busy):
            outcome.evaluation_id = claim.evaluation_id
            outcome.reason = (
                f"already evaluated on {golden.name}"
                if claim.status == EVALUATION_DONE
                else f"being evaluated by {claim.claimed_by}"
            )
            return outcome
        outcome.evaluation_id = claim.evaluation_id
        try:
            self._score(client, target, golden, info, claim.evaluation_id, reporter, outcome)
        except claims.ClaimLostError as exc:
            outcome.status, outcome.reason = "skipped", str(exc)
        except ModelfleetError as exc:  # TargetError included
            self._fail(outcome, str(exc))
        except Exception as exc:
            logger.exception("evaluation %s crashed", claim.evaluation_id)
            self._fail(outcome, f"collector error: {exc!r}")
        return outcome

    def _score(
        self,
        client: ModelServerClient,
        target: Target,
        golden: GoldenSet,
        info: ModelInfo,
        evaluation_id: int,
        reporter: Reporter,
        outcome: Outcome,
    ) -> None:
        column = golden.target or self.settings.golden_target or info.target
        if not column:
            raise TargetError(
                f"golden set {golden.name} has no target column and the model names none"
            )
        frame = golden.frame
        selection = select_rows(frame, column, info)
        outcome.rows_skipped = selection.skipped
        claims.heartbeat(
            self.engine,
            evaluation_id,
            self.owner,
            rows_total=len(frame),
            rows_skipped=selection.skipped,
            skipped_reason=selection.skipped_reason,
        )
        done = stored_rows(self.engine, evaluation_id)
        reporter.started(target, info, len(selection.rows), len(done))

        def progress(scored: int) -> None:
            claims.heartbeat(self.engine, evaluation_id, self.owner, rows_scored=scored)
            reporter.advanced(target, scored)

        outcome.rows_scored = score(
            client=client,
            writer=self.writer,
            frame=frame,
            selection=selection,
            info=info,
            evaluation_id=evaluation_id,
            batch_size=self.settings.evaluation_batch_size,
            done=done,
            progress=progress,
        )
        metrics = compute_from_store(self.engine, evaluation_id, selection.truth, info.classes)
        store_metrics(self.engine, evaluation_id, metrics)
        claims.finish(
            self.engine,
            evaluation_id,
            self.owner,
            EVALUATION_DONE,
            rows_scored=outcome.rows_scored,
            error=None,
        )
        outcome.status = "done"
        outcome.accuracy = metrics.overall["accuracy"]

    def _fail(self, outcome: Outcome, reason: str) -> None:
        outcome.status, outcome.reason = "failed", reason
        assert outcome.evaluation_id is not None
        try:
            claims.finish(
                self.engine,
                outcome.evaluation_id,
                self.owner,
                EVALUATION_FAILED,
                error=reason[:2000],
            )
        except claims.ClaimLostError:
            outcome.status = "skipped"
