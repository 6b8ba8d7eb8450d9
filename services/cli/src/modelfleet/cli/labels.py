"""``modelfleet labels load FILE``: send ground truth from a CSV to the collector."""

from __future__ import annotations

from pathlib import Path

import typer

from modelfleet.cli.console import console, fail
from modelfleet.common.datasets.loading import read_table
from modelfleet.common.errors import ModelfleetError
from modelfleet.common.http_client import ServiceClient
from modelfleet.common.settings import BaseServiceSettings

app = typer.Typer(help="Ground-truth labels for online predictions.", no_args_is_help=True)


@app.command("load")
def load_cmd(
    path: Path = typer.Argument(..., help="CSV or parquet with an entity id and a label column"),
    label_column: str = typer.Option(..., "--label", "-l", help="column holding the true class"),
    entity_column: str = typer.Option(..., "--entity", "-e", help="column holding the entity id"),
    observed_column: str = typer.Option("", "--observed-at", help="timestamp column (optional)"),
    collector_url: str = typer.Option(
        "http://127.0.0.1:8002", envvar="MODELFLEET_COLLECTOR_URL", help="collector base URL"
    ),
    batch_size: int = typer.Option(5000, help="labels per request"),
) -> None:
    """Post labels by entity id; they join that entity's predictions in v_online_accuracy."""
    try:
        frame = read_table(path)
    except ModelfleetError as exc:
        fail(exc.detail)
    for column in (label_column, entity_column, observed_column):
        if column and column not in frame.columns:
            fail(f"{path} has no column {column!r} (columns: {', '.join(map(str, frame.columns))})")
    frame = frame.dropna(subset=[label_column, entity_column])
    labels = [
        {
            "entity_id": str(row[entity_column]),
            "label": str(row[label_column]),
            **({"observed_at": str(row[observed_column])} if observed_column else {}),
        }
        for row in frame.to_dict(orient="records")
    ]
    token = BaseServiceSettings().api_token
    stored = 0
    with ServiceClient(
        collector_url, token=token.get_secret_value() if token else None, timeout=60
    ) as client:
        for start in range(0, len(labels), batch_size):
            response = client.post(
                "/v1/labels", json={"labels": labels[start : start + batch_size]}
            )
            if response.status_code != 200:
                fail(f"collector answered {response.status_code}: {response.text[:300]}")
            stored += int(response.json()["stored"])
    console.print(f"stored [bold]{stored}[/] labels from {path}")
