"""The job queue's synchronous checks: no database, no service."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelfleet.common.errors import BadRequestError
from modelfleet.trainer.job_queue import read_header


def test_header_is_read_without_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a,b,target\n1,2,x\n")
    assert read_header(path) == ["a", "b", "target"]
    path.write_bytes(b"")
    with pytest.raises(BadRequestError, match="empty"):
        read_header(path)
