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
