"""Overall and per-class classification metrics, shared by the trainer and the collector.

Both write the same metric names so training metrics, golden-set evaluations and the promotion
guard compare like with like: overall ``accuracy``, ``precision_macro`` … ``f1_weighted``,
``roc_auc_ovr``; per class ``precision``, ``recall``, ``f1``, ``support`` and confusion counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
)

PER_CLASS_METRICS = (
    "precision",
    "recall",
    "f1",
    "support",
    "true_positives",
    "false_positives",
    "false_negatives",
)


@dataclass
class ClassificationMetrics:
    """``overall[metric]`` and ``per_class[class][metric]``, plus the confusion matrix."""

    overall: dict[str, float]
    per_class: dict[str, dict[str, float]]
    classes: list[str]
    confusion: list[list[int]] = field(default_factory=list)

    def flat(self, prefix: str = "") -> dict[str, float]:
        """MLflow-style flat names: ``test_accuracy``, ``test_recall_High`` …"""
        out = {f"{prefix}{k}": v for k, v in self.overall.items()}
        for label, values in self.per_class.items():
            for metric in ("precision", "recall", "f1"):
                out[f"{prefix}{metric}_{label}"] = values[metric]
        return out


def compute_metrics(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    classes: Sequence[str],
    probabilities: np.ndarray | None = None,
) -> ClassificationMetrics:
    """Metrics over ``classes`` (the model's classes, in the column order of ``probabilities``)."""
    labels = list(classes)
    truth = np.asarray(y_true, dtype=object)
    pred = np.asarray(y_pred, dtype=object)
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, pred, labels=labels, zero_division=0
    )
    overall: dict[str, float] = {"accuracy": float(accuracy_score(truth, pred))}
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(
            truth, pred, labels=labels, average=average, zero_division=0
        )
        overall[f"precision_{average}"] = float(p)
        overall[f"recall_{average}"] = float(r)
        overall[f"f1_{average}"] = float(f)
    if probabilities is not None and len(set(truth)) == len(labels) > 1:
        if len(labels) == 2:
            overall["roc_auc_ovr"] = float(roc_auc_score(truth == labels[1], probabilities[:, 1]))
        else:
            overall["roc_auc_ovr"] = float(
                roc_auc_score(truth, probabilities, labels=labels, multi_class="ovr")
            )
    matrix = confusion_matrix(truth, pred, labels=labels)
    per_class = {}
    for i, label in enumerate(labels):
        tp = int(matrix[i, i])
        per_class[str(label)] = {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": float(support[i]),
            "true_positives": float(tp),
            "false_positives": float(matrix[:, i].sum() - tp),
            "false_negatives": float(matrix[i, :].sum() - tp),
        }
    return ClassificationMetrics(
        overall=overall,
        per_class=per_class,
        classes=[str(c) for c in labels],
        confusion=matrix.tolist(),
    )
