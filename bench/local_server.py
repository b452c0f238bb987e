"""The server under test as a subprocess over stdio, set up against a local fake endpoint,
and the edits the benches type into it (for bench/soak.py and bench/bigdoc.py)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from typing import Any

from lsprotocol import types
from pygls.lsp.client import BaseLanguageClient


async def start(
    client: BaseLanguageClient, base_url: str, on_stderr: Callable[[], None], **options: Any
) -> tuple[int, asyncio.Task[None]]:
    """Start the server (without the caller's Codestral variables), initialise it with an
    inline-completion client pointed at ``base_url`` and no debounce, plus ``options``.
    Returns its pid and the task reading its stderr (``on_stderr`` per line): nobody else
    reads it, and a full pipe would stall the server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CODESTRAL_", "MISTRAL_"))}
    await client.start_io(sys.executable, "-m", "codestral_lsp", env=env)
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(
                text_document=types.TextDocumentClientCapabilities(
                    inline_completion=types.InlineCompletionClientCapabilities()
                )
            ),
            initialization_options={
                "apiKey": "sk-bench-not-a-real-key-0000",
                "baseUrl": base_url,
                "debounceMs": 0,
                **options,
            },
        )
    )
    client.initialized(types.InitializedParams())
    server = client._server
    assert server is not None and server.stderr is not None
    return server.pid, asyncio.create_task(_drain(server.stderr, on_stderr))


async def _drain(stderr: asyncio.StreamReader, on_line: Callable[[], None]) -> None:
    while await stderr.readline():
        on_line()


def insert(
    client: BaseLanguageClient, uri: str, version: int, line: int, column: int, text: str
) -> None:
    """Tell the server ``text`` was typed at ``line``:``column`` (an incremental change)."""
    at = types.Position(line=line, character=column)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=at, end=at), text=text
                )
            ],
        )
    )
