"""Shared fixtures: a fake FIM endpoint on 127.0.0.1 and LSP clients that drive the real server."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from codestral_lsp.items import ACCEPT_COMMAND

sys.path.insert(0, str(Path(__file__).parent))

from fake_fim import FakeFim

API_KEY = "sk-test-DO-NOT-LEAK-8f3a9c2b7e"
CLIENTS = ["visual_studio_code@v1.65.2", "neovim@v0.11.0", "emacs@v29.1"]


PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def server_env(**extra: str) -> dict[str, str]:
    """The test process's environment without any real key, endpoint or proxy, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if (not k.startswith(("CODESTRAL_", "MISTRAL_")) or k == "CODESTRAL_LOG_LEVEL")
        and k.lower() not in PROXY_VARIABLES
    }
    env.update(extra)
    return env


SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "codestral_lsp"], server_env=server_env()
)


def capabilities(spec: str) -> types.ClientCapabilities:
    """A real editor's captured capabilities, plus LSP 3.18 inline completion (which the
    captured sets predate but current Neovim and VS Code declare)."""
    caps = pytest_lsp.client_capabilities(spec)
    assert caps.text_document is not None
    caps.text_document.inline_completion = types.InlineCompletionClientCapabilities()
    return caps


@pytest.fixture
def fake() -> Iterator[FakeFim]:
    with FakeFim() as server:
        yield server


@pytest_lsp.fixture(config=SERVER)
async def bare(lsp_client: LanguageClient) -> AsyncIterator[LanguageClient]:
    """A client the test initialises itself (with its own capabilities and settings)."""
    yield lsp_client
    await lsp_client.shutdown_session()


def init_options(fake: FakeFim, **extra: Any) -> dict[str, Any]:
    # One candidate per invoked request, so each request is one upstream call to count.
    return {"apiKey": API_KEY, "baseUrl": fake.url, "invokedCandidates": 1, **extra}


@pytest_lsp.fixture(config=SERVER, params=CLIENTS)
async def client(
    lsp_client: LanguageClient, fake: FakeFim, request: pytest.FixtureRequest
) -> AsyncIterator[None]:
    """A client with one real editor's capabilities, initialised against ``fake``."""
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(request.param),
            initialization_options=init_options(fake),
        )
    )
    yield
    await lsp_client.shutdown_session()


def open_doc(client: LanguageClient, uri: str, text: str, language: str = "python") -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id=language, version=1, text=text
            )
        )
    )


def partial_change(
    start: tuple[int, int], end: tuple[int, int], text: str
) -> types.TextDocumentContentChangePartial:
    """An incremental change replacing (line, character) ``start``..``end`` with ``text``."""
    return types.TextDocumentContentChangePartial(
        range=types.Range(
            start=types.Position(line=start[0], character=start[1]),
            end=types.Position(line=end[0], character=end[1]),
        ),
        text=text,
    )


def change(
    client: LanguageClient,
    uri: str,
    version: int,
    start: tuple[int, int],
    end: tuple[int, int],
    text: str,
) -> None:
    """Send one incremental ``didChange``."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[partial_change(start, end, text)],
        )
    )


async def inline(
    client: LanguageClient, uri: str, line: int, character: int, invoked: bool = True
) -> list[types.InlineCompletionItem]:
    kind = (
        types.InlineCompletionTriggerKind.Invoked
        if invoked
        else types.InlineCompletionTriggerKind.Automatic
    )
    result = await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
            context=types.InlineCompletionContext(trigger_kind=kind),
        )
    )
    if result is None:
        return []
    return list(result.items) if isinstance(result, types.InlineCompletionList) else list(result)


def insert_text(item: types.InlineCompletionItem) -> str:
    text = item.insert_text
    return text if isinstance(text, str) else text.value


async def start_neovim(client: LanguageClient, fake: FakeFim, **settings: object) -> None:
    """Initialise ``client`` as Neovim 0.11 against ``fake``, with ``settings`` on top."""
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities("neovim@v0.11.0"),
            initialization_options={
                "apiKey": "sk-test-1234567890",
                "baseUrl": fake.url,
                **settings,
            },
        )
    )


def position_in(text: str) -> Callable[[int], types.Position]:
    """Offsets in ``text`` as LSP positions (ASCII text: every unit counts alike)."""

    def to_position(offset: int) -> types.Position:
        line = text.count("\n", 0, offset)
        start = text.rfind("\n", 0, offset) + 1
        return types.Position(line=line, character=offset - start)

    return to_position


def accepted(shown: str) -> types.Command:
    """An item's accept command for unit tests of ``items``: it carries the text it was made
    from."""
    return types.Command(title="accepted", command=ACCEPT_COMMAND, arguments=[shown])
