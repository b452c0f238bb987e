"""Keystroke-replay benchmark: codestral-lsp against a naive mode and tabby-agent 1.5.0.

Method (issue 3):

* Corpus: modules of the running interpreter's standard library, a seeded selection. At each
  site the user deletes 150-300 characters ending at a line end and re-types them. With
  ``--site-ends inside`` the deleted text ends inside a line instead, so the user writes new
  code in front of existing code on the same line (not part of the issue's method).
* Upstream: a fake FIM server on 127.0.0.1 acting as an oracle. It finds where the prompt ends
  in the ground-truth file and, with probability ``--accuracy`` (0.6), streams the true missing
  text from there to the end of the line, or of the block when the cursor is at a line end;
  otherwise plausible wrong code (the truth with a token changed, or another line of the file).
  Latency: time to first token ~300 ms (log-normal), then a few ms per token, for JSON and SSE.
  The same oracle answers Mistral FIM (``/v1/fim/completions``) and the Tabby API.
* The user: drives each server over stdio LSP like an editor: incremental ``didChange`` and an
  automatic completion request per keystroke, ``$/cancelRequest`` for the pending previous one,
  human cadence (log-normal, median 110 ms). When the visible suggestion's first 8+ characters
  match the upcoming text, the user accepts the matching part of its first line.
* Modes, same run: ``ours`` (codestral-lsp), ``naive`` (``CODESTRAL_LSP_NAIVE=1``),
  ``tabby`` (tabby-agent 1.5.0, ``textDocument/completion``; installed with npm into a
  temporary directory outside the repository).
* Reference: the requests per 100 characters an engine with no latency would make at the same
  sites against the same oracle (asking after the first key and wherever no suggestion is left;
  see :func:`reference`). It tells how far a target is from what the sites call for: at 300 ms
  to the first token every request costs about three keys typed meanwhile, so requests and
  accepted characters move together.
* A keystroke that continues a shown correct suggestion is "answered with no upstream wait"
  unless an upstream call began after it was sent and sent text before its answer arrived (a
  call begun meanwhile for what follows, answered later, did not hold it up).
* Everything runs inside ``unshare -n`` (loopback only) when possible, so no peer can reach the
  network; if that is impossible tabby-agent is not run and the report says so.

Usage: ``python bench/replay.py [--quick] [--json-only]``. Prints a table and a JSON report.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import compileall
import contextlib
import json
import math
import os
import random
import re
import select
import shutil
import socket
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TABBY_VERSION = "1.5.0"
CHARS_PER_TOKEN = 3.5
FILE_MARK = "+++++ "
# Codestral list price, USD per million tokens (input, output).
PRICE_IN, PRICE_OUT = 0.3, 0.9
DEBUG = os.environ.get("REPLAY_DEBUG") == "1"
DEBUG_SEEN: list[int] = []
TARGETS = {
    "requests_per_100_chars": "<= 3 and < tabby",
    "no_wait_share": ">= 0.95",
    "accepted_ratio": ">= 0.9",
    "overhead_p50_ms": "<= 5",
    "overhead_p99_ms": "<= 20",
    "stale_shown": "0",
    "startup_over_floor_ms": "<= 100",
    "rss_mb": "<= 80",
}


# ----------------------------------------------------------------------------- corpus


@dataclass
class Site:
    """One place where the user deletes and re-types ``truth[start:end]``."""

    name: str
    truth: str
    start: int
    end: int


def pick_sites(count: int, seed: int, inside: bool = False) -> list[Site]:
    """A seeded selection of stdlib modules and one site in each, ending at a line end (or,
    with ``inside``, inside a line)."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in stdlib.glob("*.py") if 4_000 < p.stat().st_size < 120_000)
    rnd = random.Random(seed)
    sites: list[Site] = []
    for path in rnd.sample(files, len(files)):
        if len(sites) == count:
            break
        truth = path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
        if "\r" in truth or not truth.isascii():
            continue
        end_at = r"\S(?=[^\n])" if inside else r"\S\n"
        ends = [m.start() for m in re.finditer(end_at, truth) if 1_000 < m.start() < len(truth)]
        if not ends:
            continue
        end = rnd.choice(ends) + 1
        start = end - rnd.randint(150, 300)
        sites.append(Site(path.name, truth, start, end))
    return sites


# ----------------------------------------------------------------------------- oracle

# The longest answer the reference engine asks for: codestral-lsp's multi-line max_tokens.
REFERENCE_MAX_CHARS = int(160 * CHARS_PER_TOKEN)


@dataclass
class Event:
    """Something the fake did, on the bench's clock."""

    at: float
    kind: str  # "request" | "chunk" | "end"
    call: int  # which upstream call it belongs to


