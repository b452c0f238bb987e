"""The engine over real LSP (pytest-lsp, server as a subprocess) against a real HTTP fake.

Behaviour only: whether a request went upstream, what came back, whether the fake saw the
stream closed. No assertion looks at a clock: where a test needs a stream to still be open it
makes the fake hold it open until the test says so.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_lsp
from conftest import change, inline, insert_text, open_doc, position_in
from fake_fim import FakeFim, Received, Reply, keystroke_requests, keystrokes_answered
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from codestral_lsp.engine import STALE_SILENT_CHARS

URI = "file:///work/demo.py"
TEXT = "def add(a, b):\n    "
END = types.Position(line=1, character=4)

CONFIG = ClientServerConfig(
    server_command=[sys.executable, "-m", "codestral_lsp"],
    server_env={**os.environ, "CODESTRAL_API_KEY": "test-key-123456"},
)
NAIVE_CONFIG = ClientServerConfig(
    server_command=[sys.executable, "-m", "codestral_lsp"],
    server_env={**os.environ, "CODESTRAL_API_KEY": "test-key-123456", "CODESTRAL_LSP_NAIVE": "1"},
)


@pytest.fixture
def fake() -> Iterator[FakeFim]:
    with FakeFim(Reply(text="return a + b\n")) as server:
        yield server


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, fake: FakeFim) -> AsyncIterator[LanguageClient]:
    async for ready in _session(lsp_client, fake):
        yield ready


@pytest_lsp.fixture(config=NAIVE_CONFIG)
async def naive(lsp_client: LanguageClient, fake: FakeFim) -> AsyncIterator[LanguageClient]:
    async for ready in _session(lsp_client, fake):
        yield ready


async def _session(lsp_client: LanguageClient, fake: FakeFim) -> AsyncIterator[LanguageClient]:
    caps = pytest_lsp.client_capabilities("neovim@v0.11.0")
    assert caps.text_document is not None
    caps.text_document.inline_completion = types.InlineCompletionClientCapabilities()
    # One candidate per request: these tests count upstream requests.
    settings = {
        "baseUrl": fake.url,
        "allowInsecureHttp": True,
        "debounceMs": 0,
        "invokedCandidates": 1,
    }
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=caps, initialization_options={"codestral": settings})
    )
    lsp_client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=URI, language_id="python", version=1, text=TEXT
            )
        )
    )
    yield lsp_client
    await lsp_client.shutdown_session()


class Doc:
    """The client's view of the open document: applies edits and sends them incrementally."""

    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.lines = TEXT.split("\n")
        self.version = 1

    @property
    def cursor(self) -> types.Position:
        return types.Position(line=len(self.lines) - 1, character=len(self.lines[-1]))

    def type(self, text: str) -> None:
        """Insert ``text`` (one line) at the end of the document."""
        self.replace(self.cursor, self.cursor, text)

    def replace(self, start: types.Position, end: types.Position, text: str) -> None:
        line = self.lines[start.line]
        assert start.line == end.line and "\n" not in text
        self.lines[start.line] = line[: start.character] + text + line[end.character :]
        self.version += 1
        at, to = (start.line, start.character), (end.line, end.character)
        change(self.client, URI, self.version, at, to, text)

    async def synced(self) -> None:
        """Wait until the server has read everything sent so far (a request round trip)."""
        with pytest.raises(Exception, match="sync"):
            await self.client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="codestral.test.sync")
            )

    async def suggest(self, invoked: bool = False) -> str:
        kind = types.InlineCompletionTriggerKind
        result = await self.client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=URI),
                position=self.cursor,
                context=types.InlineCompletionContext(
                    trigger_kind=kind.Invoked if invoked else kind.Automatic
                ),
            )
        )
        assert isinstance(result, types.InlineCompletionList)
        if not result.items:
            return ""
        text = result.items[0].insert_text
        assert isinstance(text, str)
        return text


