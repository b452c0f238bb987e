"""End to end: the real server as a subprocess, a real HTTP endpoint on 127.0.0.1, real LSP."""

from __future__ import annotations

import asyncio

import pytest
from conftest import API_KEY, change, inline, insert_text, open_doc
from fake_fim import FakeFim, Reply
from lsprotocol import types
from pytest_lsp import LanguageClient

URI = "file:///work/project/calc.py"


async def test_inline_completion_sends_exact_prompt_and_suffix(
    client: LanguageClient, fake: FakeFim
) -> None:
    fake.answer = Reply(text="a + b")
    open_doc(client, URI, "def add(a, b):\n    return \n\nprint(add(1, 2))\n")

    items = await inline(client, URI, 1, 11)

    assert [insert_text(i) for i in items] == ["a + b"]
    assert items[0].range == types.Range(
        start=types.Position(line=1, character=11), end=types.Position(line=1, character=11)
    )
    body = fake.requests[0].body
    assert body["prompt"] == "+++++ project/calc.py\ndef add(a, b):\n    return "
    assert body["suffix"] == "\n\nprint(add(1, 2))\n"
    assert body["model"] == "codestral-latest"
    assert body["stream"] is True
    assert fake.requests[0].path == "/v1/fim/completions"
    assert fake.requests[0].headers["Authorization"] == f"Bearer {API_KEY}"
    assert None not in body.values()


async def test_completion_item_edit_starts_at_word_start(
    client: LanguageClient, fake: FakeFim
) -> None:
    fake.answer = Reply(text="urn a + b")
    open_doc(client, URI, "def add(a, b):\n    ret\n")

    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            position=types.Position(line=1, character=7),
        )
    )

    assert isinstance(result, types.CompletionList)
    assert result.is_incomplete is True
    (item,) = result.items
    assert item.label.startswith("ret")
    assert isinstance(item.text_edit, types.TextEdit)
    assert item.text_edit.range.start == types.Position(line=1, character=4)
    assert item.text_edit.range.end == types.Position(line=1, character=7)
    assert item.text_edit.new_text.startswith("return a + b")
    caps = client.capabilities
    assert caps is not None and caps.text_document is not None
    completion_caps = caps.text_document.completion
    snippets = bool(
        completion_caps
        and completion_caps.completion_item
        and completion_caps.completion_item.snippet_support
    )
    expected_format = (
        types.InsertTextFormat.Snippet if snippets else types.InsertTextFormat.PlainText
    )
    assert item.insert_text_format == expected_format


async def test_multiline_snippet_is_escaped(client: LanguageClient, fake: FakeFim) -> None:
    fake.answer = Reply(text='if x:\n        return f"${x}" \\ {y}')
    open_doc(client, URI, "def f(x):\n    \n")

    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            position=types.Position(line=1, character=4),
        )
    )

    assert isinstance(result, types.CompletionList)
    (item,) = result.items
    assert isinstance(item.text_edit, types.TextEdit)
    if item.insert_text_format == types.InsertTextFormat.Snippet:
        # Clients that do not honour insertTextMode asIs (Neovim) indent continuation lines by
        # the cursor line's indentation themselves, so it comes off for them.
        caps = client.capabilities
        assert caps and caps.text_document and caps.text_document.completion
        item_caps = caps.text_document.completion.completion_item
        indent = "        " if item_caps and item_caps.insert_text_mode_support else "    "
        assert item.text_edit.new_text == f'if x:\n{indent}return f"\\${{x\\}}" \\\\ {{y\\}}$0'
    else:
        assert item.text_edit.new_text == 'if x:\n        return f"${x}" \\ {y}'


async def test_prompt_split_at_utf16_position_after_emoji(
    client: LanguageClient, fake: FakeFim
) -> None:
    fake.answer = Reply(text="ok")
    open_doc(client, URI, 's = "😀é"; t = \n')
    # Column in the negotiated encoding: the emoji is 2 UTF-16 units, 4 UTF-8 bytes.
    caps = client.capabilities
    assert caps is not None
    encodings = (caps.general and caps.general.position_encodings) or ["utf-16"]
    column = {"utf-8": 18, "utf-16": 15, "utf-32": 14}[encodings[0]]

    await inline(client, URI, 0, column)

    assert fake.requests[0].body["prompt"] == '+++++ project/calc.py\ns = "😀é"; t = '
    assert fake.requests[0].body["suffix"] == "\n"


