"""The status notification and accept feedback, over real LSP against the fake FIM endpoint."""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_lsp
from fake_fim import FakeFim, Reply
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from codestral_lsp.providers import AuthError
from codestral_lsp.server import auth_message
from codestral_lsp.settings import Settings

STATUS = "codestral/didChangeStatus"
URI = "file:///tmp/demo.py"


@pytest.fixture
def fake() -> Iterator[FakeFim]:
    with FakeFim() as server:
        yield server


def config(env: dict[str, str]) -> ClientServerConfig:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CODESTRAL_", "MISTRAL_"))}
    return ClientServerConfig(
        server_command=[sys.executable, "-m", "codestral_lsp"], server_env={**clean, **env}
    )


async def start(lsp_client: LanguageClient, caps: str = "neovim@v0.11.0") -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    @lsp_client.feature(STATUS)
    def on_status(params: Any) -> None:
        seen.append({"kind": params.kind, "message": params.message, "busy": params.busy})

    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=pytest_lsp.client_capabilities(caps))
    )
    return seen


async def wait_until(pred: Any) -> None:
    for _ in range(250):
        if pred():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met within 5 s")


def open_doc(client: LanguageClient, text: str) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=URI, language_id="python", version=1, text=text
            )
        )
    )


async def complete(client: LanguageClient, line: int, char: int) -> types.CompletionList:
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            position=types.Position(line=line, character=char),
            context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked),
        )
    )
    assert isinstance(result, types.CompletionList)
    return result


@pytest_lsp.fixture(config=config({}))
async def keyless(lsp_client: LanguageClient) -> AsyncIterator[LanguageClient]:
    yield lsp_client
    await lsp_client.shutdown_session()


async def test_missing_key_is_an_error_status(keyless: LanguageClient) -> None:
    seen = await start(keyless)
    await wait_until(lambda: seen)
    assert seen[0]["kind"] == "Error"
    assert "CODESTRAL_API_KEY" in seen[0]["message"]
    assert seen[0]["busy"] is False

    # Most editors show nothing of the status: the first request is told why, once.
    open_doc(keyless, "x = \n")
    for _ in range(3):
        assert not (await complete(keyless, 0, 4)).items
    told = [m.message for m in keyless.messages if "no API key" in m.message]
    assert len(told) == 1 and "CODESTRAL_API_KEY" in told[0]


@pytest.fixture
async def keyed(fake: FakeFim) -> AsyncIterator[LanguageClient]:
    env = {"CODESTRAL_API_KEY": "test-key-123456", "CODESTRAL_BASE_URL": fake.url}
    cfg = config(env)
    client = await cfg.start()
    assert isinstance(client, LanguageClient)
    yield client
    await client.shutdown_session()
    await client.stop()


async def test_status_changes_are_sent_once_each(keyed: LanguageClient, fake: FakeFim) -> None:
    seen = await start(keyed)
    await wait_until(lambda: seen)
    assert seen == [{"kind": "Normal", "message": "ready", "busy": False}]
    open_doc(keyed, "def add(a, b):\n    ")
    result = await complete(keyed, 1, 4)
    assert result.items
    await wait_until(lambda: len(seen) >= 3)
    assert seen[1:] == [
        {"kind": "Normal", "message": "ready", "busy": True},
        {"kind": "Normal", "message": "ready", "busy": False},
    ]
    for before, after in itertools.pairwise(seen):
        assert before != after


@pytest.mark.parametrize(
    ("reply", "kind", "words"),
    [
        (Reply(status=401, body='{"message": "Unauthorized"}'), "Error", "rejected"),
        (Reply(status=429, body="{}", headers={"Retry-After": "30"}), "Warning", "rate limited"),
        (Reply(status=500, body="{}"), "Warning", "upstream"),
    ],
)
async def test_upstream_trouble_sets_the_status(
    keyed: LanguageClient, fake: FakeFim, reply: Reply, kind: str, words: str
) -> None:
    fake.answer = reply
    seen = await start(keyed)
    open_doc(keyed, "def add(a, b):\n    ")
    await complete(keyed, 1, 4)
    await wait_until(lambda: any(s["kind"] == kind and not s["busy"] for s in seen))
    final = seen[-1]
    assert final["kind"] == kind and words in final["message"] and final["busy"] is False


async def test_a_suggestion_after_trouble_clears_the_status(
    keyed: LanguageClient, fake: FakeFim
) -> None:
    fake.answer = Reply(status=500, body="{}")
    seen = await start(keyed)
    open_doc(keyed, "def add(a, b):\n    ")
    await complete(keyed, 1, 4)
    await wait_until(lambda: bool(seen) and seen[-1]["kind"] == "Warning" and not seen[-1]["busy"])
    fake.answer = Reply(text="return a + b")
    assert (await complete(keyed, 1, 4)).items
    await wait_until(
        lambda: bool(seen) and seen[-1] == {"kind": "Normal", "message": "ready", "busy": False}
    )


