"""Fast unit tests of the trainer's small pure helpers (no database, no MLflow)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from modelfleet.common.errors import BadRequestError, ConflictError
from modelfleet.trainer import catalog
from modelfleet.trainer.jobs import read_header
from modelfleet.trainer.runner import parse_params


def test_params_are_read_as_json_when_they_parse() -> None:
    assert parse_params(["max_iter=50", "learning_rate=0.05", "class_weight=balanced"]) == {
        "max_iter": 50,
        "learning_rate": 0.05,
        "class_weight": "balanced",
    }
    assert parse_params(["max_depth=null", "warm_start=true"]) == {
        "max_depth": None,
        "warm_start": True,
    }
    with pytest.raises(BadRequestError, match="name=value"):
        parse_params(["max_iter"])


def test_tag_filters_need_a_key_and_a_colon() -> None:
    assert catalog.parse_tag(" generation : 3 ") == ("generation", "3")
    assert catalog.parse_tag("url:http://x") == ("url", "http://x")
    for bad in ("generation", ":3"):
        with pytest.raises(BadRequestError, match="key:value"):
            catalog.parse_tag(bad)


def test_header_is_read_without_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a,b,target\n1,2,x\n")
    assert read_header(path) == ["a", "b", "target"]
    path.write_bytes(b"")
    with pytest.raises(BadRequestError, match="empty"):
        read_header(path)


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
