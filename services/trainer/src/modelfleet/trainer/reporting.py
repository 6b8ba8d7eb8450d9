"""Artifacts logged next to each model: confusion-matrix and feature-importance plots and JSON."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline


def feature_importance(
    pipeline: Pipeline, features: pd.DataFrame, labels: pd.Series, *, rows: int, seed: int
) -> dict[str, object]:
    """Importances per input column: the model's own (one-hot parts summed), else permutation."""
    classifier = pipeline.named_steps["classifier"]
    columns = list(features.columns)
    native = getattr(classifier, "feature_importances_", None)
    if native is not None:
        names = pipeline.named_steps["preprocess"].get_feature_names_out()
        totals = dict.fromkeys(columns, 0.0)
        for name, value in zip(names, native, strict=True):
            owner = next((c for c in columns if name == c or name.startswith(f"{c}_")), None)
            if owner is not None:
                totals[owner] += float(value)
        return {"method": "native", "importances": totals}
    sample = features.sample(min(rows, len(features)), random_state=seed)
    result = permutation_importance(
        pipeline, sample, labels.loc[sample.index], n_repeats=3, random_state=seed, n_jobs=1
    )
    return {
        "method": "permutation",
        "importances": {c: float(v) for c, v in zip(columns, result.importances_mean, strict=True)},
    }


def confusion_matrix_plot(matrix: list[list[int]], classes: list[str], path: Path) -> Path:
    """A labelled heat map of the test-set confusion matrix."""
    data = np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(1.2 * len(classes) + 3, 1.2 * len(classes) + 2.5))
    ax.imshow(data, cmap="Blues")
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for (i, j), value in np.ndenumerate(data):
        ax.text(
            j,
            i,
            str(value),
            ha="center",
            va="center",
            color="white" if value > data.max() / 2 else "black",
        )
    ax.set_title("Confusion matrix (test)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def importance_plot(importances: dict[str, float], method: str, path: Path) -> Path:
    """Horizontal bar chart of importances, largest on top."""
    ordered = sorted(importances.items(), key=lambda kv: kv[1])
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(ordered) + 1.5))
    ax.barh([k for k, _ in ordered], [v for _, v in ordered], color="#3b7dd8")
    ax.set_title(f"Feature importance ({method})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