async def test_a_lone_surrogate_in_a_document_does_not_stop_completions(
    client: LanguageClient, fake: FakeFim
) -> None:
    # Half an emoji, as VS Code's JSON may carry from a JavaScript string: UTF-8 has no
    # encoding for it, and it used to fail every request whose prompt held it.
    fake.answer = Reply(text="ok")
    open_doc(client, URI, 's = "\ud83d"\nt = \n')

    assert [insert_text(i) for i in await inline(client, URI, 1, 4)] == ["ok"]
    assert fake.requests[0].body["prompt"].endswith('s = "\ufffd"\nt = ')
    assert not [m for m in client.log_messages if "failed" in m.message]


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
async def test_an_answer_is_cut_at_the_line_breaks_of_its_document(
    client: LanguageClient, fake: FakeFim, eol: str
) -> None:
    # A model answering a CR-only file (classic Mac OS) may break its lines with CR alone.
    fake.answer = Reply(text=f"2{eol}c = 3{eol}{eol}import os{eol}os.remove('/'){eol}")
    open_doc(client, URI, eol.join(["a = 1", "b = ", "", "print(a)", ""]))

    assert [insert_text(i) for i in await inline(client, URI, 1, 4)] == ["2"]


@pytest.mark.parametrize("eol", ["\r\n", "\r"], ids=["crlf", "cr"])
async def test_typing_through_a_line_break_of_the_documents_own_kind(
    client: LanguageClient, fake: FakeFim, eol: str
) -> None:
    fake.answer = Reply(text="total = a + b\n    return total\n")
    open_doc(client, URI, f"def add(a, b):{eol}    ")
    first = await inline(client, URI, 1, 4, invoked=False)
    assert [insert_text(i) for i in first] == ["total = a + b\n    return total"]

    change(client, URI, 2, (1, 4), (1, 4), f"total = a + b{eol}    ")
    rest = await inline(client, URI, 2, 4, invoked=False)
    assert [insert_text(i) for i in rest] == ["return total"]
    assert len(fake.requests) == 1


async def test_mid_line_gives_single_line_without_repeating_suffix(
    client: LanguageClient, fake: FakeFim
) -> None:
    fake.answer = Reply(text="a, b) + base\n    return total\n")
    open_doc(client, URI, "total = add() + base\n")

    items = await inline(client, URI, 0, 12)

    assert [insert_text(i) for i in items] == ["a, b"]


async def test_in_a_markdown_code_block_the_answer_is_judged_as_its_code(
    client: LanguageClient, fake: FakeFim
) -> None:
    # Judged as prose, the extra ``)`` would stay: Markdown pairs no brackets.
    fake.answer = Reply(text=".child({a: 'property'}))")
    readme = "file:///work/project/README.md"
    text = "Example:\n\n```js\npino()\n  \n  .info('hi')\n```\n\nIt's logged.\n"
    open_doc(client, readme, text, language="markdown")

    items = await inline(client, readme, 4, 2)

    assert [insert_text(i) for i in items] == [".child({a: 'property'})"]


async def test_whitespace_only_answer_gives_no_item(client: LanguageClient, fake: FakeFim) -> None:
    fake.answer = Reply(text="  \n\n ")
    open_doc(client, URI, "x = \n")

    assert await inline(client, URI, 0, 4) == []


async def test_cancel_request_closes_upstream_stream(client: LanguageClient, fake: FakeFim) -> None:
    fake.answer = Reply(text="x" * 400, chunk_chars=1, chunk_delay=0.05)
    open_doc(client, URI, "value = \n")
    params = types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=URI),
        position=types.Position(line=0, character=8),
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Invoked
        ),
    )
    task = asyncio.ensure_future(
        client.protocol.send_request_async(types.TEXT_DOCUMENT_INLINE_COMPLETION, params, 4242)
    )
    assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.requests) == 1)
    client.cancel_request(types.CancelParams(id=4242))

    with pytest.raises(Exception, match="cancel"):
        await task
    assert await asyncio.to_thread(fake.wait_for, lambda: fake.disconnects == 1)
    assert fake.completed == 0


async def test_auth_failure_told_once_and_no_more_calls(
    client: LanguageClient, fake: FakeFim
) -> None:
    fake.answer = Reply(status=401, body='{"message":"Unauthorized","request_id":"abc"}')
    open_doc(client, URI, "x = \n")

    assert await inline(client, URI, 0, 4) == []
    assert await inline(client, URI, 0, 4) == []
    assert await inline(client, URI, 0, 4) == []

    assert len(fake.requests) == 1
    auth = [m for m in client.messages if "CODESTRAL_API_KEY" in m.message]
    assert len(auth) == 1
    assert auth[0].type == types.MessageType.Error
    assert fake.url.split("//")[1].split("/")[0] in auth[0].message
    # The endpoint is the user's own baseUrl: no word of which Mistral host takes which key.
    assert 'a key this endpoint issued (provider "codestral")' in auth[0].message
    assert "api.mistral.ai" not in auth[0].message
    assert all(API_KEY not in m.message for m in client.messages + client.log_messages)


