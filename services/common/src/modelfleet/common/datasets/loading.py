"""Load a CSV (or parquet) with a named target column, keeping identifier columns out of features.

An identifier is a column unique per row that carries no signal: a text column whose every value
differs (names), or an integer column whose every value differs and that either is named like an id
or counts through a consecutive range (``PlayerID`` 9000…49033, ``pokedex_number``). Floats never
count, since a continuous feature is often unique per row too.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from modelfleet.common.errors import BadRequestError

_ID_NAME = re.compile(r"(^id$|_id$|id$|^index$|^unnamed: \d+$|number$|^uuid$|^key$)", re.I)
_NUMERIC_TEXT_SHARE = 0.95
"""A text column whose values are at least this share numeric is a numeric column with typos."""


@dataclass
class LoadedDataset:
    """A table split into features and target, with what was kept out and why."""

    frame: pd.DataFrame
    target: str
    features: pd.DataFrame
    labels: pd.Series
    id_columns: list[str]
    dropped: list[str]
    numeric_columns: list[str] = field(default_factory=list)
    categorical_columns: list[str] = field(default_factory=list)
    digest: str = ""
    source: str = ""

    @property
    def classes(self) -> list[str]:
        return sorted(self.labels.unique().tolist())


def file_digest(path: Path) -> str:
    """SHA-256 of the file's bytes: the dataset's identity in the catalog and in MLflow."""
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def read_table(path: Path) -> pd.DataFrame:
    """Read CSV or parquet; an empty or unparsable file is a BadRequestError naming the file."""
    if not path.exists():
        raise BadRequestError(f"data file {path} does not exist")
    if path.stat().st_size == 0:
        raise BadRequestError(f"data file {path} is empty")
    try:
        parquet = path.suffix in {".parquet", ".pq"}
        frame = pd.read_parquet(path) if parquet else pd.read_csv(path)
    except (
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
        ValueError,
        OSError,
    ) as exc:
        raise BadRequestError(f"cannot parse {path.name}: {str(exc).splitlines()[0]}") from exc
    if frame.empty or frame.shape[1] == 0:
        raise BadRequestError(f"data file {path.name} has no data rows")
    return frame


def detect_id_columns(frame: pd.DataFrame, exclude: set[str]) -> list[str]:
    """Columns unique per row that look like identifiers (see module docstring)."""
    found = []
    n = len(frame)
    for column in frame.columns:
        if column in exclude or n < 2:
            continue
        series = frame[column]
        if series.isna().any() or series.nunique() != n:
            continue
        if pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
            if _numeric_share(series) < _NUMERIC_TEXT_SHARE:
                found.append(column)
        elif pd.api.types.is_integer_dtype(series):
            consecutive = int(series.max()) - int(series.min()) == n - 1
            if consecutive or _ID_NAME.search(str(column)):
                found.append(column)
    return found


def _numeric_share(series: pd.Series) -> float:
    present = series.dropna()
    return float(pd.to_numeric(present, errors="coerce").notna().mean()) if len(present) else 0.0


def check_numeric_text(frame: pd.DataFrame, columns: list[str]) -> None:
    """Reject a mostly-numeric text column holding stray text, naming the column, value and line."""
    for column in columns:
        series = frame[column]
        if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
            continue
        present = series.dropna()
        parsed = pd.to_numeric(present, errors="coerce")
        share = parsed.notna().mean() if len(present) else 0.0
        if _NUMERIC_TEXT_SHARE <= share < 1.0:
            bad_index = parsed[parsed.isna()].index[0]
            raise BadRequestError(
                f"column {column!r} is numeric but holds text {present[bad_index]!r} "
                f"on line {int(bad_index) + 2}"
            )


def prepare(
    frame: pd.DataFrame,
    target: str,
    *,
    id_columns: list[str] | None = None,
    drop: list[str] | None = None,
    source: str = "",
    digest: str = "",
) -> LoadedDataset:
    """Split a frame into features and labels; detect ids unless given; validate the target."""
    if target not in frame.columns:
        raise BadRequestError(
            f"target column {target!r} not found; columns are: {', '.join(map(str, frame.columns))}"
        )
    drop = list(drop or [])
    for column in [*drop, *(id_columns or [])]:
        if column not in frame.columns:
            raise BadRequestError(f"column {column!r} (given to drop or as id) not found")
    ids = id_columns if id_columns is not None else detect_id_columns(frame, {target, *drop})
    frame = frame[frame[target].notna()].reset_index(drop=True)
    labels = frame[target].astype(str)
    if labels.nunique() < 2:
        raise BadRequestError(
            f"target column {target!r} has a single class ({labels.iloc[0]}); "
            "a classifier needs at least two"
        )
    feature_names = [c for c in frame.columns if c not in {target, *ids, *drop}]
    if not feature_names:
        raise BadRequestError("no feature columns left after removing target, ids and dropped")
    features = frame[feature_names]
    check_numeric_text(features, feature_names)
    numeric = [
        c
        for c in feature_names
        if pd.api.types.is_numeric_dtype(features[c])
        and not pd.api.types.is_bool_dtype(features[c])
    ]
    categorical = [c for c in feature_names if c not in numeric]
    return LoadedDataset(
        frame=frame,
        target=target,
        features=features,
        labels=labels,
        id_columns=ids,
        dropped=drop,
        numeric_columns=numeric,
        categorical_columns=categorical,
        digest=digest,
        source=source,
    )


def load_dataset(
    path: Path, target: str, *, id_columns: list[str] | None = None, drop: list[str] | None = None
) -> LoadedDataset:
    """Read and prepare a data file (see :func:`prepare`)."""
    path = Path(path)
    return prepare(
        read_table(path),
        target,
        id_columns=id_columns,
        drop=drop,
        source=str(path.resolve()),
        digest=file_digest(path),
    )
