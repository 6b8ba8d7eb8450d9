"""``python -m modelfleet.collector`` serves HTTP; ``… evaluate`` runs the evaluation job once."""

from __future__ import annotations

import argparse
import sys

import orjson
import uvicorn

from modelfleet.collector.app import create_app
from modelfleet.collector.config import CollectorSettings
from modelfleet.common.db.engine import make_engine
from modelfleet.common.errors import ModelfleetError
from modelfleet.common.logging import configure_logging


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m modelfleet.collector")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the HTTP service (the default)")
    evaluate = sub.add_parser("evaluate", help="evaluate model-servers on a golden set, once")
    evaluate.add_argument("urls", nargs="*", help="model-server URLs (else discovery)")
    evaluate.add_argument("--golden", help="catalog dataset name or file (MODELFLEET_GOLDEN)")
    evaluate.add_argument("--target", help="target column of a golden file")
    evaluate.add_argument("--discover", choices=["k8s", "local"], help="find model-servers")
    args = parser.parse_args(argv)

    settings = CollectorSettings()
    configure_logging(settings.log_level, settings.log_json)
    if args.command == "evaluate":
        return _evaluate(settings, args)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)
    return 0


def _evaluate(settings: CollectorSettings, args: argparse.Namespace) -> int:
    # Imported here: the HTTP service does not need pandas and scikit-learn at start.
    from modelfleet.collector.evaluation.job import run_evaluations

    engine = make_engine(settings.resolved_database_url())
    try:
        outcomes = run_evaluations(
            engine,
            settings,
            golden=args.golden,
            target=args.target,
            urls=args.urls,
            discover=args.discover,
        )
    except ModelfleetError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    for outcome in outcomes:
        sys.stdout.write(orjson.dumps(outcome.to_dict()).decode() + "\n")
    return 1 if any(o.status in ("failed", "unreachable") for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
