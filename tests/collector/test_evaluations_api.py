"""Reading and comparing evaluations over HTTP."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import AddEvaluation

pytestmark = pytest.mark.integration


def test_compare_endpoint_reports_per_class_regressions(
    collector: httpx.Client, add_evaluation: AddEvaluation
) -> None:
    add_evaluation("1", {"High": {"recall": 0.8, "f1": 0.7}, "Low": {"recall": 0.9, "f1": 0.9}})
    add_evaluation("2", {"High": {"recall": 0.85, "f1": 0.75}, "Low": {"recall": 0.6, "f1": 0.7}})
    response = collector.get(
        "/v1/evaluations/compare", params={"model": "m", "baseline": "1", "candidate": "2"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["passed"] is False
    assert [(r["class_label"], r["metric"]) for r in body["regressions"]] == [("Low", "recall")]
    assert body["regressions"][0]["delta"] == pytest.approx(-0.3)
    lenient = collector.get(
        "/v1/evaluations/compare",
        params={"model": "m", "baseline": "1", "candidate": "2", "tolerance": 0.5},
    )
    assert lenient.json()["passed"] is True


@pytest.mark.parametrize(
    ("params", "status", "detail"),
    [
        ({"candidate": "7"}, 404, "version 7 has no done evaluation"),
        ({"candidate": "3"}, 409, "different golden sets"),
        ({"metric": "support"}, 422, "metric"),
        ({"tolerance": "2"}, 422, "tolerance"),
    ],
)
def test_compare_endpoint_refuses_what_cannot_be_compared(
    collector: httpx.Client,
    add_evaluation: AddEvaluation,
    params: dict[str, str],
    status: int,
    detail: str,
) -> None:
    add_evaluation("1", {"High": {"recall": 0.8}})
    add_evaluation("2", {"High": {"recall": 0.8}})
    add_evaluation("3", {"High": {"recall": 0.8}}, digest="other", golden="other-golden")
    query = {"model": "m", "baseline": "1", "candidate": "2"} | params
    response = collector.get("/v1/evaluations/compare", params=query)
    assert response.status_code == status
    assert detail in response.json()["detail"]


def test_evaluations_are_listed_and_read_with_metrics(
    collector: httpx.Client, add_evaluation: AddEvaluation
) -> None:
    first = add_evaluation("1", {"High": {"recall": 0.8}}, overall={"accuracy": 0.75})
    add_evaluation("2", {}, status="failed")
    listed = collector.get("/v1/evaluations", params={"status": "done"}).json()["evaluations"]
    assert [e["id"] for e in listed] == [first]
    one = collector.get(f"/v1/evaluations/{first}").json()
    assert one["metrics"] == {"overall": {"accuracy": 0.75}, "per_class": {"High": {"recall": 0.8}}}
    missing = collector.get("/v1/evaluations/999999")
    assert missing.status_code == 404 and "no evaluation 999999" in missing.json()["detail"]