async def test_typing_through_returns_the_rest_without_a_request(
    client: LanguageClient, fake: FakeFim
) -> None:
    doc = Doc(client)
    assert await doc.suggest() == "return a + b"
    assert len(fake.requests) == 1
    body = fake.requests[0].body
    assert prompts(fake) == [TEXT] and body["stream"] is True
    assert str(body["prompt_cache_key"]).startswith("codestral-lsp-")
    for typed, rest in [("r", "eturn a + b"), ("et", "urn a + b"), ("urn a", " + b")]:
        doc.type(typed)
        assert await doc.suggest() == rest
    assert prompts(fake) == [TEXT]


def prompts(fake: FakeFim) -> list[str]:
    """The prompts the fake received, without the multi-file header naming the file."""
    return [str(r.body["prompt"]).removeprefix("+++++ work/demo.py\n") for r in fake.requests]


async def test_backspace_and_divergence_invalidate(client: LanguageClient, fake: FakeFim) -> None:
    doc = Doc(client)
    assert await doc.suggest() == "return a + b"
    doc.type("ret")
    assert await doc.suggest() == "urn a + b"
    # Backspace over the cursor's own typing still continues the suggestion.
    doc.replace(types.Position(line=1, character=6), types.Position(line=1, character=7), "")
    assert await doc.suggest() == "turn a + b"
    assert prompts(fake) == [TEXT]
    # Typing something the suggestion does not contain needs a new answer.
    fake.answer = Reply(text="x = 1\n")
    doc.type("X")
    assert await doc.suggest() == "x = 1"
    assert prompts(fake) == [TEXT, "def add(a, b):\n    reX"]


async def test_edit_elsewhere_invalidates(client: LanguageClient, fake: FakeFim) -> None:
    doc = Doc(client)
    assert await doc.suggest() == "return a + b"
    # Rename a parameter on the line above: the prompt changed, the old answer may not be reused.
    fake.answer = Reply(text="return x + b\n")
    doc.replace(types.Position(line=0, character=8), types.Position(line=0, character=9), "x")
    assert await doc.suggest() == "return x + b"
    assert len(fake.requests) == 2
    assert prompts(fake)[1] == "def add(x, b):\n    "


async def test_cursor_jump_invalidates(client: LanguageClient, fake: FakeFim) -> None:
    doc = Doc(client)
    assert await doc.suggest() == "return a + b"
    fake.answer = Reply(text="-> int")
    kind = types.InlineCompletionTriggerKind
    result = await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            position=types.Position(line=0, character=13),
            context=types.InlineCompletionContext(trigger_kind=kind.Automatic),
        )
    )
    assert result is not None and len(fake.requests) == 2
    assert prompts(fake)[1] == "def add(a, b)"


async def typed_during_first_answer(
    client: LanguageClient, fake: FakeFim, first_answer: str
) -> tuple[str, str]:
    """Ask, type "re" while the answer (``first_answer``, then ``turn a + b``) is held back,
    ask again, release it: the two suggestions."""
    gate = threading.Event()

    def answer(received: Received) -> Reply:
        if len(fake.requests) > 1:
            return Reply(text="turn a + b\n")
        gate.wait(10)
        return Reply(text=first_answer)

    fake.answer = answer
    doc = Doc(client)
    first = asyncio.ensure_future(doc.suggest())
    assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.requests) == 1)
    doc.type("re")
    await doc.synced()
    second = asyncio.ensure_future(doc.suggest())
    await doc.synced()
    gate.set()
    return await first, await second


async def test_attaches_to_a_live_stream(client: LanguageClient, fake: FakeFim) -> None:
    # The user types on while the answer is still on its way: the new request joins the stream.
    first, second = await typed_during_first_answer(client, fake, "return a + b\n")
    assert second == "turn a + b"
    # The first request belongs to an older document version: the stale guard empties it.
    assert first == ""
    assert prompts(fake) == [TEXT]


