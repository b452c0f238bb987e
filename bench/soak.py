"""Soak: thousands of completions over many documents against the local fake endpoint.

Runs the real server as a subprocess (stdio LSP) and the tests' fake FIM server on 127.0.0.1,
then types into, completes in, closes and reopens documents, with a share of upstream failures.
Prints the server's resident memory at the start (after warm-up), during, and at the end (also
after every document was closed), and the completions per second handled.

    .venv/bin/python bench/soak.py --completions 5000 --documents 200
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import BaseLanguageClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import local_server
from fake_fim import FakeFim, Received, Reply


@dataclass
class Counts:
    completions: int = 0
    answered: int = 0
    rpc_errors: int = 0
    shown: int = 0
    logged: int = 0
    stderr_lines: int = 0


def rss_kib(pid: int) -> int:
    """Resident set size of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def source(rng: random.Random, lines: int) -> str:
    """A plausible Python module of about ``lines`` lines."""
    out = []
    for i in range(lines):
        if i % 7 == 0:
            out.append(f"def function_{i}(a, b):")
        else:
            out.append(f"    value_{i} = a * {rng.randint(0, 999)} + b  # note {i}")
    return "\n".join(out) + "\n"


def answer_for(rng: random.Random, fault_rate: float) -> object:
    def answer(received: Received) -> Reply:
        if rng.random() < fault_rate:
            return Reply(status=503, body='{"message":"overloaded"}')
        return Reply(text=f"result_{rng.randint(0, 99999)} + 1\n    return result")

    return answer


class Soak:
    def __init__(self, args: argparse.Namespace, fake: FakeFim) -> None:
        self.args = args
        self.fake = fake
        self.rng = random.Random(args.seed)
        self.counts = Counts()
        self.client = BaseLanguageClient("soak", "1")
        self.versions: dict[str, int] = {}
        self.texts: dict[str, str] = {}
        self._uris = 0

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def shown(params: types.ShowMessageParams) -> None:
            self.counts.shown += 1

        @self.client.feature(types.WINDOW_LOG_MESSAGE)
        def logged(params: types.LogMessageParams) -> None:
            self.counts.logged += 1

    async def start(self) -> int:
        pid, self._drain = await local_server.start(
            self.client, self.fake.url, self.stderr_line, timeoutMs=2000
        )
        return pid

    def stderr_line(self) -> None:
        self.counts.stderr_lines += 1

    def open(self) -> str:
        self._uris += 1
        uri = f"file:///soak/pkg{self._uris % 17}/module_{self._uris}.py"
        text = source(self.rng, self.args.doc_lines)
        self.texts[uri], self.versions[uri] = text, 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=text
                )
            )
        )
        return uri

    def close(self, uri: str) -> None:
        del self.texts[uri], self.versions[uri]
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    def type_into(self, uri: str, line: int) -> tuple[int, int]:
        """Type a few characters at the end of ``line``; returns the cursor after them."""
        lines = self.texts[uri].split("\n")
        line = min(line, len(lines) - 1)
        typed = self.rng.choice(["x", " = ", "re", "(a", "\n    "])
        column = len(lines[line])
        lines[line] += typed
        self.texts[uri] = "\n".join(lines)
        self.versions[uri] += 1
        local_server.insert(self.client, uri, self.versions[uri], line, column, typed)
        if "\n" in typed:
            return line + 1, len(typed.split("\n")[-1])
        return line, column + len(typed)

    async def complete(self, uri: str, line: int, column: int) -> None:
        kind = self.rng.choice(
            [types.InlineCompletionTriggerKind.Automatic, types.InlineCompletionTriggerKind.Invoked]
        )
        try:
            result = await self.client.text_document_inline_completion_async(
                types.InlineCompletionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    position=types.Position(line=line, character=column),
                    context=types.InlineCompletionContext(trigger_kind=kind),
                )
            )
        except Exception:
            self.counts.rpc_errors += 1
            return
        self.counts.completions += 1
        items = result.items if isinstance(result, types.InlineCompletionList) else result
        if items:
            self.counts.answered += 1

    async def worker(self, quota: int) -> None:
        uri = self.open()
        for done in range(quota):
            if done and done % self.args.per_document == 0:
                self.close(uri)
                uri = self.open()
            line, column = self.type_into(uri, self.rng.randrange(self.args.doc_lines))
            await self.complete(uri, line, column)
        self.close(uri)

    async def run(self, total: int) -> float:
        started = time.monotonic()
        share = total // self.args.concurrency
        await asyncio.gather(*(self.worker(share) for _ in range(self.args.concurrency)))
        return time.monotonic() - started


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--completions", type=int, default=5000)
    p.add_argument("--documents", type=int, default=200, help="distinct documents opened")
    p.add_argument("--doc-lines", type=int, default=300)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--fault-rate", type=float, default=0.05, help="share of 503 answers")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    args.per_document = max(1, args.completions // args.documents)

    with FakeFim() as fake:
        soak = Soak(args, fake)
        fake.answer = answer_for(random.Random(args.seed), args.fault_rate)  # type: ignore[assignment]
        pid = await soak.start()
        warmup = max(args.concurrency, args.completions // 20)
        await soak.run(warmup)
        start_rss = rss_kib(pid)
        print(f"RSS after warm-up ({warmup} completions): {start_rss / 1024:.1f} MiB")
        elapsed = 0.0
        for part in range(4):
            elapsed += await soak.run(args.completions // 4)
            print(
                f"  after {(part + 1) * args.completions // 4} completions: "
                f"{rss_kib(pid) / 1024:.1f} MiB"
            )
        end_rss = rss_kib(pid)
        await asyncio.sleep(0.5)  # lingering streams end; documents are all closed by now
        closed_rss = rss_kib(pid)
        c = soak.counts
        print(
            f"completions: {c.completions} ({c.answered} with a suggestion), "
            f"RPC errors: {c.rpc_errors}, documents opened: {soak._uris}"
        )
        print(
            f"upstream calls: {len(fake.requests)}, popups: {c.shown}, "
            f"log messages: {c.logged}, stderr lines: {c.stderr_lines}"
        )
        print(
            f"handled {c.completions / max(elapsed, 1e-9):.0f} completions/s "
            f"over {elapsed:.1f} s (concurrency {args.concurrency})"
        )
        print(
            f"RSS start {start_rss / 1024:.1f} MiB, end {end_rss / 1024:.1f} MiB "
            f"({(end_rss - start_rss) / 1024:+.1f} MiB), "
            f"all documents closed {closed_rss / 1024:.1f} MiB"
        )
        await soak.client.shutdown_async(None)
        soak.client.exit(None)
        await soak.client.stop()


if __name__ == "__main__":
    asyncio.run(main())
