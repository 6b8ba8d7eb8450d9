"""The drift monitor's Evidently workspace opens in the real ``evidently ui`` on a dashboard whose
panels plot every stored run: drift share, drifted columns, prediction and key-column drift, rows.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

from modelfleet.cli.processes import ManagedProcess, free_port, start_process, wait_until_ready
from modelfleet.cli.synthetic import ID_COLUMN, TARGET, DriftSpec, GamingGenerator
from modelfleet.drift_monitor.analysis import Analysis, analyse
from modelfleet.drift_monitor.reference import PREDICTION_COLUMN, Reference
from modelfleet.drift_monitor.workspace import WorkspaceStore

pytestmark = pytest.mark.integration

MODEL = "dashboard-model"
KEY_COLUMNS = ["AvgSessionDurationMinutes", "SessionsPerWeek"]
WINDOWS = [(1500, None), (1200, DriftSpec.key_columns(0.4)), (900, DriftSpec.key_columns(0.1))]


def frame(rows: int, day: int, drift: DriftSpec | None = None) -> pd.DataFrame:
    data = GamingGenerator(seed=3).generate(rows, day=day, drift=drift)
    return data.drop(columns=[ID_COLUMN]).assign(**{PREDICTION_COLUMN: data[TARGET].astype(str)})


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Analysis]]:
    """Three drift runs of one model stored in a fresh workspace."""
    reference_frame = frame(3000, day=0)
    features = [c for c in reference_frame.columns if c not in (TARGET, PREDICTION_COLUMN)]
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(reference_frame[c])]
    reference = Reference(
        model_name=MODEL,
        model_version="1",
        run_id="run",
        frame=reference_frame,
        target=TARGET,
        model_type="hgb",
        numeric_columns=numeric,
        categorical_columns=[c for c in features if c not in numeric],
    )
    path = tmp_path_factory.mktemp("workspace")
    store = WorkspaceStore(path, KEY_COLUMNS)
    results = []
    for report_id, (rows, drift) in enumerate(WINDOWS, start=1):
        result = analyse(reference, frame(rows, day=report_id, drift=drift), drift_share=0.3)
        store.add(MODEL, report_id, result.snapshot)
        results.append(result)
    return path, results


@pytest.fixture(scope="module")
def evidently_ui(
    runs: tuple[Path, list[Analysis]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ManagedProcess]:
    port = free_port()
    proc = start_process(
        "evidently-ui",
        [
            str(Path(sys.executable).parent / "evidently"),
            *("ui", "--workspace", str(runs[0]), "--host", "127.0.0.1", "--port", str(port)),
        ],
        url=f"http://127.0.0.1:{port}",
        log_path=tmp_path_factory.mktemp("evidently-ui") / "ui.log",
        env={"DO_NOT_TRACK": "1"},
    )
    try:
        wait_until_ready(proc, "/api/projects", timeout=120)
        yield proc
    finally:
        proc.stop()


def test_the_ui_opens_on_a_dashboard_plotting_every_run(
    evidently_ui: ManagedProcess, runs: tuple[Path, list[Analysis]]
) -> None:
    results = runs[1]
    api = evidently_ui.url + "/api"
    (project,) = [p for p in httpx.get(api + "/projects").json() if p["name"] == MODEL]
    dashboard = httpx.get(f"{api}/v2/dashboards/{project['id']}").json()
    panels = {panel["title"]: panel for panel in dashboard["panels"]}
    assert set(panels) == {
        f"Drift of {MODEL}",
        "Drift share, latest run",
        "Rows in the latest window",
        "Share of drifted feature columns per run",
        "Drifted feature columns per run",
        "Prediction drift score per run",
        "Key-column drift score per run",
        "Rows per window",
    }
    assert dashboard["tabs"] and set(dashboard["tabs"][0]["panels"]) == {
        p["id"] for p in dashboard["panels"]
    }

    def series(title: str) -> list[list[float | None]]:
        filters = [
            {
                "metric": value["metric"],
                "tags": value["tags"],
                "metadata": value["metadata"],
                "metric_labels": value["metric_labels"],
            }
            for value in panels[title]["values"]
        ]
        answer = httpx.post(
            f"{api}/v2/snapshots/{project['id']}/data_series_batch",
            json={"series_filter": filters},
        )
        assert answer.status_code in (200, 201), answer.text
        found = answer.json()
        assert len(found["sources"]) == len(WINDOWS), title
        return [s["values"] for s in sorted(found["series"], key=lambda s: s["filter_index"])]

    (shares,) = series("Share of drifted feature columns per run")
    assert shares == pytest.approx([r.drift_share for r in results])
    (drifted,) = series("Drifted feature columns per run")
    assert drifted == [r.drifted_columns for r in results]
    (prediction,) = series("Prediction drift score per run")
    assert prediction == pytest.approx([r.prediction.score for r in results])
    keys = series("Key-column drift score per run")
    assert keys == [
        pytest.approx([r.columns[column].score for r in results]) for column in KEY_COLUMNS
    ]
    (window_rows,) = series("Rows per window")
    assert window_rows == [rows for rows, _drift in WINDOWS]
    assert results[1].drift_share > results[0].drift_share  # the plotted runs really differ