class Oracle:
    """Answers a prompt with the true continuation (probability ``accuracy``) or wrong code."""

    def __init__(self, sites: list[Site], accuracy: float, seed: int) -> None:
        self.sites = sites
        self.accuracy = accuracy
        self.seed = seed
        self._asked: dict[tuple[int, int], int] = {}
        self.events: list[Event] = []
        self.requests = 0
        self.prompt_chars = 0
        self.output_chars = 0
        self.disconnects = 0
        # Connections clients opened: over TLS each costs a handshake, which a stream closed
        # before its end (HTTP/1.1) makes the next request pay.
        self.connections = 0
        self.calls = 0
        self.lock = threading.Lock()

    def reset(self) -> None:
        """Start a mode afresh: every mode sees the same right/wrong draws at each position."""
        with self.lock:
            self._asked.clear()
            self.events.clear()

    def note(self, kind: str, call: int) -> None:
        with self.lock:
            self.events.append(Event(time.monotonic(), kind, call))

    def new_call(self) -> int:
        """Number an upstream call (its events carry the number), noting its arrival."""
        with self.lock:
            self.calls += 1
            call = self.calls
        self.note("request", call)
        return call

    def answer(self, prefix: str, suffix: str, max_chars: int) -> str:
        """The completion for a prompt (empty when the prompt is not in the corpus)."""
        with self.lock:
            self.requests += 1
            self.prompt_chars += len(prefix) + len(suffix)
        if prefix.startswith(FILE_MARK):
            # Codestral's multi-file prompt: other files, then "+++++ <this file>\n" + prefix.
            header = prefix.rfind(FILE_MARK)
            prefix = prefix[prefix.find("\n", header) + 1 :]
        for index, site in enumerate(self.sites):
            pos = site.truth.find(prefix[-2000:]) if prefix else -1
            if pos < 0:
                continue
            pos += len(prefix[-2000:])
            end = site.truth.find(suffix[:200], pos) if suffix.strip() else len(site.truth)
            middle = site.truth[pos : end if end >= 0 else len(site.truth)]
            truth = scope(middle, site.truth, pos)[:max_chars]
            key = (index, pos)
            with self.lock:
                nth = self._asked.get(key, 0)
                self._asked[key] = nth + 1
            rnd = random.Random(hash((self.seed, index, pos, nth)) & 0xFFFFFFFF)
            if not truth or rnd.random() < self.accuracy:
                return truth
            return wrong(truth, site.truth, rnd)
        return ""


def scope(middle: str, text: str, pos: int) -> str:
    """The missing text from the cursor to the end of its line, or of the block when the
    cursor is at a line end (up to a blank line or a dedent, at most 8 lines)."""
    line_end = middle.find("\n")
    if line_end < 0:
        return middle
    if middle[:line_end].strip():
        return middle[:line_end]
    lines = middle[line_end + 1 :].split("\n")
    blank = 0
    while blank < len(lines) - 1 and not lines[blank].strip():
        blank += 1
    lines = lines[blank:]
    if not lines[0].strip():
        return ""
    indent = len(lines[0]) - len(lines[0].lstrip())
    kept: list[str] = []
    for line in lines[:8]:
        if not line.strip() or (kept and len(line) - len(line.lstrip()) < indent):
            break
        kept.append(line)
    return "\n" * (blank + 1) + "\n".join(kept)


def reference(sites: list[Site], accuracy: float, seed: int) -> float:
    """Requests per 100 characters for an engine with no latency against this oracle: it asks
    after the user's first key and again wherever no suggestion is left (at the end of a right
    answer, after the key that leaves a wrong one, after the last key), and the user takes
    every character that matches. The draws are the oracle's own, so this is what these sites
    call for at this accuracy, not a bound: asking at other places draws otherwise."""
    oracle = Oracle(sites, accuracy, seed)
    requests = produced = 0
    for site in sites:
        target = site.truth[site.start : site.end]
        head, suffix = site.truth[: site.start], site.truth[site.end :]
        done = 1
        while True:
            answer = oracle.answer(head + target[:done], suffix, REFERENCE_MAX_CHARS)
            requests += 1
            if done >= len(target):
                break
            match = common_prefix(answer, target[done:])
            done += match if answer and match == len(answer) else match + 1
        produced += len(target)
    return round(100 * requests / max(1, produced), 2)


def wrong(truth: str, text: str, rnd: random.Random) -> str:
    """Plausible wrong code: the truth with one identifier changed, or another line."""
    names = re.findall(r"[A-Za-z_]\w{2,}", truth)
    if names and rnd.random() < 0.5:
        target = rnd.choice(names)
        return truth.replace(target, target[::-1] + "_x", 1)
    lines = [line for line in text.split("\n") if len(line.strip()) > 10]
    lead = truth[: len(truth) - len(truth.lstrip())]
    return lead + rnd.choice(lines).strip()