async def test_rate_limit_waits_for_retry_after(client: LanguageClient, fake: FakeFim) -> None:
    fake.answer = Reply(
        status=429, body='{"message":"Requests rate limit exceeded"}', headers={"Retry-After": "60"}
    )
    open_doc(client, URI, "x = \n")

    assert await inline(client, URI, 0, 4) == []
    fake.answer = Reply(text="1")
    assert await inline(client, URI, 0, 4) == []

    assert len(fake.requests) == 1
    assert len([m for m in client.messages if "rate limited" in m.message]) == 1


async def test_settings_change_at_runtime_switches_endpoint(
    client: LanguageClient, fake: FakeFim
) -> None:
    fake.answer = Reply(status=401, body='{"detail":"Unauthorized"}')
    open_doc(client, URI, "x = \n")
    assert await inline(client, URI, 0, 4) == []

    with FakeFim(Reply(text="42")) as other:
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(
                settings={"codestral": {"baseUrl": other.url, "apiKey": "sk-other-key-123456"}}
            )
        )
        await asyncio.sleep(0.2)
        items = await inline(client, URI, 0, 4)

        assert [insert_text(i) for i in items] == ["42"]
        assert other.requests[0].headers["Authorization"] == "Bearer sk-other-key-123456"


async def asked_again_after_push(
    client: LanguageClient, fake: FakeFim, later: str, **settings: object
) -> list[str]:
    """Complete at one spot (answer ``value``), push ``settings``, complete there again (the
    fake now answering ``later``, were it asked): the second suggestions."""
    fake.answer = Reply(text="value")
    open_doc(client, URI, "x = \n")
    assert [insert_text(i) for i in await inline(client, URI, 0, 4)] == ["value"]

    fake.answer = Reply(text=later)
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"codestral": {**settings, "baseUrl": fake.url}}
        )
    )
    await asyncio.sleep(0.2)
    return [insert_text(i) for i in await inline(client, URI, 0, 4, invoked=False)]


async def test_a_settings_change_keeping_the_endpoint_keeps_what_was_fetched(
    client: LanguageClient, fake: FakeFim
) -> None:
    assert await asked_again_after_push(client, fake, "value", debounceMs=10) == ["value"]
    assert len(fake.requests) == 1


async def test_a_settings_change_of_what_is_asked_asks_again(
    client: LanguageClient, fake: FakeFim
) -> None:
    texts = await asked_again_after_push(client, fake, "other", stop=["\n"], maxTokens=8)

    assert texts == ["other"]
    assert fake.requests[-1].body["max_tokens"] == 8


async def test_bad_setting_reported_once_and_server_keeps_serving(
    client: LanguageClient, fake: FakeFim
) -> None:
    for _ in range(2):
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(
                settings={"codestral": {"temperature": "hot", "baseUrl": fake.url}}
            )
        )
    fake.answer = Reply(text="done")
    open_doc(client, URI, "x = \n")
    await asyncio.sleep(0.2)

    assert [insert_text(i) for i in await inline(client, URI, 0, 4)] == ["done"]
    warnings = [m for m in client.messages if "temperature" in m.message]
    assert len(warnings) == 1
    assert "0 to 1.5" in warnings[0].message
    assert fake.requests[0].body["temperature"] == 0.0


async def test_upstream_error_gives_empty_result_not_rpc_error(
    client: LanguageClient, fake: FakeFim
) -> None:
    fake.answer = Reply(status=503, body="Service Unavailable")
    open_doc(client, URI, "x = \n")

    assert await inline(client, URI, 0, 4) == []
    fake.answer = Reply(text="5")
    assert [insert_text(i) for i in await inline(client, URI, 0, 4)] == ["5"]


async def test_excluded_file_is_never_sent(client: LanguageClient, fake: FakeFim) -> None:
    uri = "file:///work/project/.env"
    open_doc(client, uri, "SECRET=\n", language="dotenv")

    assert await inline(client, uri, 0, 7) == []
    menu = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=0, character=7),
        )
    )
    # Complete as it is: typing on in this file changes nothing, so no asking at every key.
    assert isinstance(menu, types.CompletionList)
    assert (list(menu.items), menu.is_incomplete) == ([], False)
    assert fake.requests == []
