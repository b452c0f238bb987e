"""Upstream faults, one test per kind, against the local fake: every request answers (empty or
partial) within its deadline, later requests are not blocked, the user is told at most once per
kind, circuits pause requests for 429 and 401/403, and service comes back by itself.

Timing is never asserted; ``asyncio.wait_for`` with a bound several times the deadline only
detects hangs.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
import pytest_lsp
from conftest import (
    CLIENTS,
    SERVER,
    capabilities,
    init_options,
    inline,
    insert_text,
    open_doc,
    server_env,
)
from fake_fim import FakeFim, Received, Reply
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

# Tests whose subject is the deadline wait it out, so it is short. The others get one that a
# loaded machine cannot miss: a retry's pause plus two calls must not become "no answer in time"
# (which would also tell the user the endpoint is slow and leave a failure unrecorded when the
# next request decides whether to retry).
SHORT_MS = 600
ROOMY_MS = 5000
BOUND_S = 6 * ROOMY_MS / 1000 + 3  # a hang detector, not a latency check
# Rejected by the C library's resolver before any query is sent (empty label): a name-resolution
# failure without DNS traffic. A plain ``*.invalid`` name would be forwarded to this machine's
# non-loopback nameserver.
UNRESOLVABLE = "https://a..invalid/v1"


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def base_url(fake: FakeFim, request: pytest.FixtureRequest) -> str:
    kind = getattr(request, "param", "fake")
    if kind == "refused":
        return f"http://127.0.0.1:{closed_port()}/v1"
    if kind == "unresolvable":
        return UNRESOLVABLE
    return fake.url


@pytest.fixture
def timeout_ms(request: pytest.FixtureRequest) -> int:
    return SHORT_MS if request.node.get_closest_marker("short_deadline") else ROOMY_MS


@pytest_lsp.fixture(config=SERVER)
async def lsp(
    lsp_client: LanguageClient, fake: FakeFim, base_url: str, timeout_ms: int
) -> AsyncIterator[None]:
    """One VS Code-like client with the test's deadline and no debounce."""
    options = init_options(fake, timeoutMs=timeout_ms, debounceMs=0, baseUrl=base_url)
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(CLIENTS[0]), initialization_options=options
        )
    )
    yield
    await lsp_client.shutdown_session()


async def ask(client: LanguageClient, uri: str, invoked: bool = True) -> list[str]:
    """Complete at the end of the one-line document ``uri``; fail if it takes unboundedly long."""
    items = await asyncio.wait_for(inline(client, uri, 0, 4, invoked), BOUND_S)
    return [insert_text(item) for item in items]


def told(client: LanguageClient, *words: str) -> list[str]:
    """Popups (``window/showMessage``) mentioning all of ``words``."""
    return [m.message for m in client.messages if all(w in m.message for w in words)]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_told_once_and_recover_at_once(
    lsp: LanguageClient, fake: FakeFim, status: int
) -> None:
    fake.answer = Reply(status=status, body=f'{{"message":"upstream trouble {status}"}}')
    for i in range(3):
        open_doc(lsp, f"file:///p/e{i}.py", "x = \n")
        assert await ask(lsp, f"file:///p/e{i}.py") == []

    # No circuit for 5xx: each request was tried; the first once more (it was invoked), not
    # the later ones, as the endpoint had failed before.
    assert len(fake.requests) == 4
    assert len(told(lsp, f"HTTP {status}")) == 1
    assert len(lsp.messages) == 1
    fake.answer = Reply(text="back")
    open_doc(lsp, "file:///p/ok.py", "x = \n")
    assert await ask(lsp, "file:///p/ok.py") == ["back"]


@pytest.mark.parametrize("fault", ["502", "close"])
async def test_an_invoked_request_is_tried_once_more_after_a_passing_failure(
    lsp: LanguageClient, fake: FakeFim, fault: str
) -> None:
    failure = Reply(status=502, body='{"message":"bad gateway"}') if fault == "502" else None
    replies = iter([failure or Reply(close=True), Reply(text="second try")])
    fake.answer = lambda received: next(replies)
    open_doc(lsp, "file:///p/r.py", "x = \n")

    assert await ask(lsp, "file:///p/r.py") == ["second try"]
    assert len(fake.requests) == 2
    assert lsp.messages == []  # the retry answered: nothing went wrong for the user


