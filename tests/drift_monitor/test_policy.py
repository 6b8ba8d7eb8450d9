"""The retraining rule on its own: each trigger, thresholds, minimum rows, cooldown."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from modelfleet.drift_monitor.analysis import Analysis, ColumnDrift
from modelfleet.drift_monitor.config import DriftSettings
from modelfleet.drift_monitor.policy import COOLDOWN, NO_DRIFT, RETRAIN, Policy

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
FEATURES = ["Age", "Gender", "Location", "SessionsPerWeek", "AvgSessionDurationMinutes"]


def analysis(drifted: Collection[str] = (), prediction: bool = False) -> Analysis:
    """An analysis where exactly ``drifted`` columns drifted (share computed like Evidently)."""
    columns = {
        c: ColumnDrift(0.5 if c in drifted else 0.01, "wasserstein", 0.1, c in drifted)
        for c in FEATURES
    }
    return Analysis(
        drift_share=len(drifted) / len(FEATURES),
        drifted_columns=len(drifted),
        columns=columns,
        prediction=ColumnDrift(0.3 if prediction else 0.01, "jensenshannon", 0.1, prediction),
        quality={},
        snapshot=cast(Any, None),
    )


POLICY = Policy(key_columns=("SessionsPerWeek", "AvgSessionDurationMinutes"))


def test_quiet_traffic_is_left_alone() -> None:
    assert POLICY.decide(analysis(), None, NOW).decision == NO_DRIFT


def test_one_key_column_alone_triggers_retraining() -> None:
    decision = POLICY.decide(analysis({"SessionsPerWeek"}), None, NOW)

    assert decision.decision == RETRAIN
    assert decision.reasons == ["key column(s) drifted: SessionsPerWeek"]


def test_the_same_column_is_not_enough_when_it_is_not_a_key_column() -> None:
    assert POLICY.decide(analysis({"Age"}), None, NOW).decision == NO_DRIFT


def test_drift_share_must_exceed_the_threshold() -> None:
    at_threshold = Policy(drift_share_threshold=0.4).decide(analysis({"Age", "Gender"}), None, NOW)
    above = Policy(drift_share_threshold=0.3).decide(analysis({"Age", "Gender"}), None, NOW)

    assert at_threshold.decision == NO_DRIFT
    assert above.decision == RETRAIN
    assert above.reasons == ["drift share 0.40 > 0.30"]


def test_prediction_drift_triggers_unless_switched_off() -> None:
    assert POLICY.decide(analysis(prediction=True), None, NOW).decision == RETRAIN
    off = Policy(retrain_on_prediction_drift=False)
    assert off.decide(analysis(prediction=True), None, NOW).decision == NO_DRIFT


def test_cooldown_holds_back_a_second_request_then_expires() -> None:
    drifted = analysis({"SessionsPerWeek"})

    within = POLICY.decide(drifted, NOW - timedelta(hours=3), NOW)
    after = POLICY.decide(drifted, NOW - timedelta(hours=25), NOW)

    assert within.decision == COOLDOWN
    assert "cooldown until 2026-01-11 09:00 UTC" in within.reason
    assert after.decision == RETRAIN


@pytest.mark.parametrize(("rows", "enough"), [(499, False), (500, True)])
def test_minimum_rows(rows: int, enough: bool) -> None:
    assert Policy(min_rows=500).enough_rows(rows) is enough


def test_policy_reads_its_knobs_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELFLEET_KEY_COLUMNS", "Age, Gender")
    monkeypatch.setenv("MODELFLEET_DRIFT_SHARE_THRESHOLD", "0.5")
    monkeypatch.setenv("MODELFLEET_COOLDOWN_HOURS", "2")

    policy = Policy.from_settings(DriftSettings())

    assert policy.key_columns == ("Age", "Gender")
    assert policy.drift_share_threshold == 0.5
    assert policy.cooldown == timedelta(hours=2)
    assert policy.decide(analysis({"Gender"}), None, NOW).decision == RETRAIN
