"""Every preset end to end: the real server (subprocess, real LSP traffic) and the real CLI,
each against a local fake speaking that preset's wire format."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_lsp
from fake_fim import Reply
from fake_wires import LANGDOCK_FIELDS, LANGDOCK_MODELS, PATHS, FakeWire
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from codestral_lsp.engine import MAX_TOKENS_MULTI
from codestral_lsp.providers import WRAPPING_TOKENS

KEY = "sk-e2e-key-0000wxyz"
SOURCE = "def add(a, b):\n    return \n"
LINE, COL = 1, 11  # 0-based: after "    return "
TOTAL = "def total(xs):\n    \n"


@dataclass(frozen=True)
class Case:
    """One preset, the fake wire format behind it, and what its model answers."""

    provider: str
    wire: str
    answer: str
    expected: str
    needs_key: bool = True
    rejects_suffix: bool = False
    fields: set[str] | None = None
    models: set[str] | None = None


CASES = [
    Case("codestral", "mistral", "a + b  # codestral", "a + b  # codestral"),
    Case("mistral", "mistral", "a + b  # mistral", "a + b  # mistral"),
    Case(
        "langdock",
        "mistral",
        "a + b  # langdock",
        "a + b  # langdock",
        fields=LANGDOCK_FIELDS,
        models=LANGDOCK_MODELS,
    ),
    Case("openai-compatible", "openai", "a + b  # litellm", "a + b  # litellm"),
    Case("openai-compatible", "openai", "a + b  # vllm", "a + b  # vllm", rejects_suffix=True),
    Case(
        "aimlapi",
        "chat",
        "Here is the completion:\n\n```python\n    return a + b  # aimlapi\n```",
        "a + b  # aimlapi",
    ),
    Case("ollama", "ollama", "a + b  # ollama", "a + b  # ollama", needs_key=False),
    Case("llamacpp", "llamacpp", "a + b  # llamacpp", "a + b  # llamacpp", needs_key=False),
]
IDS = [c.provider + ("-vllm" if c.rejects_suffix else "") for c in CASES]


def clean_env() -> dict[str, str]:
    """The inherited environment without any codestral-lsp setting."""
    names = ("CODESTRAL_", "MISTRAL_API_KEY")
    return {k: v for k, v in os.environ.items() if not k.startswith(names)}


def make_fake(case: Case) -> FakeWire:
    keys = {KEY} if case.needs_key else None
    return FakeWire(
        case.wire, Reply(text=case.answer), keys, case.rejects_suffix, case.fields, case.models
    )


@pytest.fixture
def fakes() -> Iterator[list[FakeWire]]:
    started = [make_fake(case).start() for case in CASES]
    try:
        yield started
    finally:
        for fake in started:
            fake.stop()


def assert_served(case: Case, fake: FakeWire) -> None:
    """The fake got the preset's request: its path, the key only where one is needed."""
    sent = fake.completions[-1]
    assert sent.path == PATHS[case.wire]
    if case.needs_key:
        assert sent.headers["Authorization"] == f"Bearer {KEY}"
    else:
        assert "Authorization" not in sent.headers
    if case.rejects_suffix:
        assert "suffix" not in sent.body and sent.body["prompt"].startswith("[SUFFIX]")


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "codestral_lsp"], server_env=clean_env()
    )
)
async def client(lsp_client: LanguageClient) -> object:
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=types.ClientCapabilities(), process_id=os.getpid())
    )
    yield
    await lsp_client.shutdown_session()


async def test_provider_switches_at_runtime(client: LanguageClient, fakes: list[FakeWire]) -> None:
    uri = "file:///tmp/e2e/add.py"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="python", version=1, text=SOURCE)
        )
    )
    for case, fake in zip(CASES, fakes, strict=True):
        settings = {"provider": case.provider, "baseUrl": fake.url, "apiKey": KEY}
        settings["invokedCandidates"] = 1  # type: ignore[assignment]  # one call per request
        if not case.needs_key:
            settings["apiKey"] = None  # type: ignore[assignment]
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"codestral": settings})
        )
        result = await inline(client, uri)
        assert isinstance(result, types.InlineCompletionList), case
        assert [item.insert_text for item in result.items] == [case.expected], case.provider
        assert_served(case, fake)
        if case.wire == "chat":  # the file named as in FIM prompts, not by its absolute path
            user = fake.completions[-1].body["messages"][-1]["content"]
            assert user.startswith("File e2e/add.py:\n")
    assert [len(fake.completions) for fake in fakes] == [1, 1, 1, 1, 2, 1, 1, 1]
    assert not [m.message for m in client.messages if m.type == types.MessageType.Error]
    # A key for plain HTTP to another machine: refused, and the user is told which setting.
    lan = {"provider": "openai-compatible", "baseUrl": "http://192.0.2.10:4000/v1", "apiKey": KEY}
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"codestral": lan})
    )
    result = await inline(client, uri)
    assert isinstance(result, types.InlineCompletionList) and not result.items
    assert any("allowInsecureHttp" in m.message for m in client.messages)