class FakeUpstream:
    """Mistral FIM and Tabby API on 127.0.0.1, backed by one :class:`Oracle`."""

    def __init__(self, oracle: Oracle, seed: int, ttft: float = 0.3, per_token: float = 0.005):
        self.oracle = oracle
        self.rnd = random.Random(seed)
        self.ttft = ttft
        self.per_token = per_token
        handler = type("Handler", (_Handler,), {"up": self})
        self.httpd = _Quiet(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def first_token_delay(self) -> float:
        return self.ttft * self.rnd.lognormvariate(0, 0.2)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Quiet(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up mid-answer is normal here (cancellation)."""


class _Handler(BaseHTTPRequestHandler):
    up: FakeUpstream
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        with self.up.oracle.lock:
            self.up.oracle.connections += 1

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        if self.path.startswith("/v1/health"):
            self._json(
                {
                    "model": "oracle",
                    "device": "cpu",
                    "arch": "x86_64",
                    "cpu_info": "bench",
                    "cpu_count": 1,
                    "cuda_devices": [],
                    "version": {
                        "build_date": "2024-01-01",
                        "build_timestamp": "2024-01-01T00:00:00Z",
                        "git_sha": "0",
                        "git_describe": "v0.11.0",
                    },
                }
            )
        else:
            self._json({}, 404)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path.startswith("/v1/events"):
            self._json({})
            return
        oracle = self.up.oracle
        call = oracle.new_call()
        if self.path.startswith("/v1/completions"):  # Tabby
            segments = body.get("segments") or {}
            text = oracle.answer(segments.get("prefix", ""), segments.get("suffix") or "", 224)
            if DEBUG:
                print(
                    "DEBUG tabby body", json.dumps(body)[-300:], "->", repr(text), file=sys.stderr
                )
            wait = self.up.first_token_delay() + self.up.per_token * len(text) / CHARS_PER_TOKEN
            if self._wait(wait):
                return
            oracle.output_chars += len(text)
            oracle.note("end", call)
            self._json({"id": "bench", "choices": [{"index": 0, "text": text}]})
            return
        max_chars = int(body.get("max_tokens", 64) * CHARS_PER_TOKEN)
        text = oracle.answer(body.get("prompt", ""), body.get("suffix", ""), max_chars)
        if body.get("stream"):
            self._stream(text, call)
            return
        if self._wait(self.up.first_token_delay() + self.up.per_token * len(text) / 3.5):
            return
        oracle.output_chars += len(text)
        message = {"role": "assistant", "content": text}
        oracle.note("end", call)
        self._json({"id": "b", "choices": [{"index": 0, "message": message}]})

    def _json(self, obj: Any, status: int = 200) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, text: str, call: int) -> None:
        oracle = self.up.oracle
        if self._wait(self.up.first_token_delay()):
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        pieces = re.findall(r"\s*\S{1,4}|\s+", text) or [""]
        try:
            for i, piece in enumerate(pieces):
                if i and self._wait(self.up.per_token):
                    return
                last = i == len(pieces) - 1
                choice = {"index": 0, "delta": {"content": piece}}
                choice["finish_reason"] = "stop" if last else None
                # Noted before the write: the client may process the chunk before this thread
                # runs again.
                oracle.note("chunk", call)
                self._chunk("data: " + json.dumps({"id": "b", "choices": [choice]}) + "\n\n")
                oracle.output_chars += len(piece)
            oracle.note("end", call)
            self._chunk("data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            oracle.disconnects += 1
            self.close_connection = True

    def _chunk(self, event: str) -> None:
        data = event.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _wait(self, seconds: float) -> bool:
        """Sleep while watching the socket; True when the client hung up meanwhile."""
        end = time.monotonic() + seconds
        sock: socket.socket = self.connection
        while (left := end - time.monotonic()) > 0:
            readable, _, _ = select.select([sock], [], [], left)
            if readable:
                try:
                    peek = sock.recv(1, socket.MSG_PEEK)
                except OSError:
                    peek = b""
                if not peek:
                    self.up.oracle.disconnects += 1
                    self.close_connection = True
                    return True
        return False


# ----------------------------------------------------------------------------- LSP client


def server_stderr() -> Any:
    """Where a server's stderr goes: ``REPLAY_STDERR`` (a file, for debugging) or nowhere."""
    path = os.environ.get("REPLAY_STDERR")
    return open(path, "ab") if path else subprocess.DEVNULL


class Lsp:
    """A plain JSON-RPC client over a subprocess's stdio."""

    def __init__(self, proc: asyncio.subprocess.Process, settings: dict[str, Any]) -> None:
        self.proc = proc
        self.settings = settings
        self.next_id = 0
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(cls, cmd: list[str], env: dict[str, str], settings: dict[str, Any]) -> Lsp:
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=server_stderr(),
            env=env,
            limit=2**24,
        )
        return cls(proc, settings)

    def _send(self, message: dict[str, Any]) -> None:
        data = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)

    def request(self, method: str, params: Any) -> tuple[int, asyncio.Future[Any]]:
        self.next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        self._send({"id": self.next_id, "method": method, "params": params})
        return self.next_id, future

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    async def _read(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        while True:
            length = 0
            while (line := await stdout.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            message = json.loads(await stdout.readexactly(length))
            arrived = time.monotonic()
            if "method" in message:
                if "id" in message:
                    self._send({"id": message["id"], "result": self._server_request(message)})
                continue
            future = self.pending.pop(message.get("id"), None)
            if future is not None and not future.done():
                future.set_result((arrived, message))

    def _server_request(self, message: dict[str, Any]) -> Any:
        if message["method"] == "workspace/configuration":
            return [self.settings for _ in message["params"]["items"]]
        return None

    async def initialize(self, init_options: Any, capabilities: dict[str, Any]) -> None:
        _, future = self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": "file:///bench",
                "capabilities": capabilities,
                "clientInfo": {"name": "replay", "version": "1"},
                "initializationOptions": init_options,
            },
        )
        await asyncio.wait_for(future, 30)
        self.notify("initialized", {})

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            _, future = self.request("shutdown", None)
            await asyncio.wait_for(future, 5)
            self.notify("exit", None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.proc.wait(), 5)
        if self.proc.returncode is None:
            self.proc.kill()
        self.reader.cancel()


