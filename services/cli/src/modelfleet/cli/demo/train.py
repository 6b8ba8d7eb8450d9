"""Step 1 (and 5): train versions through the trainer's API and deploy a server for each."""

from __future__ import annotations

from typing import Any

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from modelfleet.cli.console import console
from modelfleet.cli.demo.context import DemoContext
from modelfleet.cli.demo.report import VersionFacts
from modelfleet.cli.fleet.commands import wait_with_progress

JOB_STYLE = {"queued": "dim", "running": "yellow", "succeeded": "green", "failed": "red"}


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(finished_text="[green]✓[/]"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
    )


def wait_for_jobs(ctx: DemoContext, jobs: dict[str, tuple[str, str]]) -> list[VersionFacts]:
    """Wait for training jobs (id → (model type, origin)); one spinner per job, in queue order."""
    facts = []
    with _progress() as progress:
        tasks = {
            job_id: progress.add_task(f"{model_type}: queued", total=1)
            for job_id, (model_type, _origin) in jobs.items()
        }
        for job_id, (model_type, origin) in jobs.items():

            def show(status: str, job_id: str = job_id, model_type: str = model_type) -> None:
                style = JOB_STYLE.get(status, "")
                progress.update(tasks[job_id], description=f"{model_type}: [{style}]{status}[/]")

            job = ctx.api.wait_job(job_id, show)
            version = str(job["model_version"])
            progress.update(
                tasks[job_id],
                completed=1,
                description=f"{model_type}: registered {ctx.model} v{version}",
            )
            facts.append(
                VersionFacts(
                    version=version,
                    model_type=model_type,
                    origin=origin,
                    job_id=job_id,
                    test_metrics=dict(job.get("metrics") or {}),
                )
            )
    return facts


def train_initial_versions(ctx: DemoContext) -> list[VersionFacts]:
    """Queue one job per model type of the config, wait, record and deploy the new versions."""
    console.rule("[bold]1. train two versions and deploy a server for each")
    jobs: dict[str, tuple[str, str]] = {}
    for model_type, params in ctx.config.models.items():
        job_id = ctx.api.submit_job(_job_body(ctx, model_type, params))
        jobs[job_id] = (model_type, f"initial training ({model_type})")
    facts = wait_for_jobs(ctx, jobs)
    deploy(ctx, facts)
    return facts


def _job_body(ctx: DemoContext, model_type: str, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "data": str(ctx.data.training),
        "target": ctx.data.target,
        "model_type": model_type,
        "params": params,
        "model_name": ctx.model,
        "dataset_name": ctx.data.training.stem,
        "description": "modelfleet demo: synthetic gaming behaviour",
    }


def deploy(ctx: DemoContext, facts: list[VersionFacts]) -> None:
    """One model-server per version, as ``modelfleet deploy`` does, and record their URLs."""
    started = [ctx.supervisor.deploy(ctx.model, f.version) for f in facts]
    wait_with_progress(ctx.supervisor, started)
    for fact, (record, _fresh) in zip(facts, started, strict=True):
        fact.url = record.url
        ctx.report.versions[fact.version] = fact