async def test_the_tiny_rest_of_a_streaming_block_line_is_shown(
    client: LanguageClient, fake: FakeFim
) -> None:
    # A C comment block streams its first line, the rest held back. Typed into, what is left
    # of that line ("**") is shown as the rest of a suggestion, as it is once the stream has
    # ended, not dropped as a whole answer too small to show.
    uri = "file:///work/fault.h"
    open_doc(client, uri, "struct fault {\n\tint addr;\n};\n\n", language="c")
    fake.answer = Reply(text="/**\n * A fault.\n */\n", chunk_chars=6, chunk_delay=30)
    assert [insert_text(i) for i in await inline(client, uri, 4, 0, invoked=False)] == ["/**"]
    change(client, uri, 2, (4, 0), (4, 0), "/")
    assert [insert_text(i) for i in await inline(client, uri, 4, 1, invoked=False)] == ["**"]
    assert len(fake.requests) == 1


async def test_a_stream_that_goes_another_way_is_replaced_at_once(
    client: LanguageClient, fake: FakeFim
) -> None:
    # The answer the second request joined does not continue "re": that request asks again, so
    # a user who stopped typing there still gets a suggestion.
    first, second = await typed_during_first_answer(client, fake, "pass\n")
    assert second == "turn a + b"
    assert first == ""
    assert prompts(fake) == [TEXT, TEXT + "re"]


async def test_every_request_on_a_stream_that_goes_another_way_answers_at_once(
    client: LanguageClient, fake: FakeFim
) -> None:
    """Requests an editor never cancelled all joined one stream; it goes another way, and each
    asks again at once, the later superseding the earlier before its call even started. None
    may wait out its deadline, and then report the endpoint slow."""
    gate = threading.Event()

    def answer(received: Received) -> Reply:
        if len(fake.requests) > 1:
            return Reply(text="urn a + b\n")
        gate.wait(10)
        return Reply(text="pass\n")

    fake.answer = answer
    doc = Doc(client)
    waiting = [asyncio.ensure_future(doc.suggest())]
    assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.requests) == 1)
    for char in "ret":
        doc.type(char)
        waiting.append(asyncio.ensure_future(doc.suggest()))
        await doc.synced()
    gate.set()

    answers = await asyncio.gather(*waiting)
    assert answers[-1] == "urn a + b"
    assert not [m.message for m in client.messages if "slow or stalled" in m.message]


def reopen(client: LanguageClient) -> None:
    """Close the document and open it again: editors start a new buffer at version 1 again,
    so only the document itself tells the two apart."""
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=URI))
    )
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=URI, language_id="python", version=1, text="    x\n"
            )
        )
    )


async def test_a_suggestion_never_reaches_a_document_reopened_under_its_uri(
    client: LanguageClient, fake: FakeFim
) -> None:
    gate = threading.Event()

    def answer(received: Received) -> Reply:
        gate.wait(10)
        return Reply()

    fake.answer = answer
    doc = Doc(client)
    pending = asyncio.ensure_future(doc.suggest())
    assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.requests) == 1)
    reopen(client)
    await doc.synced()
    gate.set()
    assert await pending == ""


async def test_a_closed_documents_prompt_is_not_sent_after_its_debounce(
    client: LanguageClient, fake: FakeFim
) -> None:
    # The debounce only has to outlast one round trip; it is long so that a loaded machine
    # cannot let the request out before the close arrives.
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"codestral": {"debounceMs": 2000}})
    )
    doc = Doc(client)
    await doc.synced()
    pending = asyncio.ensure_future(doc.suggest())
    await doc.synced()
    reopen(client)
    assert await pending == ""
    assert fake.requests == []


@pytest.mark.parametrize("refusing", [{"exclude": ["demo.py"]}, {"enable": False}])
async def test_settings_that_refuse_the_file_stop_a_request_waiting_out_its_debounce(
    client: LanguageClient, fake: FakeFim, refusing: dict[str, object]
) -> None:
    # The file is excluded, or completions turned off, while its request waits out a long
    # debounce: the prompt must not go out when the pause ends, nor a suggestion come back.
    slow = {"debounceMs": 2000}
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"codestral": slow})
    )
    doc = Doc(client)
    await doc.synced()
    pending = asyncio.ensure_future(doc.suggest())
    await doc.synced()
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"codestral": {**slow, **refusing}})
    )
    assert await pending == ""
    assert await doc.suggest(invoked=True) == ""
    assert fake.requests == []