async def test_an_automatic_request_is_not_tried_again(lsp: LanguageClient, fake: FakeFim) -> None:
    fake.answer = Reply(status=502, body='{"message":"bad gateway"}')
    open_doc(lsp, "file:///p/r.py", "x = \n")

    assert await ask(lsp, "file:///p/r.py", invoked=False) == []
    assert len(fake.requests) == 1
    assert len(told(lsp, "HTTP 502")) == 1


@pytest.mark.parametrize("fault", ["503", "dropped"])
async def test_an_endpoint_failing_again_pauses_automatic_requests_only(
    lsp: LanguageClient, fake: FakeFim, fault: str
) -> None:
    fake.answer = Reply(status=503, body='{"message":"overloaded"}')
    if fault == "dropped":
        fake.answer = Reply(close=True)
    for i in range(4):
        open_doc(lsp, f"file:///p/a{i}.py", "x = \n")

    assert await ask(lsp, "file:///p/a0.py", invoked=False) == []
    assert await ask(lsp, "file:///p/a1.py", invoked=False) == []
    assert len(fake.requests) == 2
    # Failed twice in a row: automatic requests wait a second, an invoked one still goes out.
    assert await ask(lsp, "file:///p/a2.py", invoked=False) == []
    assert len(fake.requests) == 2
    fake.answer = Reply(text="back")
    assert await ask(lsp, "file:///p/a2.py", invoked=True) == ["back"]
    # Its success ended the pause at once.
    assert await ask(lsp, "file:///p/a3.py", invoked=False) == ["back"]
    assert len(lsp.messages) == 1


async def test_an_automatic_pause_after_failures_ends_by_itself(
    lsp: LanguageClient, fake: FakeFim
) -> None:
    fake.answer = Reply(status=500, body='{"message":"internal"}')
    for i in range(3):
        open_doc(lsp, f"file:///p/a{i}.py", "x = \n")
    assert await ask(lsp, "file:///p/a0.py", invoked=False) == []
    assert await ask(lsp, "file:///p/a1.py", invoked=False) == []
    fake.answer = Reply(text="back")
    assert await ask(lsp, "file:///p/a2.py", invoked=False) == []
    assert len(fake.requests) == 2

    await asyncio.sleep(1.2)  # the first pause is 1 s
    assert await ask(lsp, "file:///p/a2.py", invoked=False) == ["back"]


@pytest.mark.parametrize(
    "retry_after", ["1", None, "soon"], ids=["retry-after", "no-retry-after", "unparsable"]
)
async def test_rate_limit_pauses_until_its_time_then_recovers(
    lsp: LanguageClient, fake: FakeFim, retry_after: str | None
) -> None:
    headers = {"Retry-After": retry_after} if retry_after else {}
    fake.answer = Reply(status=429, body='{"message":"rate limit exceeded"}', headers=headers)
    open_doc(lsp, "file:///p/a.py", "x = \n")
    open_doc(lsp, "file:///p/b.py", "y = \n")

    assert await ask(lsp, "file:///p/a.py") == []
    assert await ask(lsp, "file:///p/b.py", invoked=False) == []
    assert await ask(lsp, "file:///p/b.py", invoked=True) == []
    assert len(fake.requests) == 1  # the circuit is open: nothing else went out
    assert len(told(lsp, "rate limited")) == 1

    fake.answer = Reply(text="again")
    # 1 s from Retry-After; 2 s is the first backoff step without a usable one.
    await asyncio.sleep(1.2 if retry_after == "1" else 2.2)
    assert await ask(lsp, "file:///p/b.py") == ["again"]
    assert len(told(lsp, "rate limited")) == 1


