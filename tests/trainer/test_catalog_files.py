"""The catalog's file and tag helpers: no database, no service."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from modelfleet.common.errors import BadRequestError, ConflictError
from modelfleet.trainer import catalog


def test_tag_filters_need_a_key_and_a_colon() -> None:
    assert catalog.parse_tag(" generation : 3 ") == ("generation", "3")
    assert catalog.parse_tag("url:http://x") == ("url", "http://x")
    for bad in ("generation", ":3"):
        with pytest.raises(BadRequestError, match="key:value"):
            catalog.parse_tag(bad)


def test_uploads_are_stored_once_and_capped(tmp_path: Path) -> None:
    stored = catalog.store_upload(tmp_path, "day-1", "batch.csv", io.BytesIO(b"a,b\n1,2\n"), 100)
    assert stored == (tmp_path / "datasets" / "day-1.csv").resolve()
    assert stored.read_bytes() == b"a,b\n1,2\n"
    with pytest.raises(ConflictError):
        catalog.store_upload(tmp_path, "day-1", "batch.csv", io.BytesIO(b"x"), 100)
    with pytest.raises(BadRequestError, match="upload limit"):
        catalog.store_upload(tmp_path, "day-2", "b.csv", io.BytesIO(b"x" * 101), 100)
    assert not (tmp_path / "datasets" / "day-2.csv").exists()
    assert list((tmp_path / "datasets").glob("*.part")) == []
    with pytest.raises(BadRequestError, match="name"):
        catalog.store_upload(tmp_path, "../escape", "b.csv", io.BytesIO(b"x"), 100)
    with pytest.raises(BadRequestError, match="CSV or parquet"):
        catalog.store_upload(tmp_path, "day-3", "b.exe", io.BytesIO(b"x"), 100)
