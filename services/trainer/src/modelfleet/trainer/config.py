"""Trainer settings (composition root reads them once)."""

from __future__ import annotations

from pathlib import Path

from modelfleet.common.settings import DatabaseSettings


class TrainerSettings(DatabaseSettings):
    """Settings of the trainer service and the ``train`` command."""

    port: int = 8001
    """Local default port (8080 in the cluster)."""

    data_dir: Path = Path(".modelfleet/data")
    """Where uploaded or generated training files are kept."""

    reference_rows: int = 50_000
    """Maximum rows of the training data logged as the drift monitor's reference sample."""

    test_size: float = 0.2
    """Share of rows held out (stratified) for test metrics."""

    seed: int = 42
    """Seed of the split and of every estimator."""

    permutation_rows: int = 2_000
    """Rows used for permutation importance when the model has no native importances."""

    worker_enabled: bool = True
    """Run the background training worker in this process (off: accept and queue jobs only)."""

    worker_poll_seconds: float = 2.0
    """How often an idle worker looks for queued jobs it was not told about."""

    max_upload_bytes: int = 500 * 1024 * 1024
    """Largest dataset file accepted by the multipart upload of ``POST /v1/datasets``."""

    threads: int | None = None
    """OpenMP/BLAS threads while fitting (unset: the libraries' default, every core). Set it to
    the pod's CPU limit: HistGradientBoosting slows down by an order of magnitude when its
    threads outnumber the cores it really gets."""
