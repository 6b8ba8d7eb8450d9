"""``modelfleet.trainer.facade``: what the CLI gets from the trainer, without services."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelfleet.common.errors import BadRequestError, UnavailableError
from modelfleet.trainer import facade


def test_params_are_read_as_json_when_they_parse() -> None:
    assert facade.parse_params(["max_iter=50", "learning_rate=0.05", "class_weight=balanced"]) == {
        "max_iter": 50,
        "learning_rate": 0.05,
        "class_weight": "balanced",
    }
    assert facade.parse_params(["max_depth=null", "warm_start=true"]) == {
        "max_depth": None,
        "warm_start": True,
    }
    with pytest.raises(BadRequestError, match="name=value"):
        facade.parse_params(["max_iter"])


def test_a_database_without_the_schema_is_one_line_of_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELFLEET_DATABASE_URL", f"sqlite:///{tmp_path / 'never-migrated.db'}")
    with pytest.raises(UnavailableError) as caught:
        facade.search_datasets(None, [])
    assert caught.value.detail.startswith("catalog unavailable: ")
    assert caught.value.detail.endswith("(run `modelfleet db upgrade`)")
    assert "\n" not in caught.value.detail