CAPABILITIES = {
    "general": {"positionEncodings": ["utf-16"]},
    "textDocument": {
        "synchronization": {"dynamicRegistration": False},
        "inlineCompletion": {},
        "completion": {"completionItem": {"snippetSupport": False}},
    },
    "workspace": {"configuration": True},
}


# ----------------------------------------------------------------------------- the user


@dataclass
class Asked:
    """One completion request and what became of it."""

    sent: float
    version: int
    cursor: int
    keystroke: bool
    continues_shown: bool
    upstream_before: int
    arrived: float | None = None
    text: str = ""
    cancelled: bool = False
    current: bool = False


@dataclass
class Stats:
    """Raw counts of one mode."""

    produced: int = 0
    accepted: int = 0
    typed: int = 0
    asked: list[Asked] = field(default_factory=list)
    stale: int = 0
    seconds: float = 0.0
    # Why the user typed a key instead of accepting: nothing shown, a wrong suggestion shown,
    # a correct one shown but shorter than the 8 characters the user needs to accept it.
    typed_because: dict[str, int] = field(default_factory=dict)
    hung_up: int = 0
    connections: int = 0


def position(text: str, offset: int) -> dict[str, int]:
    line = text.count("\n", 0, offset)
    return {"line": line, "character": offset - (text.rfind("\n", 0, offset) + 1)}


def first_line(text: str) -> str:
    """Up to the first line break that follows some content."""
    body = len(text) - len(text.lstrip("\n"))
    cut = text.find("\n", body)
    return text if cut < 0 else text[:cut]


