"""The server under test as a subprocess over stdio, set up against a local fake endpoint
(for bench/soak.py and bench/bigdoc.py)."""

from __future__ import annotations

import os
import sys
from typing import Any

from lsprotocol import types
from pygls.lsp.client import BaseLanguageClient


async def start(client: BaseLanguageClient, base_url: str, **options: Any) -> int:
    """Start the server (without the caller's Codestral variables), initialise it with an
    inline-completion client pointed at ``base_url`` and no debounce, plus ``options``;
    return its pid. Its stderr is the caller's to read."""
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
    return server.pid
