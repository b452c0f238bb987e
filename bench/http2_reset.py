"""Why requests go over HTTP/1.1: does httpx's HTTP/2 reset a stream it closes early?

The engine closes a stream as soon as its answer is decided (the first line in single-line
mode) or superseded by the next keystroke. Over HTTP/1.1 that costs the connection (the next
request opens another). HTTP/2 could keep the connection, provided the client sends
RST_STREAM for the closed stream; otherwise the server goes on generating for it and the
stream stays open on the connection.

This script runs a local HTTP/2 server (the ``h2`` state machine over asyncio, cleartext with
prior knowledge) that streams a slow event stream per request, and an ``httpx.AsyncClient``
with ``http2=True`` that reads one chunk of each answer and closes it, as the engine does. It
prints how many RST_STREAM frames the server received and what the client's requests did.

httpx's HTTP/2 support is an extra the server does not install, so run it in a scratch venv:

    python3 -m venv /tmp/h2env && /tmp/h2env/bin/pip install 'httpx[http2]'
    /tmp/h2env/bin/python bench/http2_reset.py --requests 120
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from dataclasses import dataclass

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import httpcore
import httpx

CHUNKS = 200
CHUNK_PAUSE_S = 0.01


@dataclass
class Seen:
    streams: int = 0
    resets: int = 0
    connections: int = 0


async def _answer(
    conn: h2.connection.H2Connection,
    writer: asyncio.StreamWriter,
    stream_id: int,
    live: set[int],
) -> None:
    """A slow event stream, as a model generating: until it ends or the client resets it."""
    conn.send_headers(stream_id, [(":status", "200"), ("content-type", "text/event-stream")])
    for i in range(CHUNKS):
        if stream_id not in live or writer.is_closing():
            return
        with contextlib.suppress(h2.exceptions.H2Error):
            conn.send_data(stream_id, b'data: {"i": %d}\n\n' % i)
        writer.write(conn.data_to_send())
        await asyncio.sleep(CHUNK_PAUSE_S)
    if stream_id in live and not writer.is_closing():
        conn.end_stream(stream_id)
        writer.write(conn.data_to_send())


def _server(seen: Seen) -> object:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.connections += 1
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        conn.initiate_connection()
        writer.write(conn.data_to_send())
        live: set[int] = set()
        answers: set[asyncio.Task[None]] = set()
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65535):
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        seen.streams += 1
                        live.add(event.stream_id)
                    elif isinstance(event, h2.events.StreamEnded):
                        task = asyncio.create_task(_answer(conn, writer, event.stream_id, live))
                        answers.add(task)
                        task.add_done_callback(answers.discard)
                    elif isinstance(event, h2.events.StreamReset):
                        seen.resets += 1
                        live.discard(event.stream_id)
                writer.write(conn.data_to_send())
        live.clear()
        writer.close()

    return serve


async def main(requests: int) -> None:
    seen = Seen()
    server = await asyncio.start_server(_server(seen), "127.0.0.1", 0)  # type: ignore[arg-type]
    port = server.sockets[0].getsockname()[1]
    answered, failure = 0, ""
    async with httpx.AsyncClient(http1=False, http2=True) as client:
        for i in range(requests):
            try:
                async with client.stream("POST", f"http://127.0.0.1:{port}/fim", json={}) as r:
                    async for _ in r.aiter_bytes():
                        break  # the answer is decided: close the stream early
                answered += 1
            except (httpx.HTTPError, httpcore.LocalProtocolError) as err:
                failure = f"request {i + 1} failed: {type(err).__name__}: {err}"
                break
    await asyncio.sleep(0.2)  # the server reads the end of the connection
    server.close()
    print(f"httpx {httpx.__version__}, httpcore {httpcore.__version__}")
    print(f"requests answered: {answered} of {requests}")
    print(f"streams the server saw: {seen.streams}, on {seen.connections} connection(s)")
    print(f"RST_STREAM frames the server received: {seen.resets}")
    if failure:
        print(failure)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=120)
    asyncio.run(main(parser.parse_args().requests))
