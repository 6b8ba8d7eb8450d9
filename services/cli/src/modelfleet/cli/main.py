"""The ``modelfleet`` command: one sub-app per area, each in its own module."""

from __future__ import annotations

import typer

from modelfleet.cli import collect, db, evaluations, labels
from modelfleet.cli import datasets as datasets_cli
from modelfleet.cli import drift as drift_cli
from modelfleet.cli import promote as promote_cli
from modelfleet.cli import train as train_cli
from modelfleet.cli.demo.commands import demo
from modelfleet.cli.fleet import commands as fleet
from modelfleet.cli.predict import predict_batch

app = typer.Typer(
    name="modelfleet",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Train, serve, evaluate, monitor and promote scikit-learn models.",
)
app.add_typer(db.app, name="db")
app.command("train")(train_cli.train)
app.add_typer(datasets_cli.app, name="datasets")
app.command("promote")(promote_cli.promote_command)
app.command("collect")(collect.collect)
app.add_typer(evaluations.app, name="evaluations")
app.add_typer(labels.app, name="labels")
app.add_typer(drift_cli.app, name="drift")
for _fleet_command in (
    fleet.up,
    fleet.down,
    fleet.status,
    fleet.logs,
    fleet.deploy,
    fleet.undeploy,
):
    app.command()(_fleet_command)
app.command()(demo)
app.command("predict-batch")(predict_batch)

if __name__ == "__main__":
    app()
