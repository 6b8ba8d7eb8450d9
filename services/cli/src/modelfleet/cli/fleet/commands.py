"""``modelfleet up | down | status | logs | deploy | undeploy``: the fleet on one machine."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.panel import Panel
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from modelfleet.cli.console import console, fail, table
from modelfleet.cli.fleet.spec import CORE_SERVICES, FleetSettings, deployment_name
from modelfleet.cli.fleet.state import ProcessRecord, StateFileError
from modelfleet.cli.fleet.status import fleet_status
from modelfleet.cli.fleet.supervisor import FleetError, Supervisor, log_tail

STATE_STYLE = {"running": "green", "crashed": "bold red", "stopped": "dim"}


def supervisor() -> Supervisor:
    return Supervisor(FleetSettings())


def wait_with_progress(sup: Supervisor, started: list[tuple[ProcessRecord, bool]]) -> None:
    """One spinner per starting process, ticked off as each answers its readiness probe."""
    pending = [record for record, fresh in started if fresh]
    for record, fresh in started:
        if not fresh:
            console.print(f"[dim]{record.name} already running at {record.url}[/]")
    if not pending:
        return
    with Progress(
        SpinnerColumn(finished_text="[green]✓[/]"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        tasks = {r.name: progress.add_task(f"starting {r.name}", total=1) for r in pending}

        def ready(record: ProcessRecord) -> None:
            progress.update(
                tasks[record.name], completed=1, description=f"{record.name} ready at {record.url}"
            )

        sup.wait_ready(pending, on_ready=ready)


def url_table(records: list[ProcessRecord]) -> None:
    rows = [(r.name, r.url, _what(r)) for r in records]
    console.print(table("modelfleet (local)", ["service", "url", "what"], rows))


def _what(record: ProcessRecord) -> str:
    if record.kind == "model-server":
        ref = record.version or f"@{record.alias}"
        return f"serves {record.model} {ref}: POST /v1/predict, form at /"
    return {
        "mlflow": "MLflow UI, registry and artifacts",
        "trainer": "POST /v1/jobs, /v1/promotions, /v1/datasets",
        "collector": "POST /v1/predictions, /v1/labels, /v1/evaluations",
        "drift-monitor": "POST /v1/drift/runs, reports",
    }.get(record.name, "")


def bring_up(sup: Supervisor, names: list[str] | None = None) -> list[ProcessRecord]:
    """Migrate the database, start what is not running, wait for readiness, print the URLs."""
    if not names or set(names) - {"mlflow"}:
        from modelfleet.common.db.migrate import upgrade  # Alembic only when a service needs it

        with console.status("migrating the database"):
            upgrade(sup.settings.resolved_database_url())
    started = sup.up(names)
    wait_with_progress(sup, started)
    records = [record for record, _ in started]
    url_table(records)
    return records


def up(
    services: list[str] = typer.Argument(
        None, help=f"Only these services ({', '.join(CORE_SERVICES)}); default: all"
    ),
) -> None:
    """Start the local fleet (MLflow, trainer, collector, drift monitor, deployed versions)."""
    try:
        bring_up(supervisor(), services or None)
    except (FleetError, StateFileError) as exc:
        fail(str(exc))


def down() -> None:
    """Stop every process of the local fleet (deployments are remembered for the next up)."""
    try:
        stopped = supervisor().down()
    except StateFileError as exc:
        fail(str(exc))
    if stopped:
        console.print(f"stopped {', '.join(r.name for r in stopped)}")
    else:
        console.print("nothing was running")


def status() -> None:
    """State, version and URL of every service; a crashed one with the tail of its log."""
    try:
        statuses = fleet_status(supervisor())
    except StateFileError as exc:
        fail(str(exc))
    rows = []
    for s in statuses:
        state = s.state + (" (starting)" if s.state == "running" and not s.ready else "")
        style = STATE_STYLE[s.state]
        rows.append((s.record.name, f"[{style}]{state}[/]", s.version, s.record.url, s.record.pid))
    console.print(table("modelfleet status", ["service", "state", "version", "url", "pid"], rows))
    for s in statuses:
        if s.state == "crashed":
            console.print(
                Panel(s.log_tail or "(empty log)", title=f"{s.record.name}: {s.record.log}")
            )


def logs(
    service: str = typer.Argument(None, help="Service or deployment name; default: all"),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new lines"),
    lines: int = typer.Option(40, "--lines", "-n", help="Lines of history to show"),
) -> None:
    """Show (and follow) the logs under the state directory."""
    logs_dir = FleetSettings().logs_dir
    paths = sorted(logs_dir.glob("*.log"))
    if service:
        paths = [p for p in paths if p.stem == service]
        if not paths:
            known = ", ".join(p.stem for p in sorted(logs_dir.glob("*.log"))) or "none"
            fail(f"no log for {service!r} in {logs_dir} (logs: {known})")
    if not paths:
        fail(f"no logs in {logs_dir}; run `modelfleet up` first")
    prefix = len(paths) > 1
    for path in paths:
        for line in log_tail(path, lines).splitlines():
            _print_line(path, line, prefix)
    if follow:
        _follow(paths, prefix)


def _print_line(path: Path, line: str, prefix: bool) -> None:
    console.print(f"[cyan]{path.stem:>14}[/] | {line}" if prefix else line, markup=prefix)


def _follow(paths: list[Path], prefix: bool) -> None:
    offsets = {p: p.stat().st_size for p in paths}
    try:
        while True:
            for path in paths:
                with path.open(errors="replace") as handle:
                    handle.seek(offsets[path])
                    chunk = handle.read()
                    offsets[path] = handle.tell()
                for line in chunk.splitlines():
                    _print_line(path, line, prefix)
            time.sleep(0.5)
    except KeyboardInterrupt:
        return


def deploy(
    model: str = typer.Argument(..., help="Registered model name"),
    ref: str = typer.Argument(..., help="Version number or alias (e.g. 3, champion)"),
) -> None:
    """Start a model-server for one registered version (local counterpart of modelServers)."""
    sup = supervisor()
    try:
        record, fresh = sup.deploy(model, ref)
        wait_with_progress(sup, [(record, fresh)])
    except (FleetError, StateFileError, ValueError) as exc:
        fail(str(exc))
    url_table([record])


def undeploy(
    model: str = typer.Argument(..., help="Registered model name"),
    ref: str = typer.Argument(..., help="Version number or alias, as deployed"),
) -> None:
    """Stop a deployed version's model-server and forget the deployment."""
    try:
        supervisor().undeploy(model, ref)
    except (FleetError, StateFileError) as exc:
        fail(str(exc))
    console.print(f"undeployed {deployment_name(model, ref)}")
