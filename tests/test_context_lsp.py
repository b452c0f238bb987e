"""End to end: the server sends the file-path header and snippets of the other open documents,
most recently edited first, never from excluded files; and it replaces auto-closed punctuation
through the item's range."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from conftest import change
from fake_fim import FakeFim, Received, Reply
from lsprotocol import types
from pytest_lsp import LanguageClient

HELPER = "".join(f"def helper_{i}(value):\n    return value * {i}\n\n" for i in range(30))
NOTES = "".join(f"NOTE_{i} = 'remember {i}'\n" for i in range(30))
SECRET = "".join(f"API_TOKEN_{i}=sk-live-{i:04d}\n" for i in range(30))


@pytest.fixture
def client(bare: LanguageClient) -> LanguageClient:
    """The client each test initialises itself (conftest's ``bare``)."""
    return bare


async def start(client: LanguageClient, fake: FakeFim, root: Path) -> None:
    await client.initialize_session(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="w")],
            initialization_options={
                "codestral": {"provider": "mistral", "baseUrl": fake.url, "apiKey": "test-key"}
            },
        )
    )


def open_doc(client: LanguageClient, path: Path, text: str) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text
            )
        )
    )
    return uri


async def invoke(
    client: LanguageClient, uri: str, line: int, character: int, invoked: bool = True
) -> Any:
    kind = types.InlineCompletionTriggerKind
    return await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
            context=types.InlineCompletionContext(
                trigger_kind=kind.Invoked if invoked else kind.Automatic
            ),
        )
    )


# A space in the path: the editor's uris are percent-encoded (my%20project), as are all of
# VS Code's on Windows (file:///c%3A/...).
@pytest.mark.parametrize("folder", ["work", "my project"])
async def test_prompt_has_header_and_recent_documents_but_no_excluded(
    client: LanguageClient, tmp_path: Path, folder: str
) -> None:
    root = tmp_path / folder
    with FakeFim(Reply(text="helper_1(3)")) as fake:
        await start(client, fake, root)
        (root / "pkg").mkdir(parents=True)
        open_doc(client, root / "notes.py", NOTES)
        open_doc(client, root / ".env", SECRET)
        helper = open_doc(client, root / "pkg" / "helper.py", HELPER)
        main = open_doc(client, root / "pkg" / "main.py", "x = \n")
        change(client, helper, 2, (0, 0), (0, 0), "# edited\n")
        result = await invoke(client, main, 0, 4)
        assert result.items[0].insert_text == "helper_1(3)"
        body = fake.requests[-1].body
        prompt = body["prompt"]
        assert "sk-live" not in prompt and ".env" not in prompt
        marks = [line for line in prompt.split("\n") if line.startswith("+++++ ")]
        assert marks == ["+++++ pkg/helper.py", "+++++ notes.py", "+++++ pkg/main.py"]
        assert "# edited\ndef helper_0(value):" in prompt
        assert prompt.endswith("+++++ pkg/main.py\nx = ")
        assert "\n+++++ " in body["stop"]


async def test_auto_closed_bracket_is_replaced_through_the_range(
    client: LanguageClient, tmp_path: Path
) -> None:
    with FakeFim(Reply(text="total)")) as fake:
        await start(client, fake, tmp_path)
        main = open_doc(client, tmp_path / "main.py", "total = 1\nprint()\n")
        result = await invoke(client, main, 1, 6)
        item = result.items[0]
        assert item.insert_text == "total)"
        assert item.range == types.Range(
            start=types.Position(line=1, character=6), end=types.Position(line=1, character=7)
        )


async def test_an_unsaved_buffer_is_named_with_its_language_extension(
    client: LanguageClient, tmp_path: Path
) -> None:
    with FakeFim(Reply(text="1")) as fake:
        await start(client, fake, tmp_path)
        uri = "untitled:Untitled-1"
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text="x = \n"
                )
            )
        )
        await invoke(client, uri, 0, 4)
        assert fake.requests[-1].body["prompt"] == "+++++ Untitled-1.py\nx = "


async def test_typing_in_another_window_does_not_end_typing_through(
    client: LanguageClient, tmp_path: Path
) -> None:
    """Each keystroke in one window changes the other's prompt (its snippet of this file); the
    suggestion being typed through there still continues its own document."""
    with FakeFim(Reply(text="helper_1(3)")) as fake:
        await start(client, fake, tmp_path)
        notes = open_doc(client, tmp_path / "notes.py", NOTES)
        main = open_doc(client, tmp_path / "main.py", HELPER + "x = \n")
        end = HELPER.count("\n")
        assert (await invoke(client, main, end, 4)).items[0].insert_text == "helper_1(3)"
        asked = len(fake.requests)
        for version, typed in enumerate(("he", "lp"), start=2):
            change(client, notes, version, (0, 0), (0, 0), "#")
            column = 4 + 2 * (version - 1)
            change(client, main, version, (end, column - 2), (end, column - 2), typed)
            result = await invoke(client, main, end, column, invoked=False)
            assert result.items[0].insert_text == "helper_1(3)"[column - 4 :]
        assert len(fake.requests) == asked

        # Back at the very spot answered, after another file changed: that prompt was not the
        # one answered, so it is asked.
        change(client, main, 4, (end, 4), (end, 8), "")
        change(client, notes, 4, (0, 0), (0, 0), "#")
        fake.answer = Reply(text="helper_2(4)")
        result = await invoke(client, main, end, 4, invoked=False)
        assert result.items[0].insert_text == "helper_2(4)"
        assert len(fake.requests) == asked + 1