class User:
    """Types a site into one server, accepting what matches."""

    def __init__(self, lsp: Lsp, oracle: Oracle, kind: str, seed: int, stats: Stats) -> None:
        self.lsp = lsp
        self.oracle = oracle
        self.kind = kind  # "inline" or "completion"
        self.rnd = random.Random(seed)
        self.stats = stats
        self.visible = ""
        self.visible_version = -1
        self.now: tuple[int, str, int] = (0, "", 0)
        self.trace_site: Site | None = None
        self.watchers: set[asyncio.Future[None]] = set()

    def gap(self) -> float:
        return min(0.6, max(0.04, 0.11 * self.rnd.lognormvariate(0, 0.35)))

    async def replay(self, site: Site, uri: str, limit: int | None) -> None:
        target = site.truth[site.start : site.end]
        if DEBUG and site.name == os.environ.get("REPLAY_TRACE"):
            self.trace_site = site
        if limit is not None:
            target = target[:limit]
        text = site.truth[: site.start] + site.truth[site.end :]
        cursor, version = site.start, 1
        self.lsp.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
        )
        done, pending = 0, None
        started = time.monotonic()
        while done < len(target):
            await asyncio.sleep(self.gap())
            upcoming = target[done:]
            shown = self.visible if self.visible_version == version else ""
            match = common_prefix(shown, upcoming)
            if match >= 8:
                insert = upcoming[: min(match, len(first_line(shown)))]
                if DEBUG and site is self.trace_site:
                    print("DEBUG accept", repr(insert), file=sys.stderr)
                self.stats.accepted += len(insert)
                keystroke, continues = False, False
            else:
                insert = upcoming[0]
                self.stats.typed += 1
                # The key continues a shown correct suggestion when the suggestion's first line
                # is what comes next and something of it is left after this key.
                line = first_line(shown)
                keystroke = True
                continues = len(shown) > 1 and upcoming.startswith(line[: len(upcoming)])
                why = "none" if not shown else "short" if match == len(shown) else "wrong"
                if DEBUG and site is self.trace_site:
                    print("DEBUG key", repr(upcoming[:12]), why, repr(shown[:40]), file=sys.stderr)
                self.stats.typed_because[why] = self.stats.typed_because.get(why, 0) + 1
            text = text[:cursor] + insert + text[cursor:]
            start = position(text, cursor)
            cursor += len(insert)
            done += len(insert)
            version += 1
            self.visible = ""
            self.lsp.notify(
                "textDocument/didChange",
                {
                    "textDocument": {"uri": uri, "version": version},
                    "contentChanges": [{"range": {"start": start, "end": start}, "text": insert}],
                },
            )
            if pending is not None and not pending[1].done():
                self.lsp.notify("$/cancelRequest", {"id": pending[0]})
            asked = Asked(
                time.monotonic(), version, cursor, keystroke, continues, self.oracle.requests
            )
            self.stats.asked.append(asked)
            pending = self._ask(uri, text, cursor)
            self.now = (version, text, cursor)
            watcher = asyncio.ensure_future(self._watch(pending[1], asked))
            self.watchers.add(watcher)
            watcher.add_done_callback(self.watchers.discard)
        self.stats.produced += len(target)
        if DEBUG:
            print("DEBUG site", site.name, "accepted so far", self.stats.accepted, file=sys.stderr)
        await asyncio.sleep(0.3)
        self.now = (-1, text, cursor)  # answers from here on arrive for a closed document
        self.stats.seconds += time.monotonic() - started
        self.lsp.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    def _ask(self, uri: str, text: str, cursor: int) -> tuple[int, asyncio.Future[Any]]:
        params: dict[str, Any] = {
            "textDocument": {"uri": uri},
            "position": position(text, cursor),
            "context": {"triggerKind": 2},
        }
        if self.kind == "completion":
            params["context"] = {"triggerKind": 1}
            return self.lsp.request("textDocument/completion", params)
        return self.lsp.request("textDocument/inlineCompletion", params)

    async def _watch(self, future: asyncio.Future[Any], asked: Asked) -> None:
        arrived, message = await future
        asked.arrived = arrived
        asked.current = self.now[0] == asked.version
        if DEBUG and len(DEBUG_SEEN) < 6 and message.get("result"):
            DEBUG_SEEN.append(1)
            print("DEBUG result:", json.dumps(message["result"])[:600], file=sys.stderr)
        if "error" in message:
            asked.cancelled = True
            return
        suggestion = self._suggestion(message.get("result"), self.now[1], asked.cursor)
        asked.text = suggestion
        if not suggestion:
            return
        version, text, cursor = self.now
        if version != asked.version:
            typed = text[asked.cursor : cursor] if cursor >= asked.cursor else None
            if typed == suggestion:
                return  # used up by typing: nothing left to show
            if typed is None or not suggestion.startswith(typed):
                self.stats.stale += 1
                if DEBUG:
                    print("DEBUG stale", asked, repr(typed), self.now[0], file=sys.stderr)
                return
            suggestion = suggestion[len(typed) :]
        self.visible, self.visible_version = suggestion, version

    def _suggestion(self, result: Any, text: str, cursor: int) -> str:
        if not result:
            return ""
        items = result.get("items", []) if isinstance(result, dict) else result
        if not items:
            return ""
        item = items[0]
        edit = item.get("textEdit")
        if self.kind == "inline":
            insert = item.get("insertText", "")
            return insert if isinstance(insert, str) else insert.get("value", "")
        if edit:
            start = edit["range"]["start"]
            line_start = text.rfind("\n", 0, cursor) + 1
            already = cursor - (line_start + start["character"])
            return str(edit["newText"])[max(0, already) :]
        return str(item.get("insertText") or item.get("label") or "")


def common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


# ----------------------------------------------------------------------------- modes


def rss_kb(pid: int) -> dict[str, int]:
    out = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1])
    return out


async def run_mode(
    name: str,
    cmd: list[str],
    env: dict[str, str],
    settings: dict[str, Any],
    kind: str,
    sites: list[Site],
    up: FakeUpstream,
    seed: int,
    limit: int | None,
) -> dict[str, Any]:
    """Replay ``sites`` into one server and summarise."""
    oracle = up.oracle
    oracle.reset()
    before = (
        oracle.requests,
        oracle.prompt_chars,
        oracle.output_chars,
        oracle.disconnects,
        oracle.connections,
    )
    lsp = await Lsp.start(cmd, env, settings)
    await lsp.initialize({"codestral": settings} if settings else None, CAPABILITIES)
    await asyncio.sleep(0.5 if kind == "completion" else 0.05)
    stats = Stats()
    for i, site in enumerate(sites):
        user = User(lsp, oracle, kind, seed + i, stats)
        await user.replay(site, f"file:///bench/{name}/{i}_{site.name}", limit)
    memory = rss_kb(lsp.proc.pid)
    await lsp.close()
    requests = oracle.requests - before[0]
    prompt_chars = oracle.prompt_chars - before[1]
    output_chars = oracle.output_chars - before[2]
    stats.hung_up = oracle.disconnects - before[3]
    stats.connections = oracle.connections - before[4]
    return summarise(name, stats, oracle.events[:], requests, prompt_chars, output_chars, memory)


