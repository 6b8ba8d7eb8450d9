"""Synthetic online-gaming data with exactly the schema of the Kaggle gaming-behavior dataset.

Features are drawn like the real file's (independent, same ranges and category shares). The label
follows the real data's dependence: engagement is driven by sessions per week and average session
length (low when either is small, high when both are large), with label noise so models reach
roughly the accuracy they reach on the real file. Drift knobs shift numeric columns and reweight
categories; ``daily_batches`` yields one batch per simulated day for a stable pool of players.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

TARGET = "EngagementLevel"
ID_COLUMN = "PlayerID"
KEY_COLUMNS = ("AvgSessionDurationMinutes", "SessionsPerWeek")

NUMERIC_RANGES: dict[str, tuple[float, float, bool]] = {
    # column: (low, high inclusive, integer)
    "Age": (15, 49, True),
    "PlayTimeHours": (0.0, 24.0, False),
    "InGamePurchases": (0, 1, True),
    "SessionsPerWeek": (0, 19, True),
    "AvgSessionDurationMinutes": (10, 179, True),
    "PlayerLevel": (1, 99, True),
    "AchievementsUnlocked": (0, 49, True),
}
CATEGORIES: dict[str, dict[str, float]] = {
    "Gender": {"Male": 0.6, "Female": 0.4},
    "Location": {"USA": 0.4, "Europe": 0.3, "Asia": 0.2, "Other": 0.1},
    "GameGenre": {"Sports": 0.2, "Action": 0.2, "Strategy": 0.2, "Simulation": 0.2, "RPG": 0.2},
    "GameDifficulty": {"Easy": 0.5, "Medium": 0.3, "Hard": 0.2},
}
COLUMNS = [
    ID_COLUMN,
    "Age",
    "Gender",
    "Location",
    "GameGenre",
    "PlayTimeHours",
    "InGamePurchases",
    "GameDifficulty",
    "SessionsPerWeek",
    "AvgSessionDurationMinutes",
    "PlayerLevel",
    "AchievementsUnlocked",
    TARGET,
]
CLASSES = ("High", "Low", "Medium")
FIRST_PLAYER_ID = 9000


@dataclass(frozen=True)
class DriftSpec:
    """How far traffic moves from the training distribution.

    ``numeric_shift`` adds a fraction of the column's range (0.4 on AvgSessionDurationMinutes
    adds ~68 minutes, clipped to the range); ``category_weights`` replaces a column's shares.
    """

    numeric_shift: dict[str, float] = field(default_factory=dict)
    category_weights: dict[str, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def key_columns(cls, strength: float = 0.35) -> DriftSpec:
        """The demo's drift: players play shorter and less often."""
        return cls(numeric_shift={c: -strength for c in KEY_COLUMNS})


class GamingGenerator:
    """Seeded, reproducible generator of gaming-behaviour rows."""

    def __init__(self, seed: int = 42, label_noise: float = 0.15, players: int = 5000) -> None:
        self.seed = seed
        self.label_noise = label_noise
        self.players = players

    def generate(
        self,
        rows: int,
        *,
        drift: DriftSpec | None = None,
        day: int = 0,
        player_ids: np.ndarray | None = None,
    ) -> pd.DataFrame:
        """``rows`` rows with the real file's columns; same seed and day give the same rows."""
        rng = np.random.default_rng([self.seed, day])
        drift = drift or DriftSpec()
        data: dict[str, np.ndarray] = {}
        for column, (low, high, integer) in NUMERIC_RANGES.items():
            values = rng.uniform(low, high + (1 if integer else 0), rows)
            shift = drift.numeric_shift.get(column, 0.0) * (high - low)
            values = np.clip(values + shift, low, high + (0.999 if integer else 0))
            data[column] = np.floor(values).astype(np.int64) if integer else values
        data["InGamePurchases"] = (rng.random(rows) < 0.2).astype(np.int64)
        for column, shares in CATEGORIES.items():
            weights = drift.category_weights.get(column, shares)
            names = list(weights)
            probs = np.array([weights[n] for n in names], dtype=float)
            data[column] = rng.choice(names, size=rows, p=probs / probs.sum())
        data[TARGET] = self._label(data["SessionsPerWeek"], data["AvgSessionDurationMinutes"], rng)
        if player_ids is None:
            player_ids = np.arange(FIRST_PLAYER_ID, FIRST_PLAYER_ID + rows)
        data[ID_COLUMN] = player_ids
        return pd.DataFrame(data)[COLUMNS]

    def _label(
        self, sessions: np.ndarray, minutes: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        label = np.full(sessions.shape, "Medium", dtype=object)
        label[(sessions >= 10) & (minutes >= 95)] = "High"
        label[(sessions <= 3) | (minutes <= 30)] = "Low"
        noisy = rng.random(sessions.shape) < self.label_noise
        label[noisy] = rng.choice(np.array(CLASSES, dtype=object), size=int(noisy.sum()))
        return label

    def daily_batches(
        self,
        days: int,
        rows_per_day: int,
        *,
        drift_from_day: int | None = None,
        drift: DriftSpec | None = None,
    ) -> Iterator[tuple[int, pd.DataFrame]]:
        """One batch per simulated day for players drawn from a stable pool of player ids."""
        pool = np.arange(FIRST_PLAYER_ID, FIRST_PLAYER_ID + self.players)
        for day in range(days):
            rng = np.random.default_rng([self.seed, day, 1])
            ids = rng.choice(pool, size=rows_per_day, replace=rows_per_day > len(pool))
            drifting = drift_from_day is not None and day >= drift_from_day
            yield (
                day,
                self.generate(
                    rows_per_day,
                    day=day + 1,
                    player_ids=ids,
                    drift=(drift or DriftSpec.key_columns()) if drifting else None,
                ),
            )