@pytest.mark.parametrize("status", [401, 403])
async def test_auth_failure_pauses_until_settings_change(
    lsp: LanguageClient, fake: FakeFim, status: int
) -> None:
    fake.answer = Reply(status=status, body='{"detail":"Unauthorized"}')
    open_doc(lsp, "file:///p/a.py", "x = \n")
    for invoked in (True, False, True):
        assert await ask(lsp, "file:///p/a.py", invoked) == []

    assert len(fake.requests) == 1
    assert len(told(lsp, "CODESTRAL_API_KEY")) == 1
    assert len(lsp.messages) == 1

    fake.answer = Reply(text="welcome")
    lsp.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"codestral": {"apiKey": "sk-a-new-key-0123456789"}}
        )
    )
    await asyncio.sleep(0.3)  # a notification has no answer to wait for
    assert await ask(lsp, "file:///p/a.py") == ["welcome"]
    assert fake.requests[-1].headers["Authorization"] == "Bearer sk-a-new-key-0123456789"


@pytest.mark.short_deadline
async def test_hanging_upstream_answers_empty_in_time_and_blocks_nothing(
    lsp: LanguageClient, fake: FakeFim
) -> None:
    hung: list[Received] = []

    def hang(received: Received) -> Reply:
        hung.append(received)
        return Reply(hang=True)

    fake.answer = hang
    uris = [f"file:///p/h{i}.py" for i in range(4)]  # more than the concurrent-stream slots
    for uri in uris:
        open_doc(lsp, uri, "x = \n")

    results = await asyncio.gather(*(ask(lsp, uri) for uri in uris))

    assert results == [[]] * 4
    fake.answer = Reply(text="free")
    open_doc(lsp, "file:///p/next.py", "x = \n")
    assert await ask(lsp, "file:///p/next.py") == ["free"]
    # Every call that hung was hung up on, not left to run for the fake's 60 s.
    assert hung
    assert await asyncio.to_thread(fake.wait_for, lambda: fake.disconnects == len(hung))
    assert len(lsp.messages) <= 1


@pytest.mark.short_deadline
async def test_dripping_upstream_is_cut_at_the_deadline(lsp: LanguageClient, fake: FakeFim) -> None:
    # One character at a time, slower than the deadline allows: the read timeout never fires
    # (bytes keep coming), so only the engine's deadline can end the request.
    fake.answer = Reply(text="abcdefghijklmnop", chunk_chars=1, chunk_delay=0.25)
    open_doc(lsp, "file:///p/drip.py", "x = \n")

    result = await ask(lsp, "file:///p/drip.py")

    # Nothing, or the part that arrived in time.
    assert all("abcdefghijklmnop".startswith(text) for text in result)
    fake.answer = Reply(text="fast")
    open_doc(lsp, "file:///p/after.py", "y = \n")
    assert await ask(lsp, "file:///p/after.py") == ["fast"]
    assert await asyncio.to_thread(fake.wait_for, lambda: fake.disconnects >= 1)


@pytest.mark.short_deadline
async def test_keep_alive_comments_only_are_told_once_and_cut(
    lsp: LanguageClient, fake: FakeFim
) -> None:
    # Bytes keep coming (SSE comments), so no read timeout fires; nothing usable ever does.
    fake.answer = Reply(drip=True)
    open_doc(lsp, "file:///p/alive.py", "x = \n")

    assert await ask(lsp, "file:///p/alive.py") == []
    assert await ask(lsp, "file:///p/alive.py") == []

    assert len(told(lsp, "gave no suggestion within")) == 1
    # The stream that ran past the deadline was closed; the second request asked afresh.
    assert len(fake.requests) >= 2
    assert await asyncio.to_thread(fake.wait_for, lambda: fake.disconnects >= 1)


