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

from modelfleet.common.db.queries import predictions as queries
from modelfleet.drift_monitor.frames import read_frame
from modelfleet.drift_monitor.reference import Reference


@dataclass
class TrainingSet:
    """A CSV written for upload, and how many of its rows came from labelled traffic."""

    path: Path
    reference_rows: int
    labelled_rows: int


def labelled_traffic(engine: Engine, reference: Reference, since: datetime) -> pd.DataFrame:
    """The version's online predictions since ``since`` that have a label: features + target."""
    columns, params = queries.feature_columns(
        engine, reference.numeric_columns, reference.categorical_columns
    )
    columns.append(queries.Column(reference.target, queries.LABEL))
    selection = queries.labelled_since(reference.model_name, reference.model_version, since)
    return read_frame(engine, columns, selection, params)


def write_training_set(reference: Reference, labelled: pd.DataFrame, path: Path) -> TrainingSet:
    """Reference rows then labelled rows, with the reference's columns, as CSV."""
    columns = [*reference.features, reference.target]
    path.parent.mkdir(parents=True, exist_ok=True)
    combined = pd.concat(
        [reference.frame[columns], labelled[columns]], ignore_index=True, copy=False
    )
    combined.to_csv(path, index=False)
    return TrainingSet(path=path, reference_rows=len(reference.frame), labelled_rows=len(labelled))
