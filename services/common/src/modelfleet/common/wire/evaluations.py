"""States of a golden-set evaluation (``evaluations.status``), written by the collector and read
by its API, the CLI and the trainer's promotion, which only trusts ``done`` ones."""

from __future__ import annotations

from typing import Final, Literal, get_args

EvaluationStatus = Literal["running", "done", "failed"]
EVALUATION_STATUSES: Final[tuple[EvaluationStatus, ...]] = get_args(EvaluationStatus)
EVALUATION_RUNNING: Final = "running"
EVALUATION_DONE: Final = "done"
EVALUATION_FAILED: Final = "failed"