async def inline(
    client: LanguageClient, uri: str, position: types.Position | None = None
) -> types.InlineCompletionList | None:
    """An explicitly invoked inline completion, by default at the end of ``return``."""
    return await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position or types.Position(line=LINE, character=COL),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )
    )


def run_cli(case: Case, fake: FakeWire, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**clean_env(), "CODESTRAL_PROVIDER": case.provider, "CODESTRAL_BASE_URL": fake.url}
    if case.needs_key:
        env["CODESTRAL_API_KEY"] = KEY
    return subprocess.run(
        [sys.executable, "-m", "codestral_lsp", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_cli_complete_and_check(case: Case, tmp_path: Path) -> None:
    source = tmp_path / "add.py"
    source.write_text(SOURCE)
    with make_fake(case) as fake:
        done = run_cli(case, fake, "complete", f"{source}:{LINE + 1}:{COL + 1}")
        assert (done.returncode, done.stdout) == (0, case.expected + "\n"), done.stderr
        assert ("raw FIM template" in done.stderr) is case.rejects_suffix
        assert_served(case, fake)
        check = run_cli(case, fake, "check")
    assert check.returncode == 0, check.stderr
    assert f"provider: {case.provider} (" in check.stdout
    assert f"request: POST {fake.url.removesuffix('/v1')}{PATHS[case.wire]}\n" in check.stdout
    assert "test request: ok in " in check.stdout
    assert KEY not in check.stdout + check.stderr
    if not case.needs_key:
        assert "key: none (not needed by a server on this machine)" in check.stdout


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_check_passes_when_the_test_answer_reaches_max_tokens(case: Case) -> None:
    # The check asks for 8 tokens, so a real model mostly stops at that limit: its answer is
    # fine, not a failure.
    fake = make_fake(case)
    fake.answer = Reply(text=case.answer, finish="length")
    with fake:
        check = run_cli(case, fake, "check")
    assert check.returncode == 0, check.stderr
    assert "test request: ok in " in check.stdout


BLOCK = "result = 0\n    for x in xs:\n        result += x\n    return res"


@pytest.mark.parametrize("finish", ["length", "stop"])
async def test_an_answer_cut_at_max_tokens_loses_its_torn_last_line(
    client: LanguageClient, finish: str
) -> None:
    uri = "file:///tmp/e2e/total.py"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="python", version=1, text=TOTAL)
        )
    )
    with FakeWire("mistral", Reply(text=BLOCK, finish=finish), {KEY}) as fake:
        settings = {"baseUrl": fake.url, "apiKey": KEY, "invokedCandidates": 1}
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"codestral": settings})
        )
        result = await inline(client, uri, types.Position(line=1, character=4))
    assert isinstance(result, types.InlineCompletionList)
    kept = BLOCK if finish == "stop" else BLOCK[: BLOCK.rindex("\n")]
    assert [item.insert_text for item in result.items] == [kept]
    assert not client.messages  # running out of tokens is nothing to tell the user


async def test_a_users_max_tokens_bounds_a_chat_request_as_it_is(
    client: LanguageClient, fakes: list[FakeWire]
) -> None:
    (fake,) = [fake for case, fake in zip(CASES, fakes, strict=True) if case.wire == "chat"]
    sent = []
    for n, extra in enumerate([{}, {"maxTokens": 10}]):
        uri = f"file:///tmp/e2e/add{n}.py"
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id="python", version=1, text=SOURCE)
            )
        )
        settings = {"provider": "aimlapi", "baseUrl": fake.url, "apiKey": KEY, **extra}
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"codestral": settings})
        )
        await inline(client, uri)
        sent.append(fake.completions[-1].body["max_tokens"])
    # The engine's own budget gets room for a fence around the code; a user's bound stays one.
    assert sent == [MAX_TOKENS_MULTI + WRAPPING_TOKENS, 10]
