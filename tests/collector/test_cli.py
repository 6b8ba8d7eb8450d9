"""``modelfleet evaluations compare`` on the real PostgreSQL."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from modelfleet.cli.main import app
from tests.conftest import AddEvaluation

pytestmark = pytest.mark.integration


def test_compare_prints_the_table_and_fails_on_regression(
    pg_clean: str, add_evaluation: AddEvaluation
) -> None:
    add_evaluation("1", {"High": {"recall": 0.8}, "Low": {"recall": 0.9}})
    add_evaluation("2", {"High": {"recall": 0.9}, "Low": {"recall": 0.5}})
    runner = CliRunner()
    env = {"MODELFLEET_DATABASE_URL": pg_clean, "COLUMNS": "200"}
    args = ["evaluations", "compare", "-m", "m", "-b", "1", "-c", "2"]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 1, result.output
    assert "regressed on recall" in result.output
    assert "Low 0.900→0.500" in result.output
    assert "-0.4000" in result.output and "+0.1000" in result.output
    lenient = runner.invoke(app, [*args, "--tolerance", "0.5"], env=env)
    assert lenient.exit_code == 0, lenient.output
    assert "no regression" in lenient.output
    missing = runner.invoke(
        app, ["evaluations", "compare", "-m", "m", "-b", "1", "-c", "9"], env=env
    )
    assert missing.exit_code == 1
    assert "version 9 has no done evaluation" in missing.output
