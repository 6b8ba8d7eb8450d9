"""Security scan of the rendered chart and the Dockerfiles with checkov (pinned in the Makefile).

checkov runs through `uv tool run` with the version pinned in the Makefile, outside the workspace
lockfile (its pins clash with the services'). Every finding is fixed or justified in
.checkov.yaml / a `checkov.io/skipN` annotation on the one resource it concerns.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .conftest import CHART, EVERYTHING_VALUES, ROOT, find_tool, run

pytestmark = pytest.mark.k8s


def checkov_version() -> str:
    match = re.search(r"^CHECKOV_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert match, "CHECKOV_VERSION is pinned in the Makefile"
    return match.group(1)


def test_checkov_finds_nothing_unjustified(helm: str, tmp_path: Path) -> None:
    files = []
    for name, values in (("default", None), ("everything", EVERYTHING_VALUES)):
        cmd = [helm, "template", "fleet", str(CHART), "--namespace", "modelfleet"]
        if values:
            cmd += ["--values", str(values)]
        path = tmp_path / f"{name}.yaml"
        path.write_text(run(cmd).stdout)
        files.append(path)
    files.append(ROOT / "services" / "Dockerfile")
    cmd = [find_tool("uv"), "tool", "run", "--from", f"checkov=={checkov_version()}", "checkov"]
    cmd += ["--config-file", str(ROOT / ".checkov.yaml"), "--output", "json"]
    for path in files:
        cmd += ["--file", str(path)]
    result = run(cmd, check=False, cwd=ROOT, timeout=600)
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']})"
        for report in reports
        for check in report["results"]["failed_checks"]
    ]
    assert not failed, "\n".join(failed)
    passed = {report["check_type"]: report["summary"]["passed"] for report in reports}
    assert passed.get("kubernetes", 0) > 100 and passed.get("dockerfile", 0) > 10, passed
    assert result.returncode == 0, result.stderr[-2000:]


def test_every_skipped_check_is_justified_in_the_config() -> None:
    lines = (ROOT / ".checkov.yaml").read_text().splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^\s+- CKV_", line):
            assert lines[index - 1].strip().startswith("#"), f"no reason given for {line.strip()}"
    skips = 0
    pattern = re.compile(r"checkov\.io/skip\d+\"?:?\s*\"?(CKV_\w+)(=?)")
    for template in (CHART / "templates").rglob("*.yaml"):
        for match in pattern.finditer(template.read_text()):
            skips += 1
            assert match.group(2) == "=", f"{template.name}: {match.group(1)} without a reason"
    assert skips == 3, "CKV_K8S_38 on the collector pods, CKV_K8S_8/9 on the helm test Pod"