async def test_a_debounce_longer_than_the_timeout_still_asks_upstream(
    client: LanguageClient, fake: FakeFim
) -> None:
    # The pause is the user's, not the endpoint's: it does not use up timeoutMs.
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"codestral": {"debounceMs": 1500, "timeoutMs": 1000}}
        )
    )
    doc = Doc(client)
    await doc.synced()
    assert await doc.suggest() == "return a + b"
    assert len(fake.requests) == 1
    assert not [m for m in client.messages if "gave no suggestion" in m.message]


async def test_cancellation_closes_the_upstream_stream(
    client: LanguageClient, fake: FakeFim
) -> None:
    fake.answer = Reply(hang=True)
    doc = Doc(client)
    params = types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=URI),
        position=doc.cursor,
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Invoked
        ),
    )
    pending = asyncio.ensure_future(
        client.protocol.send_request_async(types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=77)
    )
    assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.requests) == 1)
    client.cancel_request(types.CancelParams(id=77))
    with pytest.raises(Exception, match="cancel"):
        await pending
    # Nobody waits for the stream any more: the server hangs up on the fake.
    assert await asyncio.to_thread(fake.wait_for, lambda: fake.disconnects == 1)


async def test_stale_answer_is_never_returned(client: LanguageClient, fake: FakeFim) -> None:
    gate = threading.Event()

    def answer(received: Received) -> Reply:
        gate.wait(10)
        return Reply(text="return a + b\n")

    fake.answer = answer
    doc = Doc(client)
    pending = asyncio.ensure_future(doc.suggest(invoked=True))
    assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.requests) == 1)
    # An edit the suggestion does not continue arrives before the answer.
    doc.type("pass")
    await doc.synced()
    gate.set()
    assert await pending == ""


async def test_naive_mode_asks_upstream_for_every_request(
    naive: LanguageClient, fake: FakeFim
) -> None:
    doc = Doc(naive)
    assert await doc.suggest() == "return a + b"
    fake.answer = Reply(text="eturn a + b\n")
    doc.type("r")
    assert await doc.suggest() == "eturn a + b"
    assert prompts(fake) == [TEXT, TEXT + "r"]


async def test_the_next_line_is_asked_for_while_the_last_word_is_typed(
    client: LanguageClient, fake: FakeFim
) -> None:
    line = "total = a + base_value"

    def answer(received: Received) -> Reply:
        if len(fake.requests) == 1:
            return Reply(text=line + "\n")
        return Reply(text="\n    return total\n", chunk_chars=64)

    fake.answer = answer
    doc = Doc(client)
    assert await doc.suggest() == line
    # Into the last word: what follows the line is asked for now, at the line's end.
    doc.type("total = a + ba")
    assert (await doc.suggest()).startswith("se_value")
    assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.requests) == 2)
    assert prompts(fake)[1] == TEXT + line
    # Once it is in, it is shown after the rest of the line, as one suggestion.
    doc.type("s")
    shown = await doc.suggest()
    for _ in range(100):
        if shown != "e_value":
            break
        await asyncio.sleep(0.02)
        shown = await doc.suggest()
    assert shown == "e_value\n    return total"
    # At the line's end it is the suggestion, with no request of its own.
    doc.type("e_value")
    assert await doc.suggest() == "\n    return total"
    assert len(fake.requests) == 2


