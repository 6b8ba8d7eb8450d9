"""``python -m modelfleet.trainer`` serves HTTP; ``python -m modelfleet.trainer train`` trains once.

The composition root: settings are read from the environment here and nowhere else.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

import uvicorn

from modelfleet.common.db.engine import make_engine, make_session_factory
from modelfleet.common.errors import ModelfleetError
from modelfleet.common.logging import configure_logging
from modelfleet.common.wire import TrainRequest
from modelfleet.trainer.config import TrainerSettings
from modelfleet.trainer.facade import parse_params
from modelfleet.trainer.pipeline import MODEL_TYPES
from modelfleet.trainer.worker import run_training

logger = logging.getLogger("modelfleet.trainer")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m modelfleet.trainer", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the HTTP service (the default)")
    train = commands.add_parser("train", help="train, log and register one version, then exit")
    train.add_argument("--data", required=True, help="CSV/parquet file or catalog dataset name")
    train.add_argument("--target", required=True, help="label column")
    train.add_argument("--model", default="hgb", choices=sorted(MODEL_TYPES), dest="model_type")
    train.add_argument("--name", required=True, dest="model_name", help="registered model name")
    train.add_argument("--param", action="append", default=[], help="estimator name=value")
    train.add_argument("--id-column", action="append", dest="id_columns", help="identifier column")
    train.add_argument("--drop", action="append", default=[], help="column to leave out")
    train.add_argument("--dataset-name", help="name of the dataset in MLflow lineage")
    train.add_argument("--description", help="description of the new model version")
    return parser


def serve(settings: TrainerSettings) -> None:
    from modelfleet.trainer.app import create_app

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)


def train(settings: TrainerSettings, args: argparse.Namespace) -> int:
    """Train in-process (a Kubernetes Job's entry point); prints the result as JSON."""
    try:
        request = TrainRequest(
            data=args.data,
            target=args.target,
            model_type=args.model_type,
            params=parse_params(args.param),
            model_name=args.model_name,
            id_columns=args.id_columns,
            drop=args.drop,
            dataset_name=args.dataset_name,
            description=args.description,
        )
        engine = make_engine(settings.resolved_database_url())
        try:
            result = run_training(
                request, settings, make_session_factory(engine), progress=logger.info
            )
        finally:
            engine.dispose()
    except ModelfleetError as exc:
        logger.error("training failed: %s", exc.detail)
        return 1
    print(
        json.dumps(
            {
                "model_name": result.model_name,
                "version": result.version,
                "run_id": result.run_id,
                "metrics": {k: v for k, v in result.metrics.items() if k.startswith("test_")},
            }
        )
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = TrainerSettings()
    configure_logging(settings.log_level, settings.log_json)
    if args.command == "train":
        return train(settings, args)
    serve(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