@pytest.mark.parametrize("fault", ["malformed", "garbage", "close", "reset"])
async def test_broken_answers_give_empty_and_are_told_once(
    lsp: LanguageClient, fake: FakeFim, fault: str
) -> None:
    fake.answer = Reply(**{fault: True})  # type: ignore[arg-type]
    for i in range(3):
        open_doc(lsp, f"file:///p/m{i}.py", "x = \n")
        assert await ask(lsp, f"file:///p/m{i}.py") == []

    assert len(fake.requests) >= 3
    assert len(lsp.messages) == 1
    assert "Error" not in lsp.messages[0].message  # in words, not httpx's class names
    fake.answer = Reply(text="sane")
    open_doc(lsp, "file:///p/sane.py", "x = \n")
    assert await ask(lsp, "file:///p/sane.py") == ["sane"]


async def test_stream_cut_before_done_keeps_complete_lines(
    lsp: LanguageClient, fake: FakeFim
) -> None:
    fake.answer = Reply(text="total = 0\n    for x in xs:\n        tot", cut=True)
    uri = "file:///p/cut.py"
    open_doc(lsp, uri, "def f(xs):\n    \n")

    items = await asyncio.wait_for(inline(lsp, uri, 1, 4), BOUND_S)

    # The complete lines that arrived before the cut, never the torn last one.
    assert [insert_text(i) for i in items] == ["total = 0\n    for x in xs:"]
    fake.answer = Reply(text="whole")
    open_doc(lsp, "file:///p/next.py", "x = \n")
    assert await ask(lsp, "file:///p/next.py") == ["whole"]


@pytest.mark.parametrize("base_url", ["refused"], indirect=True)
async def test_connection_refused_told_once_and_recovers(
    lsp: LanguageClient, base_url: str
) -> None:
    open_doc(lsp, "file:///p/a.py", "x = \n")
    for invoked in (True, False, True):
        assert await ask(lsp, "file:///p/a.py", invoked) == []
    assert len(told(lsp, "cannot reach")) == 1
    assert len(lsp.messages) == 1

    port = int(base_url.split(":")[2].split("/")[0])
    with FakeFim(Reply(text="up again"), port=port) as revived:
        assert await ask(lsp, "file:///p/a.py") == ["up again"]
        assert len(revived.requests) == 1


@pytest.mark.parametrize("base_url", ["unresolvable"], indirect=True)
async def test_unresolvable_host_told_once(
    lsp: LanguageClient, fake: FakeFim, base_url: str
) -> None:
    open_doc(lsp, "file:///p/a.py", "x = \n")
    for _ in range(3):
        assert await ask(lsp, "file:///p/a.py") == []
    assert len(told(lsp, "cannot reach", "a..invalid")) == 1
    assert len(lsp.messages) == 1
    assert fake.requests == []


async def typing_session(client: LanguageClient, fake: FakeFim) -> AsyncIterator[None]:
    """A client with the default pace and deadlines, as a user's editor has them."""
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(CLIENTS[0]), initialization_options=init_options(fake)
        )
    )
    yield
    await client.shutdown_session()


@pytest_lsp.fixture(config=SERVER)
async def typist(lsp_client: LanguageClient, fake: FakeFim) -> AsyncIterator[None]:
    """A client with the default pace and deadlines, as a user's editor has them."""
    async for ready in typing_session(lsp_client, fake):
        yield ready


# The benchmark's baseline: a stream per keystroke, stopped as unwatched and then superseded,
# so it was cancelled twice, the second time inside httpcore's clean-up of the first.
NAIVE_SERVER = ClientServerConfig(
    server_command=SERVER.server_command, server_env=server_env(CODESTRAL_LSP_NAIVE="1")
)


@pytest_lsp.fixture(config=NAIVE_SERVER)
async def naive_typist(lsp_client: LanguageClient, fake: FakeFim) -> AsyncIterator[None]:
    """The typist's client, against the server's naive mode."""
    async for ready in typing_session(lsp_client, fake):
        yield ready


async def test_streams_dropped_mid_typing_give_their_connections_back(
    typist: LanguageClient, fake: FakeFim
) -> None:
    """Typing faster than a slow upstream answers drops stream after stream (each keystroke
    cancels the previous request); every dropped stream's connection must return to the pool,
    or after the pool's eight the server never reaches the upstream again."""
    await type_fast_then_ask(typist, fake)