async def test_a_next_line_asked_for_that_nobody_comes_to_is_closed(
    client: LanguageClient, fake: FakeFim
) -> None:
    """The stream asked ahead has no waiter until the line's end; a user who goes elsewhere
    never comes, and it would hold one of the two upstream slots other documents need."""
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"codestral": {"timeoutMs": 30000}})
    )
    line = "total = a + base_value"

    def answer(received: Received) -> Reply:
        return Reply(text=line + "\n") if len(fake.requests) == 1 else Reply(hang=True)

    fake.answer = answer
    doc = Doc(client)
    await doc.synced()
    assert await doc.suggest() == line
    doc.type("total = a + ba")
    assert (await doc.suggest()).startswith("se_value")
    assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.requests) == 2)
    # Against the 30 s its read may last: closed once typing the word would have taken.
    assert await asyncio.to_thread(fake.wait_for, lambda: fake.disconnects == 1, 15)


async def test_a_next_line_asked_for_outlives_a_pause_in_typing_toward_it(
    client: LanguageClient, fake: FakeFim
) -> None:
    """Each key typed toward the line's end says the stream asked ahead is still wanted until
    the rest is typed; it used to mean "wanted now", so a pause of a linger (0.25 s) in the
    middle of a long last word closed it, and the line's end asked again."""
    line = "total = a + combined_length_of_every_value_seen"
    gate = threading.Event()

    def answer(received: Received) -> Reply:
        if len(fake.requests) == 1:
            return Reply(text=line + "\n")
        gate.wait(10)
        return Reply(text="\n    return total\n")

    fake.answer = answer
    doc = Doc(client)
    assert await doc.suggest() == line
    doc.type("total = a + co")
    assert (await doc.suggest()).startswith("mbined")
    assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.requests) == 2)
    doc.type("m")
    assert (await doc.suggest()).startswith("bined")
    await asyncio.sleep(0.6)  # a pause, far shorter than typing the 32 characters left
    gate.set()
    doc.type(line[len("total = a + com") :])
    shown = await doc.suggest()
    for _ in range(100):
        if shown:
            break
        await asyncio.sleep(0.02)
        shown = await doc.suggest()
    assert shown == "\n    return total"
    assert fake.disconnects == 0
    assert len(fake.requests) == 2


async def test_a_stream_cut_off_by_new_settings_shows_nothing_of_it(
    client: LanguageClient, fake: FakeFim
) -> None:
    # The first piece arrives at once, the rest never before the stream is closed.
    fake.answer = Reply(text="compute_total(first, second)\n", chunk_chars=12, chunk_delay=30)
    doc = Doc(client)
    pending = asyncio.ensure_future(doc.suggest())
    assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.requests) == 1)
    await asyncio.sleep(0.3)  # the first piece is in
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"codestral": {"maxTokens": 50}})
    )
    assert await pending == ""  # not "compute_tota"
    assert await asyncio.to_thread(fake.wait_for, lambda: fake.disconnects == 1)


async def test_nothing_is_asked_ahead_before_the_last_word(
    client: LanguageClient, fake: FakeFim
) -> None:
    # "return a + b": after "return a" more than the end of one word is left to confirm.
    doc = Doc(client)
    assert await doc.suggest() == "return a + b"
    for typed in ("ret", "urn", " a", " + "):
        doc.type(typed)
        await doc.suggest()
    assert len(fake.requests) == 1


async def test_an_empty_answer_is_not_asked_for_twice(
    client: LanguageClient, fake: FakeFim
) -> None:
    fake.answer = Reply(text="")
    doc = Doc(client)
    assert await doc.suggest() == ""
    assert await doc.suggest() == ""
    assert len(fake.requests) == 1
    # Asked for explicitly, it is asked again (and the model must say something).
    await doc.suggest(invoked=True)
    assert len(fake.requests) == 2 and fake.requests[1].body["min_tokens"] == 1


async def test_a_completion_menu_request_is_automatic_whatever_its_trigger_kind(
    client: LanguageClient, fake: FakeFim
) -> None:
    # Completion menus send "Invoked" for every identifier typed (LSP: "triggered by typing an
    # identifier ... or manual invocation"), so it does not force an answer or re-ask.
    fake.answer = Reply(text="")
    doc = Doc(client)
    for _ in range(2):
        result = await client.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=URI),
                position=doc.cursor,
                context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked),
            )
        )
        assert isinstance(result, types.CompletionList) and not result.items
    assert len(fake.requests) == 1
    assert "min_tokens" not in fake.requests[0].body


