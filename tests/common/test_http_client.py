"""ServiceClient against a real HTTP server that fails before it succeeds."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from modelfleet.cli.processes import free_port
from modelfleet.common.http_client import ServiceClient


class _Flaky(BaseHTTPRequestHandler):
    script: list[int] = []
    seen_auth: list[str | None] = []

    def do_GET(self) -> None:
        type(self).seen_auth.append(self.headers.get("Authorization"))
        status = type(self).script.pop(0) if type(self).script else 200
        self.send_response(status)
        if status == 503:
            self.send_header("Retry-After", "0")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def test_retries_transient_statuses_and_sends_bearer_token(server: str) -> None:
    _Flaky.script, _Flaky.seen_auth = [503, 502], []
    with ServiceClient(server, token="s3cret", backoff=0.01) as client:
        assert client.get("/x").status_code == 200
    assert _Flaky.seen_auth == ["Bearer s3cret"] * 3


def test_client_errors_are_returned_at_once(server: str) -> None:
    _Flaky.script, _Flaky.seen_auth = [404, 200], []
    with ServiceClient(server, backoff=0.01) as client:
        assert client.get("/x").status_code == 404
    assert len(_Flaky.seen_auth) == 1


def test_gives_up_after_retries_on_a_dead_port() -> None:
    with (
        ServiceClient(f"http://127.0.0.1:{free_port()}", retries=2, backoff=0.01) as client,
        pytest.raises(httpx.ConnectError),
    ):
        client.get("/x")
