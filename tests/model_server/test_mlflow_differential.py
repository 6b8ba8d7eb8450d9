"""Differential test: the same catalogue against the real ``mlflow models serve`` and against ours.

For every case both servers must answer with the same status class, and wherever MLflow
predicts, ours predicts the identical labels. Where we differ on purpose, the case is in
``DELIBERATE`` with both outcomes pinned, so a change on either side fails the test, and the
README's list of deliberate differences names it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

from modelfleet.cli.processes import ManagedProcess, free_port, start_process, wait_until_ready
from tests.model_server.mlflow_cases import CASES, Case, Request

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent

MISSING_INTEGER = (
    "MLflow refuses a missing value in an integer column because int64 cannot hold NaN; the "
    "pipeline's imputer was fitted for exactly that, so we predict (as /v1/predict does for null)"
)
DELIBERATE: dict[str, tuple[int, int, str]] = {
    "nan-in-integer-column": (2, 4, MISSING_INTEGER),
    "null-in-integer-column": (2, 4, MISSING_INTEGER),
    "csv-empty-integer-cell": (2, 4, MISSING_INTEGER),
    "number-for-string": (
        4,
        2,
        "MLflow predicts with the number as an unseen category (a garbage prediction); "
        "we refuse it naming the column",
    ),
    "bool-for-number": (
        4,
        2,
        "MLflow predicts with true as 1; we refuse a boolean for a numeric column, naming it",
    ),
    "no-content-type": (
        2,
        5,
        "MLflow answers 500 to a body without Content-Type; we read it as JSON, the default",
    ),
}
"""case id → (our status class, MLflow's status class, why); listed in the README too."""


@pytest.fixture(scope="module")
def mlflow_serve(
    registered_model: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ManagedProcess]:
    """``mlflow models serve`` of the same version; it shells out to a bare ``uvicorn``."""
    port = free_port()
    workdir = tmp_path_factory.mktemp("mlflow-serve")
    model = f"models:/{registered_model['name']}/{registered_model['version']}"
    proc = start_process(
        "mlflow-serve",
        [
            *(str(BIN / "mlflow"), "models", "serve", "-m", model, "--env-manager", "local"),
            *("-h", "127.0.0.1", "-p", str(port), "-w", "1"),
        ],
        url=f"http://127.0.0.1:{port}",
        log_path=workdir / "mlflow-serve.log",
        env={
            "MLFLOW_TRACKING_URI": registered_model["tracking_uri"],
            "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        },
    )
    try:
        wait_until_ready(proc, "/ping", timeout=180)
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def rows(gaming_rows: pd.DataFrame) -> pd.DataFrame:
    return gaming_rows.sample(6, random_state=13).reset_index(drop=True)


def send(url: str, request: Request) -> httpx.Response:
    headers = {} if request.content_type is None else {"content-type": request.content_type}
    with httpx.Client(timeout=60) as client:
        return client.post(url + "/invocations", content=request.body, headers=headers)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_same_answer_as_mlflow_models_serve(
    case: Case, rows: pd.DataFrame, served: ManagedProcess, mlflow_serve: ManagedProcess
) -> None:
    request = case.build(rows)
    theirs = send(mlflow_serve.url, request)
    ours = send(served.url, request)
    outcome = (ours.status_code // 100, theirs.status_code // 100)
    report = (
        f"ours {ours.status_code} {ours.text[:300]!r}\n"
        f"mlflow {theirs.status_code} {theirs.text[:300]!r}"
    )
    if case.id in DELIBERATE:
        ours_class, theirs_class, why = DELIBERATE[case.id]
        assert outcome == (ours_class, theirs_class), f"{why}\n{report}"
        return
    assert outcome[0] == outcome[1], report
    if theirs.status_code == 200:
        assert ours.json() == theirs.json(), report
    elif ours.status_code == 400:
        assert ours.json()["error_code"] == "BAD_REQUEST", report