async def test_accept_command_is_logged_with_what_was_taken(
    keyed: LanguageClient, fake: FakeFim
) -> None:
    fake.answer = Reply(text="urn a + b")
    await start(keyed)
    open_doc(keyed, "def add(a, b):\n    ret")
    result = await complete(keyed, 1, 7)
    (item,) = result.items
    assert item.command is not None and item.command.command == "codestral.didAcceptCompletion"
    await keyed.workspace_execute_command_async(
        types.ExecuteCommandParams(command=item.command.command, arguments=item.command.arguments)
    )
    await wait_until(lambda: any("accepted #1" in m.message for m in keyed.log_messages))
    (line,) = [m.message for m in keyed.log_messages if "accepted #1" in m.message]
    assert "'return a + b'" in line and URI in line and "completion 1 line(s)" in line

    await keyed.workspace_execute_command_async(
        types.ExecuteCommandParams(command=item.command.command, arguments=["nope"])
    )
    await wait_until(lambda: any("unknown or expired" in m.message for m in keyed.log_messages))


async def test_clearing_every_editor_setting_returns_to_the_defaults(
    keyed: LanguageClient, fake: FakeFim
) -> None:
    # The VS Code extension answers workspace/configuration with what the user set: {} once
    # they remove the last codestral setting. That answer must replace the earlier one.
    def logged(words: str) -> int:
        return sum(words in m.message for m in keyed.log_messages)

    keyed.set_configuration({"codestral": {"model": "my-model"}})
    await start(keyed)
    await wait_until(lambda: logged("model=my-model") == 1)
    open_doc(keyed, "def add(a, b):\n    ")
    assert (await complete(keyed, 1, 4)).items
    assert fake.requests[-1].body["model"] == "my-model"

    keyed.set_configuration({"codestral": {}})
    keyed.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"codestral": {}})
    )
    fake.answer = Reply(text="return b + a")
    await wait_until(lambda: logged("model=codestral-latest") == 2)
    assert (await complete(keyed, 1, 4)).items
    assert fake.requests[-1].body["model"] == "codestral-latest"
    assert fake.requests[-1].headers["Authorization"] == "Bearer test-key-123456"


async def test_each_inline_alternative_carries_its_own_accept_id(
    keyed: LanguageClient, fake: FakeFim
) -> None:
    fake.answer = lambda received: Reply(text=f"return a + {received.body.get('random_seed', 0)}")
    caps = pytest_lsp.client_capabilities("neovim@v0.11.0")
    assert caps.text_document is not None
    caps.text_document.inline_completion = types.InlineCompletionClientCapabilities()
    await keyed.initialize_session(types.InitializeParams(capabilities=caps))
    open_doc(keyed, "def add(a, b):\n    ")
    result = await keyed.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            position=types.Position(line=1, character=4),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )
    )
    assert isinstance(result, types.InlineCompletionList)
    assert len(result.items) > 1
    ids = [
        item.command.arguments[0]
        for item in result.items
        if item.command and item.command.arguments
    ]
    assert len(set(ids)) == len(result.items)
    last = result.items[-1]
    assert last.command is not None
    await keyed.workspace_execute_command_async(
        types.ExecuteCommandParams(command=last.command.command, arguments=last.command.arguments)
    )
    await wait_until(lambda: any("accepted #1" in m.message for m in keyed.log_messages))
    (line,) = [m.message for m in keyed.log_messages if "accepted #1" in m.message]
    assert repr(last.insert_text) in line


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        (
            Settings(api_key="sk-test-0123456789", provider="mistral"),
            'a Codestral key works only on codestral.mistral.ai (provider "codestral")',
        ),
        (
            Settings(api_key="ld-test-0123456789", provider="langdock"),
            'a key this endpoint issued (provider "langdock")',
        ),
        (
            Settings(provider="openai-compatible", base_url="http://127.0.0.1:4000/v1"),
            "wants an API key (HTTP 401) and none is set",
        ),
        (
            Settings(api_key="gw-test-0123456789", base_url="https://gw.example/v1"),
            'a key this endpoint issued (provider "codestral")',
        ),
    ],
    ids=["mistral", "gateway", "no key", "own base url"],
)
def test_a_rejected_key_is_told_what_to_set_for_its_provider(settings: Settings, says: str) -> None:
    message = auth_message(settings.endpoint, AuthError("HTTP 401", 401), settings)
    assert says in message and "codestral.apiKey" in message