def summarise(
    name: str,
    stats: Stats,
    events: list[Event],
    requests: int,
    prompt_chars: int,
    output_chars: int,
    memory: dict[str, int],
) -> dict[str, Any]:
    """The figures the issue names, for one mode."""
    times = sorted(e.at for e in events)
    calls = upstream_calls(events)
    answered = [a for a in stats.asked if a.arrived is not None and not a.cancelled]
    keys = [a for a in answered if a.keystroke and a.text]
    latency = [(a.arrived - a.sent) * 1000 for a in keys if a.arrived]
    overhead = []
    current = [a for a in answered if a.current]  # superseded answers: nobody looks at them
    for a in current:
        assert a.arrived is not None
        i = bisect.bisect_right(times, a.arrived)
        last = max(a.sent, times[i - 1]) if i else a.sent
        overhead.append((a.arrived - last) * 1000)
    if DEBUG:
        worst = sorted(range(len(overhead)), key=overhead.__getitem__)[-5:]
        for i in worst:
            a = current[i]
            near = [
                (round((e.at - a.sent) * 1000), e.kind)
                for e in events
                if a.sent - 0.5 < e.at < a.arrived + 0.05
            ]
            print("DEBUG overhead", name, round(overhead[i]), a, near[-12:], file=sys.stderr)
    continuing = [a for a in stats.asked if a.keystroke and a.continues_shown]
    no_wait = sum(
        1
        for a in continuing
        if a.arrived is not None
        and not a.cancelled
        and a.text
        and not waited_upstream(a.sent, a.arrived, calls)
    )
    hours = stats.seconds / 3600 or 1
    spent = (prompt_chars * PRICE_IN + output_chars * PRICE_OUT) / CHARS_PER_TOKEN / 1e6
    cost = spent / hours
    return {
        "mode": name,
        "chars_produced": stats.produced,
        "chars_accepted": stats.accepted,
        "keystrokes": stats.typed,
        "upstream_requests": requests,
        "upstream_closed_early": stats.hung_up,
        "upstream_connections": stats.connections,
        "requests_per_100_chars": round(100 * requests / max(1, stats.produced), 2),
        "continuing_keystrokes": len(continuing),
        "no_wait_share": round(no_wait / len(continuing), 3) if continuing else None,
        "latency_p50_ms": pct(latency, 50),
        "latency_p90_ms": pct(latency, 90),
        "overhead_p50_ms": pct(overhead, 50),
        "overhead_p99_ms": pct(overhead, 99),
        "stale_shown": stats.stale,
        "accepted_ratio": round(stats.accepted / max(1, stats.produced), 3),
        "prompt_chars_per_request": round(prompt_chars / requests) if requests else 0,
        "cost_usd_per_hour": round(cost, 3),
        # Per hour of typing a tool that lets the user accept text costs more, as the same text
        # takes less typing; per character produced is the cost of the text itself.
        "cost_usd_per_1k_chars": round(1000 * spent / max(1, stats.produced), 4),
        "rss_mb": round(memory.get("VmRSS", 0) / 1024, 1),
        "peak_rss_mb": round(memory.get("VmHWM", 0) / 1024, 1),
        "typing_seconds": round(stats.seconds, 1),
        "typed_because": stats.typed_because,
    }


def upstream_calls(events: list[Event]) -> list[tuple[float, float]]:
    """Each upstream call's arrival and the time its first text (or its end) went out;
    ``inf`` for a call that sent nothing."""
    started: dict[int, float] = {}
    first: dict[int, float] = {}
    for e in events:
        if e.kind == "request":
            started[e.call] = e.at
        else:
            first.setdefault(e.call, e.at)
    return [(at, first.get(call, math.inf)) for call, at in started.items()]


def waited_upstream(sent: float, arrived: float, calls: list[tuple[float, float]]) -> bool:
    """Whether an answer may have waited on upstream: a call began after the request was sent
    and sent text before the answer arrived. A call begun meanwhile whose first text came later
    (the next line asked for ahead while this key was answered from the suggestion) did not
    hold the answer up."""
    return any(sent <= start <= arrived and first <= arrived for start, first in calls)


def pct(values: list[float], q: int) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))], 1)


# ----------------------------------------------------------------------------- start-up


async def startup(rounds: int) -> dict[str, Any]:
    """Median spawn-to-``initialize``-result of the server vs ``import pygls.lsp.server``.

    The package's bytecode is written first, as ``pip install`` does: run from a checkout with
    ``PYTHONDONTWRITEBYTECODE=1`` the server would compile every module at each start (about
    50 ms here), which an installed copy never does and the installed floor does not pay."""
    compileall.compile_dir(str(ROOT / "codestral_lsp"), quiet=1)
    ours, floor = [], []
    for _ in range(rounds):
        began = time.monotonic()
        proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "import pygls.lsp.server")
        await proc.wait()
        floor.append(time.monotonic() - began)
        began = time.monotonic()
        lsp = await Lsp.start([sys.executable, "-m", "codestral_lsp"], dict(os.environ), {})
        await lsp.initialize(None, CAPABILITIES)
        ours.append(time.monotonic() - began)
        await lsp.close()
    o, f = statistics.median(ours), statistics.median(floor)
    return {
        "startup_ms": round(o * 1000),
        "floor_ms": round(f * 1000),
        "startup_over_floor_ms": round((o - f) * 1000),
    }


