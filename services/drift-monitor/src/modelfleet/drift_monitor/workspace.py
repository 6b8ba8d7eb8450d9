"""Evidently workspace on disk: one project per model, one snapshot per drift run, a dashboard.

``evidently ui --workspace <state_dir>/drift/workspace`` opens on each model's dashboard: drift
share and drifted columns per run, prediction drift, the drift of the key columns (the ones that
trigger a retraining) and the rows of every window, one point per run of any served version.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from evidently.core.report import Snapshot
from evidently.sdk.models import DashboardPanelPlot, PanelMetric
from evidently.sdk.panels import bar_plot_panel, counter_panel, line_plot_panel, text_panel
from evidently.ui.workspace import Project, Workspace

from modelfleet.drift_monitor.reference import PREDICTION_COLUMN

DRIFTED = "evidently:metric_v2:DriftedColumnsCount"
VALUE_DRIFT = "evidently:metric_v2:ValueDrift"
ROWS = "evidently:metric_v2:RowCount"


def snapshot_name(report_id: int) -> str:
    """The name a drift report's snapshot carries in the workspace."""
    return f"drift-report-{report_id}"


def dashboard_panels(model_name: str, key_columns: Sequence[str]) -> list[DashboardPanelPlot]:
    """The panels of a model's project, in the order the UI shows them."""
    share = PanelMetric(legend="share", metric=DRIFTED, metric_labels={"value_type": "share"})
    count = PanelMetric(legend="columns", metric=DRIFTED, metric_labels={"value_type": "count"})
    rows = PanelMetric(legend="rows", metric=ROWS)
    prediction = PanelMetric(
        legend="predicted label", metric=VALUE_DRIFT, metric_labels={"column": PREDICTION_COLUMN}
    )
    panels = [
        text_panel(
            f"Drift of {model_name}",
            description="One point per drift run of any served version against its training "
            "reference; click a point to open that run's report.",
        ),
        counter_panel("Drift share, latest run", [share], size="half"),
        counter_panel("Rows in the latest window", [rows], size="half"),
        line_plot_panel("Share of drifted feature columns per run", [share], size="half"),
        bar_plot_panel("Drifted feature columns per run", [count], size="half"),
        line_plot_panel(
            "Prediction drift score per run",
            [prediction],
            description="Drift score of the predicted label's distribution",
            size="half",
        ),
    ]
    if key_columns:
        panels.append(
            line_plot_panel(
                "Key-column drift score per run",
                [
                    PanelMetric(legend=column, metric=VALUE_DRIFT, metric_labels={"column": column})
                    for column in key_columns
                ],
                description="The columns whose drift alone triggers a retraining",
                size="half",
            )
        )
    panels.append(bar_plot_panel("Rows per window", [rows], size="full"))
    return panels


class WorkspaceStore:
    """Adds run snapshots to a local Evidently workspace (created on first use)."""

    def __init__(self, path: Path, key_columns: Sequence[str] = ()) -> None:
        self.path = path
        self.key_columns = list(key_columns)
        self._lock = threading.Lock()
        self._workspace: Workspace | None = None

    def workspace(self) -> Workspace:
        if self._workspace is None:
            self.path.mkdir(parents=True, exist_ok=True)
            self._workspace = Workspace.create(str(self.path))
        return self._workspace

    def project_id(self, model_name: str) -> str:
        """The model's project, created with its dashboard when the model's first run is stored."""
        workspace = self.workspace()
        found = workspace.search_project(model_name)
        project = (
            found[0]
            if found
            else workspace.create_project(
                model_name, description=f"Drift of {model_name}'s served versions (modelfleet)"
            )
        )
        self._ensure_dashboard(project, model_name)
        return str(project.id)

    def _ensure_dashboard(self, project: Project, model_name: str) -> None:
        """Panels for a project that has none (new, or made before dashboards existed)."""
        dashboard = project.dashboard
        if dashboard.model().panels:
            return
        for panel in dashboard_panels(model_name, self.key_columns):
            dashboard.add_panel(panel)

    def add(self, model_name: str, report_id: int, snapshot: Snapshot) -> str:
        """Store the snapshot in the model's project; its snapshot id."""
        with self._lock:
            project = self.project_id(model_name)
            ref = self.workspace().add_run(project, snapshot, name=snapshot_name(report_id))
            return str(ref.id)
