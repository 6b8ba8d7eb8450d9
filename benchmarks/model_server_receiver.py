"""A minimal collector stand-in for the logging-on benchmark: answers every request ``200 {}``.

Raw asyncio, no framework, so the stand-in costs as little CPU as possible on the shared cores and
the measured difference is the model server's own logging cost. Counts the log rows it received.
"""

from __future__ import annotations

import asyncio
import sys

RESPONSE = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = await reader.readexactly(length) if length else b""
            if head.startswith(b"POST"):
                handle.rows += body.count(b'"request_id"')  # type: ignore[attr-defined]
                writer.write(RESPONSE)
            else:
                count = str(handle.rows).encode()  # type: ignore[attr-defined]
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-length: "
                    + str(len(count)).encode()
                    + b"\r\n\r\n"
                    + count
                )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


handle.rows = 0  # type: ignore[attr-defined]


async def main(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
