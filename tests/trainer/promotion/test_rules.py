"""The promotion's decisions on plain values: no MLflow, no database, no service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from modelfleet.common.errors import BadRequestError, ConflictError
from modelfleet.common.evaluations import EvaluatedVersion, compare_metrics
from modelfleet.trainer.promotion import rules

T0 = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Done:
    """A done evaluation as the rules see one; ``overall`` stands for its stored metrics."""

    id: int
    golden_name: str
    golden_digest: str
    finished_at: datetime | None
    overall: dict[str, float]


def _scores(**values: float) -> rules.Scores:
    return rules.Scores({k.removeprefix("v"): v for k, v in values.items()}, "test scores")


def _choose(
    done: dict[str, list[Done]], runs: dict[str, dict[str, float]], metric: str = "f1_macro"
) -> rules.Scores:
    read_runs: list[str] = []

    def run_metrics(version: str) -> dict[str, float]:
        read_runs.append(version)
        return runs[version]

    scores = rules.choose_scores(done, lambda e: e.overall, run_metrics, metric)
    if scores.source != rules.MLFLOW_SOURCE:
        assert read_runs == []  # MLflow is not asked when the evaluations decide
    return scores


def test_evaluations_score_every_version_on_the_newest_golden_set_they_share() -> None:
    done = {
        "2": [
            Done(4, "golden-v2", "d2", T0 + timedelta(days=2), {"f1_macro": 0.6}),
            Done(2, "golden-v1", "d1", T0, {"f1_macro": 0.7}),
        ],
        "1": [
            Done(3, "golden-v2", "d2", T0 + timedelta(days=1), {"f1_macro": 0.8}),
            Done(1, "golden-v1", "d1", T0, {"f1_macro": 0.9}),
        ],
    }
    runs = {"1": {"test_f1_macro": 0.1}, "2": {"test_f1_macro": 0.2}}
    scores = _choose(done, runs)
    assert scores == rules.Scores({"2": 0.6, "1": 0.8}, "evaluation on golden set golden-v2")


@pytest.mark.parametrize(
    "done",
    [
        # version 2 was never evaluated on the golden set of version 1
        {"1": [Done(1, "g1", "d1", T0, {"f1_macro": 0.9})], "2": []},
        {
            "1": [Done(1, "g1", "d1", T0, {"f1_macro": 0.9})],
            "2": [Done(2, "g2", "d2", T0, {"f1_macro": 0.5})],
        },
        # a shared golden set, but one evaluation lacks the ranking metric
        {
            "1": [Done(1, "g1", "d1", T0, {"f1_macro": 0.9})],
            "2": [Done(2, "g1", "d1", T0, {"accuracy": 0.5})],
        },
    ],
)
def test_mlflow_test_metrics_rank_when_the_evaluations_cannot(done: dict[str, list[Done]]) -> None:
    runs = {"1": {"test_f1_macro": 0.4}, "2": {"test_f1_macro": 0.5}}
    assert _choose(done, runs) == rules.Scores({"1": 0.4, "2": 0.5}, rules.MLFLOW_SOURCE)


def test_a_run_without_the_metric_is_named() -> None:
    with pytest.raises(BadRequestError, match="metric: version 2 has no test_f1_macro"):
        _choose({"1": [], "2": []}, {"1": {"test_f1_macro": 0.4}, "2": {"test_accuracy": 0.5}})


def test_the_best_score_wins_and_the_next_is_challenger() -> None:
    ranking = rules.rank("m", "f1_macro", _scores(v1=0.7, v2=0.9, v3=0.8))
    assert ranking == rules.Ranking("2", "3", explicit=False)
    assert rules.rank("m", "f1_macro", _scores(v1=0.7)) == rules.Ranking("1", None, False)


def test_ties_stay_ties_until_a_version_is_named() -> None:
    tied = _scores(v1=0.85, v2=0.85 + 1e-12, v3=0.5)
    with pytest.raises(ConflictError, match=r"versions \d and \d of m tie on f1_macro"):
        rules.rank("m", "f1_macro", tied)
    assert rules.rank("m", "f1_macro", tied, version="1") == rules.Ranking("1", "2", True)
    # A tie below first place does not matter.
    assert rules.rank("m", "f1_macro", _scores(v1=0.5, v2=0.5, v3=0.9)).champion == "3"


def test_an_explicit_version_wins_even_when_it_is_not_the_best() -> None:
    scores = _scores(v1=0.9, v2=0.5, v3=0.7)
    ranking = rules.rank("m", "f1_macro", scores, version="2")
    assert ranking == rules.Ranking("2", "1", explicit=True)
    champion, challenger = rules.reasons("f1_macro", scores, ranking, rules.NO_CHAMPION)
    assert champion.startswith("champion: chosen explicitly by f1_macro 0.5000 (test scores)")
    assert "over v1 0.9000; no current champion" in champion
    assert challenger == "challenger: runner-up by f1_macro 0.9000 (test scores) behind champion v2"


def test_a_per_class_regression_refuses_the_promotion() -> None:
    drops = rules.recall_drops(
        {"test_recall_High": 0.9, "test_recall_Medium": 0.8, "test_recall_macro": 0.85},
        {"test_recall_High": 0.89, "test_recall_macro": 0.6},  # Medium is unknown to it
        tolerance=0.02,
    )
    assert drops == ["Medium 0.800→0.000"]
    with pytest.raises(ConflictError) as refused:
        rules.guard("m", "2", "1", drops, "MLflow test metrics", tolerance=0.02, force=False)
    assert "v2" in refused.value.detail and "champion v1" in refused.value.detail
    assert "Medium 0.800→0.000" in refused.value.detail and "force" in refused.value.detail


def test_force_promotes_despite_the_regression_and_says_so() -> None:
    checked = rules.guard("m", "2", "1", ["Medium 0.800→0.600"], "src", tolerance=0.1, force=True)
    assert checked.regressions == ["Medium 0.800→0.600"]
    ranking = rules.Ranking("2", "1", explicit=True)
    champion, _ = rules.reasons("f1_macro", _scores(v1=0.8, v2=0.7), ranking, checked)
    assert "per-class recall against v1 (src): Medium 0.800→0.600" in champion
    assert champion.endswith("; FORCED despite the regression")


def test_no_drop_beyond_the_tolerance_passes_the_guard() -> None:
    checked = rules.guard("m", "2", "1", [], "src", tolerance=0.02, force=False)
    assert checked == rules.Guard("per-class recall against v1 (src): no drop beyond 0.02")


def test_evaluation_regressions_read_like_mlflow_ones() -> None:
    baseline = EvaluatedVersion("1", 1, "golden", "d1", {}, {"A": {"recall": 0.8}, "B": {}})
    candidate = EvaluatedVersion("2", 2, "golden", "d1", {}, {"A": {"recall": 0.6}})
    comparison = compare_metrics("m", baseline, candidate, "recall", 0.02)
    assert rules.drops_in(comparison) == ["A 0.800→0.600"]
