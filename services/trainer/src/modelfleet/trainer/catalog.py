"""The dataset catalog: register data files with their facts, find them by text or tag.

Used by the HTTP API and by ``modelfleet datasets`` alike, both straight on the database. The
facts (rows, columns, size, digest, creation time) are always computed from the file itself, so a
catalog entry cannot claim something its file does not hold.
"""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session

from modelfleet.common.datasets.loading import file_digest, read_table
from modelfleet.common.db.models import Dataset
from modelfleet.common.errors import BadRequestError, ConflictError, NotFoundError
from modelfleet.common.wire import DATASET_NAME_PATTERN, DatasetMeta, DatasetOut

_SUFFIXES = {".csv", ".parquet", ".pq"}


def register(session: Session, meta: DatasetMeta, path: Path | None = None) -> DatasetOut:
    """Add a file to the catalog (``path`` overrides ``meta.location``, e.g. for uploads)."""
    file = Path(path or meta.location or "")
    if not str(file) or str(file) == ".":
        raise BadRequestError("location: required (the path of the data file)")
    ensure_new(session, meta.name)
    file = file.resolve()
    if not file.is_file():
        raise BadRequestError(f"location: {file} is not a readable file")
    frame = read_table(file)
    columns = [str(c) for c in frame.columns]
    if meta.target is not None and meta.target not in columns:
        raise BadRequestError(
            f"target: column {meta.target!r} not in {file.name}; columns are {', '.join(columns)}"
        )
    stat = file.stat()
    row = Dataset(
        name=meta.name,
        location=str(file),
        owner=meta.owner,
        description=meta.description,
        target=meta.target,
        tags=dict(meta.tags),
        rows=len(frame),
        columns=columns,
        size_bytes=stat.st_size,
        digest=file_digest(file),
        created_at=datetime.fromtimestamp(stat.st_mtime, UTC),
    )
    session.add(row)
    session.flush()
    return DatasetOut.model_validate(row)


def store_upload(data_dir: Path, name: str, filename: str, stream: IO[bytes], limit: int) -> Path:
    """Copy an uploaded file under ``data_dir/datasets`` as ``<name><suffix>``, atomically."""
    if not re.match(DATASET_NAME_PATTERN, name):
        raise BadRequestError(f"name: {name!r} must match {DATASET_NAME_PATTERN}")
    suffix = Path(filename or "").suffix.lower() or ".csv"
    if suffix not in _SUFFIXES:
        raise BadRequestError(f"file: {filename!r} is not a CSV or parquet file")
    folder = (data_dir / "datasets").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}{suffix}"
    if target.exists():
        raise ConflictError(f"a dataset file named {target.name} already exists")
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as tmp:
        copied = 0
        while chunk := stream.read(1 << 20):
            copied += len(chunk)
            if copied > limit:
                tmp.close()
                Path(tmp.name).unlink(missing_ok=True)
                raise BadRequestError(f"file: larger than the {limit:,}-byte upload limit")
            tmp.write(chunk)
    Path(tmp.name).replace(target)
    return target


def get(session: Session, name: str) -> DatasetOut:
    """One entry by name; NotFoundError otherwise."""
    row = session.scalars(select(Dataset).where(Dataset.name == name)).first()
    if row is None:
        raise NotFoundError(f"dataset {name!r} is not in the catalog")
    return DatasetOut.model_validate(row)


def parse_tag(tag: str) -> tuple[str, str]:
    """``generation:3`` → ``("generation", "3")``."""
    key, sep, value = tag.partition(":")
    if not sep or not key.strip():
        raise BadRequestError(f"tag: {tag!r} must look like key:value")
    return key.strip(), value.strip()


def search(
    session: Session, q: str | None = None, tags: list[str] | None = None, limit: int = 200
) -> list[DatasetOut]:
    """Entries whose name, description, location or tags contain ``q`` (case-insensitive
    substring) and that carry every ``key:value`` tag; newest first."""
    query = select(Dataset)
    if q and q.strip():
        pattern = f"%{q.strip()}%"
        query = query.where(
            or_(
                Dataset.name.ilike(pattern),
                Dataset.description.ilike(pattern),
                Dataset.location.ilike(pattern),
                cast(Dataset.tags, String).ilike(pattern),
            )
        )
    for tag in tags or []:
        key, value = parse_tag(tag)
        query = query.where(Dataset.tags[key].as_string() == value)
    query = query.order_by(Dataset.created_at.desc(), Dataset.name).limit(limit)
    return [DatasetOut.model_validate(row) for row in session.scalars(query)]


def resolve_data(session: Session, data: str) -> tuple[Path, str | None]:
    """The file behind ``data`` and its catalog name when it is one. An existing file path wins
    (names cannot hold ``/``, so only a bare file name in the working directory could clash)."""
    path = Path(data).expanduser()
    if path.is_file():
        return path.resolve(), None
    row = session.scalars(select(Dataset).where(Dataset.name == data)).first()
    if row is None:
        raise BadRequestError(f"data: {data!r} is neither an existing file nor a catalog dataset")
    path = Path(row.location)
    if not path.is_file():
        raise BadRequestError(f"data: dataset {data!r} points at {path}, which is gone")
    return path, row.name


def ensure_new(session: Session, name: str) -> None:
    """ConflictError when the name is taken (checked before an upload is written to disk)."""
    if session.scalars(select(Dataset.id).where(Dataset.name == name)).first() is not None:
        raise ConflictError(f"dataset {name!r} already exists in the catalog")


def remove_file(path: Path) -> None:
    """Delete an uploaded file whose registration failed, so a retry can use the name."""
    path.unlink(missing_ok=True)
