"""Golden sets: catalog datasets with a target column, or a file that gets registered.

The digest (SHA-256 of the file) is the golden set's identity: an evaluation is unique per
(model, version, digest), and versions are only compared on the same digest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from modelfleet.common.datasets.loading import file_digest, read_table
from modelfleet.common.db.models import Dataset
from modelfleet.common.errors import BadRequestError, NotFoundError


@dataclass
class GoldenSet:
    """A resolved golden set; ``frame`` is read once and shared by every target."""

    name: str
    digest: str
    path: Path
    target: str | None
    _frame: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = read_table(self.path).reset_index(drop=True)
        return self._frame


def _local_path(location: str) -> Path:
    return Path(location.removeprefix("file://"))


def _from_catalog(dataset: Dataset) -> GoldenSet:
    path = _local_path(dataset.location)
    if not path.exists():
        raise NotFoundError(f"golden set {dataset.name!r}: file {path} is missing")
    digest = file_digest(path)
    if digest != dataset.digest:
        raise BadRequestError(
            f"golden set {dataset.name!r}: {path} changed since it was registered "
            f"(digest {digest[:12]} ≠ {dataset.digest[:12]}); "
            "register the new file under a new name"
        )
    return GoldenSet(dataset.name, dataset.digest, path, dataset.target)


def _register(session: Session, path: Path, target: str | None) -> Dataset:
    digest = file_digest(path)
    same = session.scalars(select(Dataset).where(Dataset.digest == digest)).first()
    if same is not None:
        return same
    frame = read_table(path)
    name = path.stem
    if session.scalars(select(Dataset.id).where(Dataset.name == name)).first() is not None:
        name = f"{path.stem}-{digest[:8]}"
    dataset = Dataset(
        name=name,
        location=str(path.resolve()),
        owner="collector",
        description="golden set registered by the evaluation job",
        target=target,
        tags={"kind": "golden"},
        rows=len(frame),
        columns=[str(c) for c in frame.columns],
        size_bytes=path.stat().st_size,
        digest=digest,
    )
    session.add(dataset)
    session.commit()
    return dataset


def resolve_golden(engine: Engine, spec: str, target: str | None = None) -> GoldenSet:
    """A catalog dataset by name, else a file path (registered in the catalog on first use)."""
    if not spec:
        raise BadRequestError("golden: name a catalog dataset or a file (MODELFLEET_GOLDEN)")
    with Session(engine, expire_on_commit=False) as session:
        dataset = session.scalars(select(Dataset).where(Dataset.name == spec)).first()
        if dataset is not None:
            golden = _from_catalog(dataset)
            golden.target = target or golden.target
            return golden
        path = _local_path(spec)
        if not path.is_file():
            raise NotFoundError(f"golden: {spec!r} is neither a catalog dataset nor a file")
        try:
            dataset = _register(session, path, target)
        except IntegrityError:
            # Another collector registered the same file at the same moment.
            session.rollback()
            digest = file_digest(path)
            dataset = session.scalars(select(Dataset).where(Dataset.digest == digest)).one()
        return GoldenSet(dataset.name, dataset.digest, path, target or dataset.target)
