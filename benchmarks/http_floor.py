"""The HTTP floor of this machine: a pure ASGI app answering every request with a fixed body.

Served with the model-server's own uvicorn settings (uvloop, httptools, same worker count), so
``bench_model_server.py`` can say how far below what the HTTP stack alone can do modelfleet is.

    python benchmarks/http_floor.py PORT WORKERS
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import uvicorn

BODY = b'{"predictions":[{"row_index":0,"prediction":"Medium"}]}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:  # read the request body like a real endpoint would
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


if __name__ == "__main__":
    port, workers = int(sys.argv[1]), int(sys.argv[2])
    uvicorn.run(
        "http_floor:app",
        app_dir=str(Path(__file__).parent),
        host="127.0.0.1",
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )
