"""``python -m modelfleet.drift_monitor``: the HTTP service, or ``run`` for a CronJob.

    python -m modelfleet.drift_monitor          # serve on MODELFLEET_HOST:MODELFLEET_PORT
    python -m modelfleet.drift_monitor run --model M --version V [--window-hours H | --last N]
    python -m modelfleet.drift_monitor run --all-served [--window-hours H]

``run`` prints one JSON object per run and exits 1 when a run failed (not for ``not_enough_data``
or ``reference_missing``, which are answers, not failures).
"""

from __future__ import annotations

import argparse
import sys

import orjson

from modelfleet.common.db.errors import database_error, exception_types
from modelfleet.common.logging import configure_logging
from modelfleet.drift_monitor.config import DriftSettings
from modelfleet.drift_monitor.runs import FAILED
from modelfleet.drift_monitor.schemas import DriftRunOut
from modelfleet.drift_monitor.window import WindowSpec


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m modelfleet.drift_monitor")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the HTTP service (the default)")
    run = sub.add_parser("run", help="run drift analyses now and exit")
    target = run.add_mutually_exclusive_group(required=True)
    target.add_argument("--model", help="registered model name (with --version)")
    target.add_argument(
        "--all-served",
        action="store_true",
        help="every (model, version) with online predictions in the window",
    )
    run.add_argument("--version", help="model version")
    window = run.add_mutually_exclusive_group()
    window.add_argument("--window-hours", type=float, help="window of the last H hours")
    window.add_argument("--last", type=int, help="the last N online predictions")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = DriftSettings()
    configure_logging(settings.log_level, settings.log_json)
    if args.command in (None, "serve"):
        return _serve(settings)
    if args.model and not args.version:
        parser.error("--model needs --version")
    if args.last is not None and args.last < 1:
        parser.error("--last must be at least 1")
    if args.window_hours is not None and args.window_hours <= 0:
        parser.error("--window-hours must be positive")

    from modelfleet.drift_monitor.wiring import build_monitor

    monitor = build_monitor(settings)
    spec = (
        WindowSpec(last=args.last)
        if args.last is not None
        else WindowSpec(hours=args.window_hours or settings.window_hours)
    )
    try:
        if args.all_served:
            reports = monitor.run_all_served(spec)
        else:
            reports = [monitor.run(args.model, args.version, spec)]
    except exception_types() as exc:
        problem = database_error(exc)
        if problem is None:
            raise
        sys.stderr.write(f"error: {problem.detail}\n")
        return 2
    for report in reports:
        body = DriftRunOut.model_validate(report).model_dump(mode="json")
        sys.stdout.write(orjson.dumps(body).decode() + "\n")
    return 1 if any(r.status == FAILED for r in reports) else 0


def _serve(settings: DriftSettings) -> int:
    import uvicorn

    from modelfleet.drift_monitor.app import create_app
    from modelfleet.drift_monitor.wiring import build_monitor

    app = create_app(settings, build_monitor(settings))
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
