"""The training set of a retraining: the reference sample plus the labelled recent traffic.

Labels come from ``v_labelled_predictions`` (the label given for the prediction itself, else the
latest label observed for its entity id), joined back to the prediction's logged features and
streamed like the drift window. The label becomes the target column the version was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from modelfleet.drift_monitor.frames import Column, feature_columns, read_frame
from modelfleet.drift_monitor.reference import Reference

_LABELLED = (
    "FROM v_labelled_predictions v JOIN predictions p ON p.id = v.prediction_id "
    "WHERE v.model_name = %(model)s AND v.model_version = %(version)s "
    "AND v.created_at >= %(since)s AND v.label IS NOT NULL"
)


@dataclass
class TrainingSet:
    """A CSV written for upload, and how many of its rows came from labelled traffic."""

    path: Path
    reference_rows: int
    labelled_rows: int


def labelled_traffic(engine: Engine, reference: Reference, since: datetime) -> pd.DataFrame:
    """The version's online predictions since ``since`` that have a label: features + target."""
    columns, params = feature_columns(
        engine, reference.numeric_columns, reference.categorical_columns
    )
    columns.append(Column(reference.target, "v.label"))
    params.update(model=reference.model_name, version=reference.model_version, since=since)
    return read_frame(engine, columns, _LABELLED, params)


def write_training_set(reference: Reference, labelled: pd.DataFrame, path: Path) -> TrainingSet:
    """Reference rows then labelled rows, with the reference's columns, as CSV."""
    columns = [*reference.features, reference.target]
    path.parent.mkdir(parents=True, exist_ok=True)
    combined = pd.concat(
        [reference.frame[columns], labelled[columns]], ignore_index=True, copy=False
    )
    combined.to_csv(path, index=False)
    return TrainingSet(path=path, reference_rows=len(reference.frame), labelled_rows=len(labelled))
