"""The demo's files: a training set and a golden set from the synthetic gaming generator."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from modelfleet.cli.demo.config import DemoConfig
from modelfleet.cli.synthetic import ID_COLUMN, TARGET, GamingGenerator


@dataclass(frozen=True)
class DemoData:
    training: Path
    golden: Path
    target: str = TARGET
    id_column: str = ID_COLUMN


def write_data(config: DemoConfig, data_dir: Path) -> DemoData:
    """Training and golden files drawn with different seeds (the golden set is never trained on).

    Player ids of the golden set start after the training set's, so no row is shared.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    training = data_dir / f"gaming-train-{config.train_rows}.csv"
    golden = data_dir / f"gaming-golden-{config.golden_rows}.csv"
    GamingGenerator(seed=config.seed).generate(config.train_rows).to_csv(training, index=False)
    golden_frame = GamingGenerator(seed=config.seed + 1000).generate(config.golden_rows)
    golden_frame[ID_COLUMN] += config.train_rows
    golden_frame.to_csv(golden, index=False)
    return DemoData(training=training, golden=golden)
