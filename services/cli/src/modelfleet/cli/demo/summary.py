"""Step 6: the summary tables and the URLs to look at next."""

from __future__ import annotations

from modelfleet.cli.console import console, table
from modelfleet.cli.demo.report import DemoReport
from modelfleet.cli.fleet.spec import FleetSettings


def _aliases(report: DemoReport, version: str) -> str:
    if version == report.champion:
        return "champion"
    return "challenger" if version == report.challenger else ""


def print_summary(report: DemoReport, settings: FleetSettings, model: str) -> None:
    """Versions, drift by day, promotions and where to look next."""
    console.rule("[bold]6. summary")
    classes = sorted({c for v in report.versions.values() for c in v.golden_recall})
    console.print(
        table(
            f"versions of {model}",
            [
                "version",
                "model",
                "origin",
                "test f1 (macro)",
                "golden accuracy",
                "golden f1 (macro)",
                *(f"golden recall {c}" for c in classes),
                "alias",
            ],
            [
                (
                    f"v{v.version}",
                    v.model_type,
                    v.origin,
                    v.test_metrics.get("test_f1_macro"),
                    v.golden.get("accuracy"),
                    v.golden.get("f1_macro"),
                    *(v.golden_recall.get(c) for c in classes),
                    _aliases(report, v.version),
                )
                for v in sorted(report.versions.values(), key=lambda v: int(v.version))
            ],
        )
    )
    console.print(
        table(
            "traffic and drift by day",
            [
                "day",
                "served",
                "rows",
                "input drift injected",
                "labels posted",
                "drifted share",
                "key columns drifted",
                "decision",
                "retraining",
            ],
            [
                (
                    d.day,
                    f"v{d.version}",
                    d.rows,
                    "yes" if d.drift_injected else "no",
                    d.labels_posted,
                    d.drift_share,
                    ", ".join(d.key_columns_drifted) or "none",
                    d.decision or d.status,
                    d.retrain_job or d.retrain_status,
                )
                for d in report.days
            ],
        )
    )
    console.print(
        table(
            "promotions",
            ["after", "result", "champion", "challenger", "why"],
            [
                (
                    p.after,
                    "promoted" if p.promoted else "unchanged",
                    f"v{p.champion}" if p.champion else None,
                    f"v{p.challenger}" if p.challenger else None,
                    p.reason,
                )
                for p in report.promotions
            ],
        )
    )
    urls = [
        ("MLflow UI", f"{settings.mlflow_url}/#/models/{model}"),
        ("latest drift report", report.latest_report_url),
        (f"champion v{report.champion} prediction page", report.champion_url()),
    ]
    console.print(table("where to look", ["what", "url"], urls))
    console.print(f"demo finished in {report.seconds:.0f}s")