# ----------------------------------------------------------------------------- tabby


def install_tabby(where: Path) -> tuple[Path | None, str]:
    """``npm install tabby-agent@1.5.0`` into ``where``; returns (cli.js, why-not)."""
    cli = where / "node_modules" / "tabby-agent" / "dist" / "cli.js"
    if cli.exists():
        return cli, ""
    if not shutil.which("npm") or not shutil.which("node"):
        return None, "node/npm not found"
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", f"tabby-agent@{TABBY_VERSION}"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0 or not cli.exists():
        return None, "npm install failed: " + done.stderr.strip()[-300:]
    return cli, ""


def tabby_home(port: int) -> Path:
    home = Path(tempfile.mkdtemp(prefix="replay-tabby-"))
    config = home / ".tabby-client" / "agent" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        f'[server]\nendpoint = "http://127.0.0.1:{port}"\ntoken = "bench"\n\n'
        "[anonymousUsageTracking]\ndisable = true\n"
    )
    return home


# ----------------------------------------------------------------------------- main


def in_netns() -> bool:
    return os.environ.get("REPLAY_NETNS") == "1"


def reexec_in_netns(argv: list[str]) -> int | None:
    """Re-run this script inside ``unshare -n`` (loopback only); ``None`` if impossible."""
    if in_netns() or not shutil.which("unshare") or not shutil.which("ip"):
        return None
    probe = subprocess.run(
        ["unshare", "-n", "sh", "-c", "ip link set lo up"], capture_output=True, timeout=10
    )
    if probe.returncode != 0:
        return None
    script = 'ip link set lo up && exec "$@"'
    cmd = ["unshare", "-n", "sh", "-c", script, "sh", sys.executable, *argv]
    return subprocess.call(cmd, env={**os.environ, "REPLAY_NETNS": "1"})


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    quick = args.quick
    seed = args.seed
    site_count = args.sites or (2 if quick else 8)
    wanted = set(args.modes.split(",")) if args.modes else None
    sites = pick_sites(site_count, seed, inside=args.site_ends == "inside")
    oracle = Oracle(sites, args.accuracy, seed)
    up = FakeUpstream(oracle, seed)
    env = {**os.environ, "CODESTRAL_API_KEY": "bench-key-0000", "PYTHONPATH": str(ROOT)}
    ours_cmd = [sys.executable, "-m", "codestral_lsp"]
    settings: dict[str, Any] = {
        "baseUrl": f"http://127.0.0.1:{up.port}/v1",
        "allowInsecureHttp": True,
    }
    for pair in args.setting or []:
        key, _, value = pair.partition("=")
        settings[key] = json.loads(value)
    report: dict[str, Any] = {
        "method": {
            "seed": seed,
            "site_ends": args.site_ends,
            "accuracy": args.accuracy,
            "ttft_ms": 300,
            "per_token_ms": up.per_token * 1000,
            "typing_median_ms": 110,
            "sites": [f"{s.name}@{s.start}-{s.end}" for s in sites],
            "network_namespace": in_netns(),
            "python": sys.version.split()[0],
        },
        "modes": [],
    }
    report["reference_requests_per_100_chars"] = reference(sites, args.accuracy, seed)
    began = time.monotonic()
    report["startup"] = await startup(3 if quick else 7)
    modes = report["modes"]
    if wanted is None or "ours" in wanted:
        modes.append(
            await run_mode("ours", ours_cmd, env, settings, "inline", sites, up, seed, None)
        )
    if wanted is not None and "naive" not in wanted:
        report["tabby"] = "skipped (--modes)"
        if "tabby" in wanted:
            report["tabby"] = await run_tabby(args, sites, up, seed, modes)
        report["seconds"] = round(time.monotonic() - began, 1)
        up.stop()
        return report
    naive_env = {**env, "CODESTRAL_LSP_NAIVE": "1"}
    naive_sites = sites[:1] if quick else sites[:2]
    modes.append(
        await run_mode(
            "naive",
            ours_cmd,
            naive_env,
            settings,
            "inline",
            naive_sites,
            up,
            seed,
            60 if quick else 100,
        )
    )
    report["tabby"] = await run_tabby(args, sites, up, seed, modes)
    report["seconds"] = round(time.monotonic() - began, 1)
    up.stop()
    return report