async def test_a_close_spelling_the_uri_otherwise_ends_the_documents_work(
    client: LanguageClient, tmp_path: Path
) -> None:
    with FakeFim(Reply(hang=True)) as fake:
        await start(client, fake, tmp_path)
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"codestral": {"invokedCandidates": 1}})
        )
        encoded = open_doc(client, tmp_path / "my notes.py", "x = \n")
        assert "%20" in encoded
        pending = asyncio.ensure_future(invoke(client, encoded, 0, 4))
        assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.requests) == 1)
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri=encoded.replace("%20", " "))
            )
        )
        # At once, not at the 15 s deadline of an invoked request.
        assert not (await asyncio.wait_for(pending, 5)).items
        assert await asyncio.to_thread(fake.wait_for, lambda: fake.disconnects == 1)


def extras_hang(received: Received) -> Reply:
    """The request's own call answers; its extra candidates (a seed each) never do."""
    return Reply(hang=True) if "random_seed" in received.body else Reply(text="42")


async def test_an_invoked_answer_does_not_wait_for_slow_extra_candidates(
    client: LanguageClient, tmp_path: Path
) -> None:
    with FakeFim(extras_hang) as fake:
        await start(client, fake, tmp_path)  # three candidates per invoked request
        uri = open_doc(client, tmp_path / "notes.py", "x = \n")
        # At once, not at the 15 s deadline of an invoked request.
        result = await asyncio.wait_for(invoke(client, uri, 0, 4), 5)
        assert [item.insert_text for item in result.items] == ["42"]
        assert sum("random_seed" in r.body for r in fake.requests) == 2
        assert await asyncio.to_thread(fake.wait_for, lambda: fake.disconnects == 2)


async def test_extra_candidates_leave_the_requests_own_call_its_slot(
    client: LanguageClient, tmp_path: Path
) -> None:
    """Another document's stream holds one of the two upstream slots; the extras must not
    take the other from the invoked request's own call."""

    def answer(received: Received) -> Reply:
        held = "random_seed" in received.body or "held" in str(received.body["prompt"])
        return Reply(hang=True) if held else Reply(text="42")

    with FakeFim(answer) as fake:
        await start(client, fake, tmp_path)
        other = open_doc(client, tmp_path / "other.py", "held = \n")
        busy = asyncio.ensure_future(invoke(client, other, 0, 7, invoked=False))
        assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.requests) == 1)
        uri = open_doc(client, tmp_path / "notes.py", "x = \n")
        result = await asyncio.wait_for(invoke(client, uri, 0, 4), 5)
        assert [item.insert_text for item in result.items] == ["42"]
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=other))
        )
        assert not (await asyncio.wait_for(busy, 5)).items


async def test_an_invoked_request_does_not_wait_on_a_silent_stream_behind_the_cursor(
    client: LanguageClient, tmp_path: Path
) -> None:
    """A slow endpoint has sent nothing yet for ``x = |``; the user types ``1`` and asks. The
    silent stream's answer may not continue ``x = 1``: the request asks afresh at once."""

    def answer(received: Received) -> Reply:
        behind = str(received.body["prompt"]).endswith("x = ")
        return Reply(hang=True) if behind else Reply(text="42")

    with FakeFim(answer) as fake:
        await start(client, fake, tmp_path)
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"codestral": {"invokedCandidates": 1}})
        )
        uri = open_doc(client, tmp_path / "notes.py", "x = \n")
        typing = asyncio.ensure_future(invoke(client, uri, 0, 4, invoked=False))
        assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.requests) == 1)
        change(client, uri, 2, (0, 4), (0, 4), "1")
        result = await asyncio.wait_for(invoke(client, uri, 0, 5), 5)
        assert [item.insert_text for item in result.items] == ["42"]
        typing.cancel()


async def test_an_endpoint_in_trouble_gets_no_extra_candidates_nor_second_tries(
    client: LanguageClient, tmp_path: Path
) -> None:
    with FakeFim(Reply(status=500, body='{"message":"down"}')) as fake:
        await start(client, fake, tmp_path)
        uri = open_doc(client, tmp_path / "notes.py", "x = \n")
        assert not (await invoke(client, uri, 0, 4)).items
        first = len(fake.requests)  # its own call, a second try, two extras
        for _ in range(3):
            assert not (await invoke(client, uri, 0, 4)).items
        assert len(fake.requests) == first + 3


async def test_a_close_ends_an_invoked_requests_extra_candidates_too(
    client: LanguageClient, tmp_path: Path
) -> None:
    with FakeFim(Reply(hang=True)) as fake:
        await start(client, fake, tmp_path)  # three candidates per invoked request
        uri = open_doc(client, tmp_path / "notes.py", "x = \n")
        pending = asyncio.ensure_future(invoke(client, uri, 0, 4))
        # All three at once: the extras have upstream slots of their own.
        assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.requests) == 3)
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        # At once, not at the 15 s deadline of an invoked request.
        assert not (await asyncio.wait_for(pending, 5)).items
        assert await asyncio.to_thread(fake.wait_for, lambda: fake.disconnects == 3)
        assert len(fake.requests) == 3