async def test_typing_through_a_line_break_in_a_crlf_document(
    client: LanguageClient, fake: FakeFim
) -> None:
    uri = "file:///work/crlf.py"
    open_doc(client, uri, "def add(a, b):\r\n    ")
    fake.answer = Reply(text="total = a + b\n    return total\n")
    first = await inline(client, uri, 1, 4, invoked=False)
    assert first[0].insert_text == "total = a + b\n    return total"
    # The editor inserts the suggestion's first line with the document's own line break.
    change(client, uri, 2, (1, 4), (1, 4), "total = a + b\r\n    ")
    rest = await inline(client, uri, 2, 4, invoked=False)
    assert rest[0].insert_text == "return total"
    assert len(fake.requests) == 1


async def test_a_silent_stream_far_behind_the_cursor_is_not_waited_on(
    client: LanguageClient, fake: FakeFim
) -> None:
    """Against a slow upstream, a stream that has sent nothing while the user typed a word past
    its prompt is replaced by one for the cursor, not waited on."""
    fake.answer = Reply(text="x", delay=3.0)
    doc = Doc(client)
    waiting = await typed_with_requests(doc, "totalcountofitems")
    # Well before the first answer's 3 s; polled, as a loaded machine may lag the keystrokes.
    assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.requests) >= 2, 2.0)
    typed = [p.removeprefix(TEXT) for p in prompts(fake)]
    assert len(typed[1]) - len(typed[0]) >= STALE_SILENT_CHARS
    await answered_once_closed(client, waiting)


async def test_a_stream_stalled_after_a_few_words_is_not_waited_on(
    client: LanguageClient, fake: FakeFim
) -> None:
    """A stream that sent a few characters and then stalled, while the user typed a word past
    them, is replaced by one for the cursor: joined, every keystroke would wait on it until
    the read timeout."""
    answers = iter([Reply(text="math.pi * radius ** 2", chunk_chars=8, chunk_delay=30.0)])
    fake.answer = lambda received: next(answers, Reply(text="x"))
    doc = Doc(client)
    first = asyncio.ensure_future(doc.suggest())
    assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.requests) == 1, 5.0)
    await asyncio.sleep(0.2)  # the first chunk is in
    waiting = await typed_with_requests(doc, "math.pi * radius ** 2")
    # Well before the stall's 30 s; polled, as a loaded machine may lag the keystrokes.
    assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.requests) >= 2, 3.0)
    typed = [p.removeprefix(TEXT) for p in prompts(fake)]
    assert len(typed[1]) - len("math.pi ") >= STALE_SILENT_CHARS
    await answered_once_closed(client, [first, *waiting])


async def typed_with_requests(doc: Doc, text: str) -> list[asyncio.Future[str]]:
    """Type ``text`` a key every 30 ms, with an automatic request at each key."""
    waiting = []
    for char in text:
        doc.type(char)
        waiting.append(asyncio.ensure_future(doc.suggest()))
        await asyncio.sleep(0.03)
    await doc.synced()
    return waiting


async def answered_once_closed(client: LanguageClient, waiting: list[asyncio.Future[str]]) -> None:
    """Close the document: its requests still waiting answer at once, empty."""
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=URI))
    )
    await asyncio.wait_for(asyncio.gather(*waiting), 5)


