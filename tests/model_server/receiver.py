"""A stand-in collector for the logging tests: a real HTTP server that records what it receives.

Run as ``python receiver.py PORT OUT.jsonl [STATUS]``: every ``POST /v1/predictions`` body's rows
are appended to ``OUT.jsonl`` (one JSON row per line) and answered with ``STATUS`` (default 200).
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import uvicorn
from fastapi import FastAPI, Request, Response


def create_app(out: Path, status: int) -> FastAPI:
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/predictions")
    async def predictions(request: Request) -> Response:
        body = orjson.loads(await request.body())
        if status < 300:
            with out.open("ab") as handle:
                for row in body["predictions"]:
                    handle.write(orjson.dumps(row) + b"\n")
        return Response(
            orjson.dumps({"detail": "refused by test receiver"} if status >= 300 else {}),
            status_code=status,
            media_type="application/json",
        )

    return app


if __name__ == "__main__":
    port, out = int(sys.argv[1]), Path(sys.argv[2])
    status = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    uvicorn.run(create_app(out, status), host="127.0.0.1", port=port, log_level="warning")
