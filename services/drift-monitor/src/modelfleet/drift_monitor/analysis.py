"""Evidently on one window: per-column drift, drift share, prediction drift and data quality.

One ``Report`` computes everything, so the stored HTML shows exactly what the numbers came from:
``DataDriftPreset`` over the features (Evidently's default method per column type unless a column
is overridden by setting), ``ValueDrift`` on the predicted label against the reference's
``prediction`` column, and per-column missing / out-of-range / out-of-list counts against the
reference's ranges and categories. Verdicts are Evidently's own (its drift tests), not re-derived.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.core.report import Snapshot
from evidently.metrics import (
    MissingValueCount,
    OutListValueCount,
    OutRangeValueCount,
    RowCount,
    ValueDrift,
)
from evidently.presets import DataDriftPreset

from modelfleet.common.errors import BadRequestError
from modelfleet.drift_monitor.reference import PREDICTION_COLUMN, Reference

NEW_CATEGORIES_SHOWN = 20


@dataclass
class ColumnDrift:
    """Evidently's verdict on one column."""

    score: float
    method: str
    threshold: float
    drifted: bool


@dataclass
class Analysis:
    """Everything a drift run stores, plus the Evidently snapshot behind it."""

    drift_share: float
    drifted_columns: int
    columns: dict[str, ColumnDrift]
    prediction: ColumnDrift
    quality: dict[str, Any]
    snapshot: Snapshot = field(repr=False)

    def column_scores(self) -> dict[str, dict[str, Any]]:
        return {name: asdict(drift) for name, drift in self.columns.items()}


def build_report(
    reference: Reference,
    current: pd.DataFrame,
    *,
    drift_share: float,
    methods: Mapping[str, str] | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> tuple[Report, Dataset, Dataset]:
    """The Evidently report and the two datasets it runs on (also used by the benchmark)."""
    methods, thresholds = dict(methods or {}), dict(thresholds or {})
    features = [c for c in reference.features if current[c].notna().any()]
    definition = DataDefinition(
        numerical_columns=[c for c in reference.numeric_columns if c in features],
        categorical_columns=[
            *(c for c in reference.categorical_columns if c in features),
            PREDICTION_COLUMN,
        ],
    )
    ref = reference.frame
    quality: list[Any] = [MissingValueCount(column=c) for c in reference.features]
    quality += [
        OutRangeValueCount(column=c, left=float(ref[c].min()), right=float(ref[c].max()))
        for c in reference.numeric_columns
        if c in features
    ]
    quality += [
        OutListValueCount(column=c, values=_categories(ref[c]))
        for c in reference.categorical_columns
        if c in features
    ]
    report = Report(
        [
            DataDriftPreset(
                columns=features,
                drift_share=drift_share,
                per_column_method={c: m for c, m in methods.items() if c in features} or None,
                per_column_threshold={c: t for c, t in thresholds.items() if c in features} or None,
            ),
            ValueDrift(
                column=PREDICTION_COLUMN,
                method=methods.get(PREDICTION_COLUMN),
                threshold=thresholds.get(PREDICTION_COLUMN),
            ),
            *quality,
            RowCount(),  # the rows of the window, for the workspace dashboard
        ],
        include_tests=True,
    )
    columns = [*reference.features, PREDICTION_COLUMN]
    return (
        report,
        Dataset.from_pandas(current[columns], data_definition=definition),
        Dataset.from_pandas(ref[columns], data_definition=definition),
    )


def analyse(
    reference: Reference,
    current: pd.DataFrame,
    *,
    drift_share: float,
    methods: Mapping[str, str] | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> Analysis:
    """Run the report and read its verdicts."""
    report, current_ds, reference_ds = build_report(
        reference, current, drift_share=drift_share, methods=methods, thresholds=thresholds
    )
    try:
        snapshot = report.run(current_ds, reference_ds)
    except ValueError as exc:  # unknown or unsuitable drift method given by setting
        raise BadRequestError(f"Evidently rejected the drift configuration: {exc}") from exc
    data = snapshot.dict()
    drifts, share, drifted = _read_drift(data)
    prediction = drifts.pop(PREDICTION_COLUMN)
    return Analysis(
        drift_share=share,
        drifted_columns=drifted,
        columns=drifts,
        prediction=prediction,
        quality=_quality(data, reference, current),
        snapshot=snapshot,
    )


def _categories(series: pd.Series) -> list[str]:
    return sorted(str(v) for v in series.dropna().unique())


def _read_drift(data: dict[str, Any]) -> tuple[dict[str, ColumnDrift], float, int]:
    """Per-column drift (score, method, threshold, Evidently's test verdict) and the share."""
    failed = {
        test["metric_config"]["metric_id"]
        for test in data["tests"]
        if test["id"] == "drift" and str(getattr(test["status"], "value", test["status"])) == "FAIL"
    }
    drifts: dict[str, ColumnDrift] = {}
    share, drifted = 0.0, 0
    for metric in data["metrics"]:
        config = metric["config"]
        kind = config["type"].rsplit(":", 1)[-1]
        if kind == "ValueDrift":
            drifts[config["column"]] = ColumnDrift(
                score=float(metric["value"]),
                method=str(config["method"]),
                threshold=float(config["threshold"]),
                drifted=metric["id"] in failed,
            )
        elif kind == "DriftedColumnsCount":
            share, drifted = float(metric["value"]["share"]), int(metric["value"]["count"])
    return drifts, share, drifted


def _quality(data: dict[str, Any], reference: Reference, current: pd.DataFrame) -> dict[str, Any]:
    """Per column: missing values, and values outside the reference's range or categories."""
    out: dict[str, dict[str, Any]] = {c: {} for c in reference.features}
    names = {
        "MissingValueCount": "missing",
        "OutRangeValueCount": "out_of_range",
        "OutListValueCount": "new_category",
    }
    for metric in data["metrics"]:
        config = metric["config"]
        kind = config["type"].rsplit(":", 1)[-1]
        if kind in names and config.get("column") in out:
            value = metric["value"]
            entry = out[config["column"]]
            entry[names[kind]] = int(value["count"])
            entry[f"{names[kind]}_share"] = float(value["share"])
            if kind == "OutRangeValueCount":
                entry["reference_range"] = [config["left"], config["right"]]
    for column in reference.categorical_columns:
        known = set(_categories(reference.frame[column]))
        seen = current[column].dropna().unique()
        new = sorted(str(v) for v in seen if str(v) not in known)
        if new:
            out[column]["new_categories"] = new[:NEW_CATEGORIES_SHOWN]
    for column in reference.features:
        if not current[column].notna().any():
            out[column]["all_missing"] = True
    return out