async def test_a_suggestion_taken_up_to_its_closing_line_break_asks_for_what_follows(
    client: LanguageClient, fake: FakeFim
) -> None:
    """Lines written between ``{`` and the ``}`` after the cursor end with a line break that
    puts the ``}`` on a line of its own. A user who accepts the lines and stops before that
    break has taken the whole suggestion: the next request asks for what follows, at once."""
    uri = "file:///work/app.js"
    open_doc(client, uri, "function f() {}", "javascript")
    fake.answer = Reply(text="\n  const total = 1;\n")
    first = await inline(client, uri, 0, 14, invoked=False)
    assert first[0].insert_text == "\n  const total = 1;\n"
    # The editor's "accept line" inserts the lines, not the break in front of the "}".
    change(client, uri, 2, (0, 14), (0, 14), "\n  const total = 1;")
    fake.answer = Reply(text="\n  return total;")
    after = await inline(client, uri, 1, 18, invoked=False)
    assert [insert_text(item) for item in after] == ["\n  return total;\n"]
    assert len(fake.requests) == 2
    assert str(fake.requests[1].body["prompt"]).endswith("const total = 1;")


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
async def test_typing_past_a_suggestion_along_its_answer_asks_nothing(
    client: LanguageClient, fake: FakeFim, eol: str
) -> None:
    """The answer went on past what the rules showed (a blank line, then the next function).
    A user who types on along it, blank lines and all, is shown the rest at once: a request
    at the new cursor would send the prompt that answer already went on from."""
    uri = "file:///work/shapes.py"
    open_doc(client, uri, f"def area(r):{eol}    ")
    fake.answer = Reply(
        text="return 3.14 * r * r\n\n\ndef perimeter(r):\n    return 2 * 3.14 * r\n",
        chunk_chars=200,
    )
    first = await inline(client, uri, 1, 4, invoked=False)
    assert [insert_text(item) for item in first] == ["return 3.14 * r * r"]
    change(client, uri, 2, (1, 4), (1, 4), "return 3.14 * r * r" + eol * 3)
    after = await inline(client, uri, 4, 0, invoked=False)
    assert [insert_text(item) for item in after] == ["def perimeter(r):\n    return 2 * 3.14 * r"]
    # Typed on away from it, the cursor needs an answer of its own.
    change(client, uri, 3, (4, 0), (4, 0), "class")
    fake.answer = Reply(text=" Circle:\n")
    assert [insert_text(item) for item in await inline(client, uri, 4, 5, invoked=False)] == [
        " Circle:"
    ]
    assert len(fake.requests) == 2


@pytest.mark.parametrize(
    ("name", "before", "after", "answer", "typed", "rest"),
    [
        # A word of a block's first line taken: the rest is still the whole block.
        (
            "block.py",
            "def total(items):\n    ",
            "",
            "result = 0\n    for item in items:\n        result += item\n    return result\n",
            "result",
            " = 0\n    for item in items:\n        result += item\n    return result",
        ),
        # A line, then a word of the next: the block's last line stays.
        (
            "lines.py",
            "def total(items):\n    ",
            "",
            "result = 0\n    for item in items:\n        result += item\n    return result\n",
            "result = 0\n    for",
            " item in items:\n        result += item\n    return result",
        ),
        # Between braces: the rest keeps the line break that puts "}" on a line of its own.
        (
            "braces.js",
            "function f(a) {",
            "}\n",
            "\n  const b = a * 2;\n  return b;\n",
            "\n",
            "  const b = a * 2;\n  return b;\n",
        ),
        # Part of the indentation typed: the closer keeps its opener's indentation.
        ("call.js", "useEffect(() => {", "}, [id]);\n", "\n  load(id);\n", "\n ", " load(id);\n"),
        # Lines in front of code keep the break that pushes that code down.
        (
            "front.py",
            "def f(items):\n    ",
            "return total\n",
            "total = sum(items)\n    ",
            "total",
            " = sum(items)\n    ",
        ),
    ],
)
async def test_a_suggestion_taken_in_part_shows_the_rest_of_what_was_shown(
    client: LanguageClient,
    fake: FakeFim,
    name: str,
    before: str,
    after: str,
    answer: str,
    typed: str,
    rest: str,
) -> None:
    """Accept-word and accept-line insert part of a suggestion; the next request shows the rest
    as it was shown, not judged again from inside it (which cut the lines after the one being
    typed, and the line breaks that put the code after the cursor on a line of its own)."""
    uri = f"file:///work/{name}"
    language = "javascript" if name.endswith(".js") else "python"
    open_doc(client, uri, before + after, language)
    fake.answer = Reply(text=answer)
    at = position_in(before + typed + after)
    start, end = at(len(before)), at(len(before + typed))
    first = await inline(client, uri, start.line, start.character, invoked=False)
    assert insert_text(first[0]).startswith(typed + rest.rstrip())
    cursor = (start.line, start.character)
    change(client, uri, 2, cursor, cursor, typed)
    shown = await inline(client, uri, end.line, end.character, invoked=False)
    assert [insert_text(item) for item in shown] == [rest]
    assert len(fake.requests) == 1


