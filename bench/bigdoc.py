"""Big documents: what a keystroke costs the server as the document grows.

Runs the real server as a subprocess (stdio LSP) against the tests' fake FIM server on
127.0.0.1 and, for each document, types characters one at a time in its middle: an incremental
``didChange`` and an automatic ``inlineCompletion`` per key (the fake answers at once, so the
time is the server's). Prints, per document, the median and 90th percentile time from the
request to its answer, the server's CPU time per key (from /proc) and its resident memory.
The per-key work should not grow with the document: no whole-document scan or split per key.
What still grows is the copy of the text each edit makes (Python strings are immutable; pygls'
own incremental sync splits and joins every line), about 5 ms at 200k lines.

    .venv/bin/python bench/bigdoc.py [--keys 150] [--sizes 1000,20000,200000] [--json FILE]

Each size runs with LF line ends, CRLF ones, and an emoji in the text (Python then stores
every character in 4 bytes); ``-up`` rows ask one line above the last position each time,
the walk a CRLF document once made from the top.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import BaseLanguageClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import local_server
from fake_fim import FakeFim, Reply

TYPED = "total = helper(items, start=10)  # running sum\n    "
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ms(pid: int) -> float:
    """User and system CPU time of a process so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / TICKS


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def stdlib_lines(count: int) -> list[str]:
    """``count`` lines of the running interpreter's standard library, repeated as needed."""
    out: list[str] = []
    paths = sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))
    while len(out) < count:
        for path in paths:
            out.extend(path.read_text(encoding="utf-8", errors="replace").splitlines())
            if len(out) >= count:
                break
    return out[:count]


def document(lines: int, kind: str) -> str:
    body = stdlib_lines(lines)
    if kind == "emoji":
        body[0] = "# \U0001f600 " + body[0]
    return ("\r\n" if kind == "crlf" else "\n").join(body) + "\n"


class Probe:
    def __init__(self, fake: FakeFim) -> None:
        self.fake = fake
        self.client = BaseLanguageClient("bigdoc", "1")

    async def start(self) -> int:
        pid, self._drain = await local_server.start(self.client, self.fake.url, lambda: None)
        return pid

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()

    async def run(self, pid: int, uri: str, text: str, keys: int, up: bool) -> dict[str, Any]:
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=text
                )
            )
        )
        line, column = text.count("\n") // 2, 0
        await self.ask(uri, line, column)  # the first answer, which also reads the document
        times: list[float] = []
        cpu_before = cpu_ms(pid)
        for n in range(keys):
            char = TYPED[n % len(TYPED)]
            local_server.insert(self.client, uri, n + 2, line, column, char)
            line, column = (line + 1, 0) if char == "\n" else (line, column + 1)
            started = time.perf_counter()
            await self.ask(uri, line - 1 if up and line else line, column if not up else 0)
            times.append((time.perf_counter() - started) * 1000)
        cpu = (cpu_ms(pid) - cpu_before) / keys
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        return {
            "p50_ms": round(statistics.median(times), 2),
            "p90_ms": round(statistics.quantiles(times, n=10)[-1], 2),
            "cpu_ms_per_key": round(cpu, 2),
            "rss_mb": round(rss_mb(pid), 1),
        }

    async def ask(self, uri: str, line: int, column: int) -> None:
        await self.client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=line, character=column),
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Automatic
                ),
            )
        )


async def bench(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    with FakeFim(Reply(text="result + 1")) as fake:
        probe = Probe(fake)
        pid = await probe.start()
        try:
            for size in args.sizes:
                for kind in ("lf", "crlf", "emoji", "crlf-up"):
                    text = document(size, kind.removesuffix("-up"))
                    uri = f"file:///bigdoc/{kind}_{size}.py"
                    found = await probe.run(pid, uri, text, args.keys, kind.endswith("-up"))
                    mb = round(len(text.encode()) / 1e6, 1)
                    rows.append({"lines": size, "kind": kind, "mb": mb, **found})
                    print(json.dumps(rows[-1]), file=sys.stderr)
        finally:
            await probe.stop()
    return rows


COLUMNS = (
    ("lines", "lines", 8),
    ("kind", "kind", 8),
    ("mb", "MB", 5),
    ("p50_ms", "p50 ms", 7),
    ("p90_ms", "p90 ms", 7),
    ("cpu_ms_per_key", "cpu/key", 8),
    ("rss_mb", "RSS MB", 7),
)


def table(rows: list[dict[str, Any]]) -> str:
    lines = [" ".join(f"{title:>{width}}" for _, title, width in COLUMNS)]
    for row in rows:
        lines.append(" ".join(f"{row[key]:>{width}}" for key, _, width in COLUMNS))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=150, help="keys typed per document")
    parser.add_argument(
        "--sizes",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[1000, 20000, 200000],
        help="document sizes in lines",
    )
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    started = time.monotonic()
    rows = asyncio.run(bench(args))
    print(table(rows))
    print(f"({time.monotonic() - started:.1f} s)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