async def test_naive_streams_dropped_mid_typing_give_their_connections_back(
    naive_typist: LanguageClient, fake: FakeFim
) -> None:
    await type_fast_then_ask(naive_typist, fake)


async def type_fast_then_ask(typist: LanguageClient, fake: FakeFim) -> None:
    """Type 40 keys faster than the upstream answers, then ask once more."""
    fake.answer = Reply(text="compute(x, y)", delay=0.4)
    uri = "file:///p/typing.py"
    open_doc(typist, uri, "y = \n")
    line, pending = "y = ", None
    typed: list[asyncio.Future[object]] = []
    for version, char in enumerate("abcdefgh" * 5, start=2):
        typist.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(
                            start=types.Position(line=0, character=len(line)),
                            end=types.Position(line=0, character=len(line)),
                        ),
                        text=char,
                    )
                ],
            )
        )
        line += char
        if pending is not None:
            typist.cancel_request(types.CancelParams(id=pending))
        pending = 10_000 + version
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=0, character=len(line)),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Automatic
            ),
        )
        typed.append(
            asyncio.ensure_future(
                typist.protocol.send_request_async(
                    types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=pending
                )
            )
        )
        await asyncio.sleep(0.12)
    await asyncio.wait_for(asyncio.gather(*typed, return_exceptions=True), 20)
    await asyncio.sleep(1)

    fake.answer = Reply(text="total")
    typist.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=100),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="z = \n")],
        )
    )
    got = await asyncio.wait_for(inline(typist, uri, 0, 4), 20)
    assert [insert_text(item) for item in got] == ["total"]
    assert not [m.message for m in typist.messages if "PoolTimeout" in m.message]


async def test_an_unrelated_settings_change_does_not_repeat_what_was_told(
    lsp: LanguageClient, fake: FakeFim
) -> None:
    fake.answer = Reply(status=500, body='{"message":"down"}')
    open_doc(lsp, "file:///p/down.py", "x = \n")
    assert await ask(lsp, "file:///p/down.py") == []
    lsp.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"codestral": {"maxTokens": 32}})
    )
    await asyncio.sleep(0.3)
    assert await ask(lsp, "file:///p/down.py") == []
    assert len(told(lsp, "HTTP 500")) == 1


async def test_an_invoked_request_waits_for_a_first_token_past_the_automatic_deadline(
    typist: LanguageClient, fake: FakeFim
) -> None:
    # A local model loading (Ollama, llama.cpp on a CPU) answers its first request late: an
    # invoked request waits up to its 15 s deadline, the reads included (they gave up at 5 s,
    # then once more, and the user was told the endpoint did not answer in time).
    fake.answer = Reply(text="a + b", delay=6.0)
    open_doc(typist, "file:///p/cold.py", "x = \n")
    assert await ask(typist, "file:///p/cold.py") == ["a + b"]
    assert len(fake.requests) == 1
    assert not told(typist, "in time")


async def test_an_endpoint_ignoring_max_tokens_still_gives_its_first_line(
    lsp: LanguageClient, fake: FakeFim
) -> None:
    # One character per event, far past any max_tokens: the suggestion is what fits (its
    # torn last line left out), that stream's connection is closed, and the next request works.
    fake.answer = Reply(text="total = a + b\n" + "y" * 20_000, chunk_chars=1)
    uri = "file:///p/long.py"
    open_doc(lsp, uri, "def f(a, b):\n    \n")

    items = await asyncio.wait_for(inline(lsp, uri, 1, 4), BOUND_S)

    assert [insert_text(i) for i in items] == ["total = a + b"]
    assert fake.wait_for(lambda: fake.disconnects == 1)
    fake.answer = Reply(text="whole")
    open_doc(lsp, "file:///p/next.py", "x = \n")
    items = await asyncio.wait_for(inline(lsp, "file:///p/next.py", 0, 4), BOUND_S)
    assert [insert_text(i) for i in items] == ["whole"]