async def run_tabby(
    args: argparse.Namespace, sites: list[Site], up: FakeUpstream, seed: int, modes: list[Any]
) -> str:
    if args.no_tabby:
        return "skipped (--no-tabby)"
    if not in_netns():
        return "not run: could not isolate it with unshare -n"
    cli, why = install_tabby(Path(args.tabby_dir))
    if cli is None:
        return f"not run: {why}"
    home = tabby_home(up.port)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home)}
    try:
        modes.append(
            await run_mode(
                "tabby",
                ["node", str(cli), "--lsp", "--stdio"],
                env,
                {},
                "completion",
                sites,
                up,
                seed,
                100 if args.quick else 150,
            )
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return f"tabby-agent {TABBY_VERSION} ({cli})"


def verdicts(report: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """(figure, value, target, met) for each target."""
    modes = {m["mode"]: m for m in report["modes"]}
    if "ours" not in modes:
        return []
    ours, tabby = modes["ours"], modes.get("tabby")
    rows: list[tuple[str, str, str, bool | None]] = []
    rp = ours["requests_per_100_chars"]
    met = rp <= 3 and (tabby is None or rp < tabby["requests_per_100_chars"])
    rows.append(("requests / 100 chars", str(rp), TARGETS["requests_per_100_chars"], met))
    share = ours["no_wait_share"]
    rows.append(
        (
            "continuing keys answered w/o wait",
            str(share),
            ">= 0.95",
            share is not None and share >= 0.95,
        )
    )
    rows.append(
        (
            "accepted / produced",
            str(ours["accepted_ratio"]),
            ">= 0.9",
            ours["accepted_ratio"] >= 0.9,
        )
    )
    for key, limit in (("overhead_p50_ms", 5), ("overhead_p99_ms", 20)):
        value = ours[key]
        rows.append((key, str(value), f"<= {limit}", value is not None and value <= limit))
    rows.append(("stale shown", str(ours["stale_shown"]), "0", ours["stale_shown"] == 0))
    st = report["startup"]
    rows.append(
        (
            "startup - floor (ms)",
            f"{st['startup_over_floor_ms']} ({st['startup_ms']} vs {st['floor_ms']})",
            "<= 100",
            st["startup_over_floor_ms"] <= 100,
        )
    )
    rows.append(("RSS after run (MB)", str(ours["rss_mb"]), "<= 80", ours["rss_mb"] <= 80))
    return rows


def table(report: dict[str, Any]) -> str:
    cols = [
        ("mode", "mode"),
        ("req/100ch", "requests_per_100_chars"),
        ("no-wait", "no_wait_share"),
        ("lat p50", "latency_p50_ms"),
        ("lat p90", "latency_p90_ms"),
        ("ovh p50", "overhead_p50_ms"),
        ("ovh p99", "overhead_p99_ms"),
        ("stale", "stale_shown"),
        ("acc/prod", "accepted_ratio"),
        ("conns", "upstream_connections"),
        ("prompt ch", "prompt_chars_per_request"),
        ("$/h", "cost_usd_per_hour"),
        ("$/1k ch", "cost_usd_per_1k_chars"),
        ("RSS MB", "rss_mb"),
        ("peak MB", "peak_rss_mb"),
        ("chars", "chars_produced"),
    ]
    rows = [[c[0] for c in cols]] + [[str(m.get(c[1])) for c in cols] for m in report["modes"]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(cols))]
    lines = ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    lines.append("")
    lines.append(f"tabby: {report['tabby']}")
    lines.append(
        "reference (an engine with no latency, asking only where no suggestion is left): "
        f"{report['reference_requests_per_100_chars']} requests / 100 chars"
    )
    lines.append("")
    for figure, value, target, met in verdicts(report):
        lines.append(f"{'MET ' if met else 'MISS'}  {figure}: {value} (target {target})")
    lines.append(f"\nbench took {report['seconds']} s")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--quick", action="store_true", help="2 sites (< 1 min)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--setting", action="append", help="extra codestral setting KEY=JSON (development)"
    )
    p.add_argument("--sites", type=int, help="number of sites (default 8, quick 2)")
    p.add_argument("--modes", help="comma-separated subset (development): ours,naive,tabby")
    p.add_argument("--accuracy", type=float, default=0.6)
    p.add_argument(
        "--site-ends",
        choices=["line", "inside"],
        default="line",
        help="where deleted text ends: a line end (the issue's method) or inside a line",
    )
    p.add_argument("--no-tabby", action="store_true", help="skip the tabby-agent baseline")
    p.add_argument("--no-unshare", action="store_true", help="do not enter a network namespace")
    p.add_argument(
        "--tabby-dir",
        default=str(Path(tempfile.gettempdir()) / "codestral-lsp-bench-tabby"),
        help="where npm installs tabby-agent (not in the repository)",
    )
    p.add_argument("--json", help="also write the JSON report to this file")
    args = p.parse_args()
    if not args.no_tabby:
        # Installed before entering the namespace: inside, the registry is unreachable.
        _, why = install_tabby(Path(args.tabby_dir))
        if why:
            print(f"tabby-agent: {why}", file=sys.stderr)
    if not args.no_unshare:
        code = reexec_in_netns(sys.argv)
        if code is not None:
            return code
    report = asyncio.run(bench(args))
    print(json.dumps(report, indent=2))
    print()
    print(table(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
