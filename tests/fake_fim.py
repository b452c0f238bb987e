"""A real HTTP server on 127.0.0.1 that speaks the Mistral FIM wire format (JSON and SSE).

Tests point the real server (and the real httpx client inside it) at this fake, tell it how to
answer (text, status, delays, hangs, broken streams) and read back exactly what it received.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """How the fake answers one request."""

    text: str = "return a + b"
    status: int = 200
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunk_delay: float = 0.0
    chunk_chars: int = 4
    hang: bool = False
    cut: bool = False
    malformed: bool = False
    close: bool = False  # hang up without any answer
    reset: bool = False  # reset the connection (TCP RST) without any answer
    garbage: bool = False  # a 200 event stream whose events are not JSON
    drip: bool = False  # a 200 event stream of keep-alive comments only, for up to a minute
    finish: str = "stop"  # the last event's finish_reason


@dataclass
class Received:
    """One request as the fake saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


Answer = Reply | Callable[[Received], Reply]


class FakeFim:
    """Threaded fake endpoint; use as a context manager or call ``start``/``stop``."""

    def __init__(self, answer: Answer | None = None, port: int = 0) -> None:
        self.answer: Answer = answer or Reply()
        self.requests: list[Received] = []
        self.disconnects = 0
        self.completed = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        handler = type("Handler", (self.handler_base(),), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def handler_base(self) -> type[BaseHTTPRequestHandler]:
        """The request handler class; fakes of other wire formats return their own."""
        return _Handler

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Base URL in the form the ``baseUrl`` setting takes."""
        scheme = "https" if isinstance(self._httpd.socket, ssl.SSLSocket) else "http"
        return f"{scheme}://127.0.0.1:{self.port}/v1"

    def use_tls(self, context: ssl.SSLContext) -> FakeFim:
        """Serve HTTPS with ``context`` (call before ``start``). A client that rejects the
        certificate fails the handshake, which the server drops silently, before any request."""
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        return self

    def start(self) -> FakeFim:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeFim:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reply_for(self, received: Received) -> Reply:
        with self._lock:
            self.requests.append(received)
        answer = self.answer
        return answer(received) if callable(answer) else answer

    def note_disconnect(self) -> None:
        with self._lock:
            self.disconnects += 1

    def note_connection(self) -> None:
        with self._lock:
            self.connections += 1

    def note_completed(self) -> None:
        with self._lock:
            self.completed += 1

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Poll until ``predicate()`` holds (for assertions on what the fake observed)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate():
                return True
            time.sleep(0.01)
        return predicate()


def keystroke_requests(fake: FakeFim, suggestion: str) -> list[Received]:
    """The requests made for the user's keystrokes. Typing into the last word of
    ``suggestion`` also asks ahead for what follows it ("ready before asked": a prompt ending
    with the whole suggestion); when that request goes out is the engine's timing, not the
    test's."""
    return [r for r in fake.requests if not _asked_ahead(r, suggestion)]


def keystrokes_answered(text: str, suggestion: str) -> Callable[[Received], Reply]:
    """An answer: ``text`` to the keystrokes' requests, nothing to the one asked ahead for what
    follows ``suggestion``, whose answer would otherwise join the rest of the line whenever it
    arrives in time."""
    return lambda received: Reply(text="" if _asked_ahead(received, suggestion) else text)


def _asked_ahead(received: Received, suggestion: str) -> bool:
    return str(received.body["prompt"]).endswith(suggestion)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeFim
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        return

    def handle(self) -> None:
        self.fake.note_connection()
        # Clients that hang up between keep-alive requests are normal, not errors.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            super().handle()

    def _received(self) -> Received:
        """The POST request as read off the socket (a body that is not JSON kept raw)."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        return Received("POST", self.path, dict(self.headers.items()), body)

    def do_POST(self) -> None:
        received = self._received()
        body = received.body
        reply = self.fake.reply_for(received)
        if self._fault(reply):
            return
        if body.get("stream"):
            self._stream(reply)
        else:
            self._send_whole(200, json.dumps(_response(reply.text)), reply.headers)

    def _fault(self, reply: Reply) -> bool:
        """Act out the fault ``reply`` asks for, if any (True: the request is answered, or
        the client hung up while it waited)."""
        if reply.delay and self._wait_or_disconnect(reply.delay):
            return True
        if reply.close:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif reply.reset:
            self.close_connection = True
            linger = struct.pack("ii", 1, 0)  # close with a zero linger: the peer sees an RST
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.connection.close()
        elif reply.hang:
            self._wait_or_disconnect(60)
        elif reply.status != 200 or reply.body is not None:
            self._send_whole(reply.status, reply.body or "{}", reply.headers)
        elif reply.malformed:
            self._send_whole(200, "{not json", {})
        elif reply.garbage:
            self._garbage()
        elif reply.drip:
            self._drip()
        else:
            return False
        return True

    def _send_whole(self, status: int, text: str, headers: dict[str, str]) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.fake.note_completed()

    def _stream(self, reply: Reply) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        text = reply.text
        pieces = [text[i : i + reply.chunk_chars] for i in range(0, len(text), reply.chunk_chars)]
        try:
            for i, piece in enumerate(pieces):
                last = i == len(pieces) - 1
                # Unescaped, as real servers send it (U+2028 included).
                finish = reply.finish if last and not reply.cut else None
                event = json.dumps(_chunk(piece, finish), ensure_ascii=False)
                self._chunk(f"data: {event}\n\n")
                if reply.chunk_delay and self._wait_or_disconnect(reply.chunk_delay):
                    return
            if reply.cut:
                self.wfile.write(b"0\r\n\r\n")
                self.close_connection = True
                return
            self._chunk("data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")
            self.fake.note_completed()
        except (BrokenPipeError, ConnectionResetError):
            self.fake.note_disconnect()
            self.close_connection = True

    def _garbage(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._chunk("data: <html>502 Bad Gateway</html>\n\n")
        self._chunk("data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.fake.note_completed()

    def _drip(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for _ in range(600):
                self._chunk(": keep-alive\n\n")
                if self._wait_or_disconnect(0.1):
                    return
        except (BrokenPipeError, ConnectionResetError):
            self.fake.note_disconnect()
        self.close_connection = True

    def _chunk(self, event: str) -> None:
        data = event.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _wait_or_disconnect(self, seconds: float) -> bool:
        """Sleep, watching the socket; True (and recorded) if the client hung up meanwhile."""
        end = time.monotonic() + seconds
        sock: socket.socket = self.connection
        while time.monotonic() < end and not self.fake._stopping.is_set():
            readable, _, _ = select.select([sock], [], [], min(0.02, end - time.monotonic()))
            if readable:
                try:
                    peek = sock.recv(1, socket.MSG_PEEK)
                except OSError:
                    peek = b""
                if not peek:
                    self.fake.note_disconnect()
                    self.close_connection = True
                    return True
        return False


def _response(text: str) -> dict[str, Any]:
    return {
        "id": "fake",
        "object": "chat.completion",
        "model": "codestral-latest",
        "created": 0,
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "prefix": False},
                "finish_reason": "stop",
            }
        ],
    }


def _chunk(piece: str, finish: str | None) -> dict[str, Any]:
    return {
        "id": "fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "codestral-latest",
        "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": finish}],
    }
