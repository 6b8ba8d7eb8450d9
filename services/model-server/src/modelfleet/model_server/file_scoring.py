"""Batch scoring of a CSV or parquet file with the configured version, in large chunks.

Rows come out with the input columns, the prediction and one ``proba_<class>`` column per class.
A bad row (missing value of the wrong type, say) is reported with its line number in the log and in
``<output>.errors.csv`` and left out; it never stops the run. Every scored row is also shipped to
the collector with source ``batch``, exactly like online predictions.
"""

from __future__ import annotations

import csv
import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from modelfleet.common import model_contract as contract
from modelfleet.common.errors import BadRequestError
from modelfleet.model_server.config import ModelServerSettings
from modelfleet.model_server.dataplane import DataPlane, Scored
from modelfleet.model_server.runtime import LoadedModel
from modelfleet.model_server.schema import Batch
from modelfleet.model_server.wiring import build_dataplane

logger = logging.getLogger(__name__)


@dataclass
class BatchReport:
    """What a batch run did."""

    rows: int = 0
    scored: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0


def read_chunks(path: Path, chunk_rows: int) -> Iterator[tuple[pd.DataFrame, int, str]]:
    """``(frame, first line/row number, unit)`` per chunk; CSV cells stay text until checked."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        start = 1
        for record_batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
            frame = record_batch.to_pandas()
            yield frame, start, "row"
            start += len(frame)
    elif suffix in (".csv", ".txt"):
        start = 2  # line 1 is the header
        reader = pd.read_csv(path, dtype=str, keep_default_na=False, chunksize=chunk_rows)
        for frame in reader:
            yield frame, start, "line"
            start += len(frame)
    else:
        raise BadRequestError(f"{path}: unsupported input format {suffix!r}; use .csv or .parquet")


def check_chunk(
    model: LoadedModel, frame: pd.DataFrame, first: int, unit: str
) -> tuple[Batch | None, list[int], list[tuple[int, str]]]:
    """The valid rows as a batch, their positions in ``frame``, and the bad rows' problems."""
    schema = model.schema
    missing = schema.required.difference(frame.columns)
    if missing:
        raise BadRequestError(f"input file lacks column(s) {', '.join(sorted(missing))}")
    rows = _records(frame, [n for n in schema.names if n in frame.columns])
    try:
        return (
            schema.from_records(rows, coerce=True, first_line=first, unit=unit),
            list(range(len(rows))),
            [],
        )
    except BadRequestError:
        pass
    good: list[dict[str, Any]] = []
    positions: list[int] = []
    errors: list[tuple[int, str]] = []
    for i, row in enumerate(rows):
        try:
            schema.from_records([row], coerce=True, first_line=first + i, unit=unit)
        except BadRequestError as exc:
            errors.append((first + i, exc.detail))
            continue
        good.append(row)
        positions.append(i)
    batch = schema.from_records(good, coerce=True) if good else None
    return batch, positions, errors


def _records(frame: pd.DataFrame, names: list[str]) -> list[dict[str, Any]]:
    columns = [frame[n].tolist() for n in names]
    rows = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    for row in rows:
        for key, value in row.items():
            if value == "" or (isinstance(value, float) and value != value):
                row[key] = None
    return rows


def output_table(
    model: LoadedModel, frame: pd.DataFrame, batch: Batch, positions: list[int], scored: Scored
) -> pa.Table:
    """Input columns of the good rows, then prediction and one probability column per class."""
    kept = frame.iloc[positions].reset_index(drop=True)
    out: dict[str, Any] = {c: kept[c] for c in kept.columns if c not in batch.values}
    for name, values in batch.values.items():
        out[name] = np.array(values, dtype=np.float64) if name in model.schema.numeric else values
    out["prediction"] = scored.prediction.labels
    for j, cls in enumerate(model.classes):
        out[f"proba_{cls}"] = scored.prediction.probabilities[:, j]
    return pa.Table.from_pandas(pd.DataFrame(out), preserve_index=False)


async def score_file(
    plane: DataPlane, source: Path, target: Path, *, chunk_rows: int = 50_000
) -> BatchReport:
    """Score ``source`` into ``target`` (parquet) through the plane, which logs source ``batch``."""
    model = plane.model
    report = BatchReport()
    started = time.perf_counter()
    run_id = uuid.uuid4().hex[:16]
    id_columns = [c for c in model.info.run_tags.get(contract.TAG_ID_COLUMNS, "").split(",") if c]
    target.parent.mkdir(parents=True, exist_ok=True)
    writer: pq.ParquetWriter | None = None
    try:
        for number, (frame, first, unit) in enumerate(read_chunks(source, chunk_rows)):
            report.rows += len(frame)
            batch, positions, errors = check_chunk(model, frame, first, unit)
            for line, problem in errors:
                logger.warning("%s %d skipped: %s", unit, line, problem)
            report.errors.extend(errors)
            if batch is None:
                continue
            entity = next((c for c in id_columns if c in frame.columns), None)
            scored = await plane.infer(
                batch,
                entity_ids=[str(frame[entity].iat[i]) for i in positions] if entity else None,
                request_id=f"batch-{run_id}-{number}",
                source="batch",
            )
            table = output_table(model, frame, batch, positions, scored)
            if writer is None:
                writer = pq.ParquetWriter(target, table.schema)
            writer.write_table(table.cast(writer.schema))
            report.scored += batch.size
    finally:
        if writer is not None:
            writer.close()
    if report.errors:
        errors_path = target.with_suffix(".errors.csv")
        with errors_path.open("w", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(["line", "problem"])
            out.writerows(report.errors)
    report.seconds = time.perf_counter() - started
    return report


async def run(
    settings: ModelServerSettings, source: Path, target: Path, chunk_rows: int = 50_000
) -> dict[str, Any]:
    """Load the configured version, score ``source`` into ``target``, ship the logs; a summary."""
    plane = build_dataplane(settings, batch=True)
    try:
        model = await plane.load_now()
        report = await score_file(plane, source, target, chunk_rows=chunk_rows)
    finally:
        await plane.stop()  # ships (or spools) every log before the command exits
    return {
        "model": model.name,
        "version": model.version,
        "input": str(source),
        "output": str(target),
        "rows": report.rows,
        "scored": report.scored,
        "bad_rows": len(report.errors),
        "errors_file": str(target.with_suffix(".errors.csv")) if report.errors else None,
        "seconds": round(report.seconds, 3),
    }
