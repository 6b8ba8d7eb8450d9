"""Evidently workspace on disk: one project per model, one snapshot per drift run.

``evidently ui --workspace <state_dir>/drift/workspace`` shows every model's runs over time.
"""

from __future__ import annotations

import threading
from pathlib import Path

from evidently.core.report import Snapshot
from evidently.ui.workspace import Workspace


def snapshot_name(report_id: int) -> str:
    """The name a drift report's snapshot carries in the workspace."""
    return f"drift-report-{report_id}"


class WorkspaceStore:
    """Adds run snapshots to a local Evidently workspace (created on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._workspace: Workspace | None = None

    def workspace(self) -> Workspace:
        if self._workspace is None:
            self.path.mkdir(parents=True, exist_ok=True)
            self._workspace = Workspace.create(str(self.path))
        return self._workspace

    def project_id(self, model_name: str) -> str:
        """The model's project, created when the model's first run is stored."""
        workspace = self.workspace()
        found = workspace.search_project(model_name)
        if found:
            return str(found[0].id)
        project = workspace.create_project(
            model_name, description=f"Drift of {model_name}'s served versions (modelfleet)"
        )
        return str(project.id)

    def add(self, model_name: str, report_id: int, snapshot: Snapshot) -> str:
        """Store the snapshot in the model's project; its snapshot id."""
        with self._lock:
            project = self.project_id(model_name)
            ref = self.workspace().add_run(project, snapshot, name=snapshot_name(report_id))
            return str(ref.id)