async def test_typing_through_past_an_editors_bracket_pairing_asks_nothing_new(
    client: LanguageClient, fake: FakeFim
) -> None:
    """Typing ``(`` through a suggestion makes the editor put ``)`` after the cursor, and typing
    a closer or quote that is already there steps over it: the code after the cursor changes
    only by that pairing, so the suggestion goes on, replacing the closers it types itself."""
    uri = "file:///work/pairs.py"
    before = "def f(items):\n    "
    open_doc(client, uri, before + "\n    return 0\n")
    fake.answer = keystrokes_answered("print(len(items))\n", "print(len(items))")
    assert insert_text((await inline(client, uri, 1, 4, invoked=False))[0]) == "print(len(items))"
    # "print(" typed; the editor closed the "(".
    change(client, uri, 2, (1, 4), (1, 4), "print()")
    rest = await inline(client, uri, 1, 10, invoked=False)
    assert insert_text(rest[0]) == "len(items))"
    assert rest[0].range == types.Range(
        start=types.Position(line=1, character=10), end=types.Position(line=1, character=11)
    )
    # "len(items)" typed, its "(" closed by the editor, its ")" stepping over that closer.
    change(client, uri, 3, (1, 10), (1, 10), "len(items)")
    # What is left, ")", is the closer already there: nothing to show, nothing to ask.
    assert await inline(client, uri, 1, 20, invoked=False) == []
    assert len(keystroke_requests(fake, "print(len(items))")) == 1
    # A closer that was not typed for an opener is another edit: the suggestion is asked afresh.
    change(client, uri, 4, (1, 20), (1, 20), "]")
    await inline(client, uri, 1, 20, invoked=False)
    assert len(keystroke_requests(fake, "print(len(items))")) == 2


async def test_enter_between_braces_goes_on_with_the_suggestion(
    client: LanguageClient, fake: FakeFim
) -> None:
    """Enter between ``{`` and ``}`` puts the cursor on an indented line and the ``}`` on the
    line below it: the suggestion goes on there, without the line break it had for the ``}``."""
    uri = "file:///work/enter.js"
    open_doc(client, uri, "function f(a) {}\n", "javascript")
    fake.answer = Reply(text="\n  const b = a * 2;\n  return b;\n")
    first = await inline(client, uri, 0, 15, invoked=False)
    assert insert_text(first[0]) == "\n  const b = a * 2;\n  return b;\n"
    change(client, uri, 2, (0, 15), (0, 15), "\n  \n")
    rest = await inline(client, uri, 1, 2, invoked=False)
    assert [insert_text(item) for item in rest] == ["const b = a * 2;\n  return b;"]
    assert len(fake.requests) == 1


async def test_a_language_named_the_editors_way_gets_its_rules(
    client: LanguageClient, fake: FakeFim
) -> None:
    """Emacs's eglot calls C++ ``c++`` (its mode's name): the C++ rules still apply. After a
    whole ``#if``, the code of a fenced answer goes on the next line, as in a ``cpp`` file."""
    uri = "file:///work/guard.h"
    open_doc(client, uri, "#ifndef GUARD_H\n#define GUARD_H\n\n#if defined(__cplusplus)", "c++")
    fake.answer = Reply(text='```cpp\nextern "C" {\n```')
    items = await inline(client, uri, 3, 24)
    assert insert_text(items[0]) == '\nextern "C" {'
