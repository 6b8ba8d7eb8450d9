"""``python -m modelfleet.model_server`` serves; ``… batch --input F --output F`` scores a file."""

from __future__ import annotations

import argparse
import sys

from modelfleet.common.logging import configure_logging
from modelfleet.model_server.config import ModelServerSettings


def serve(settings: ModelServerSettings) -> None:
    import uvicorn

    from modelfleet.model_server.app import create_app

    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=10,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m modelfleet.model_server")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the HTTP server (the default)")
    args = parser.parse_args(argv)
    try:
        settings = ModelServerSettings()
    except ValueError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_json)
    if args.command in (None, "serve"):
        serve(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
