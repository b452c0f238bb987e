"""Completion-item rules the real editors need, checked per captured client capability set.

The editor tests (Neovim, Emacs) show these rules working in the real editors; this file pins
each rule down for every client profile pytest-lsp ships, faster and with exact items.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_lsp
from conftest import accepted, position_in
from fake_fim import FakeFim, Reply
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from codestral_lsp import context, items
from codestral_lsp.items import ItemCaps
from codestral_lsp.settings import section

URI = "file:///tmp/rules.py"
# No final newline: the cursor at the very end of a document is where users type most.
SOURCE = "def show(a, b):\n    i"
SUGGESTION = "f a > b:\n        return f'${a}\\n{b}'"


@pytest.fixture
def fake() -> Iterator[FakeFim]:
    with FakeFim(Reply(text=SUGGESTION)) as server:
        yield server


@pytest.fixture
async def client(fake: FakeFim) -> AsyncIterator[LanguageClient]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CODESTRAL_", "MISTRAL_"))}
    env.update(CODESTRAL_API_KEY="test-key-rules-123456", CODESTRAL_BASE_URL=fake.url)
    started = await ClientServerConfig(
        server_command=[sys.executable, "-m", "codestral_lsp"], server_env=env
    ).start()
    assert isinstance(started, LanguageClient)
    yield started
    await started.shutdown_session()
    await started.stop()


async def open_session(client: LanguageClient, profile: str) -> None:
    caps = pytest_lsp.client_capabilities(profile)
    await client.initialize_session(types.InitializeParams(capabilities=caps))
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=URI, language_id="python", version=1, text=SOURCE
            )
        )
    )


async def complete(client: LanguageClient) -> types.CompletionList:
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            position=types.Position(line=1, character=5),
            context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked),
        )
    )
    assert isinstance(result, types.CompletionList)
    return result


WHOLE = "if a > b:\n        return f'${a}\\n{b}'"
ESCAPED = "return f'\\${a\\}\\\\n{b\\}'$0"


@pytest.mark.parametrize(
    ("profile", "fmt", "new_text"),
    [
        # Neovim: snippets, no insertTextMode asIs (its snippet engine re-indents lines).
        ("neovim@v0.11.0", types.InsertTextFormat.Snippet, "if a > b:\n    " + ESCAPED),
        # VS Code: snippets and asIs.
        (
            "visual_studio_code@v1.65.2",
            types.InsertTextFormat.Snippet,
            "if a > b:\n        " + ESCAPED,
        ),
        # Emacs/eglot without yasnippet: plain text, exactly the suggestion.
        ("emacs@v29.1", types.InsertTextFormat.PlainText, WHOLE),
    ],
)
async def test_completion_item_per_client(
    client: LanguageClient, profile: str, fmt: types.InsertTextFormat, new_text: str
) -> None:
    await open_session(client, profile)
    result = await complete(client)
    assert result.is_incomplete is True
    (item,) = result.items
    assert item.insert_text_format == fmt
    assert isinstance(item.text_edit, types.TextEdit)
    assert item.text_edit.new_text == new_text
    # The edit starts at the word being typed and ends at the cursor (end of the document).
    assert item.text_edit.range == types.Range(
        start=types.Position(line=1, character=4), end=types.Position(line=1, character=5)
    )
    assert item.label == "if a > b:" and (item.filter_text or "").startswith("if ")


async def test_inline_item_at_the_end_of_a_document_without_final_newline(
    client: LanguageClient,
) -> None:
    caps = pytest_lsp.client_capabilities("neovim@v0.11.0")
    assert caps.text_document is not None
    caps.text_document.inline_completion = types.InlineCompletionClientCapabilities()
    await client.initialize_session(types.InitializeParams(capabilities=caps))
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=URI, language_id="python", version=1, text=SOURCE
            )
        )
    )
    result = await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            position=types.Position(line=1, character=5),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )
    )
    assert isinstance(result, types.InlineCompletionList)
    (item,) = result.items
    cursor = types.Position(line=1, character=5)
    assert item.range == types.Range(start=cursor, end=cursor)


def test_an_empty_section_from_lua_is_no_settings() -> None:
    # Neovim encodes `settings = { codestral = {} }` as {"codestral": []}.
    assert section({"codestral": []}) == {}
    assert section({"codestral": {"model": "m"}}) == {"model": "m"}


RAISING = "class A:\n    def f(self, x):\n        if x:\n            raise ValueError(x)\n"


def item_for(
    text: str, cursor: int, suggestion: str, caps: ItemCaps
) -> types.CompletionItem | None:
    ctx = context.build(text, cursor, "file:///a.py")
    found = items.completion_list(suggestion, ctx, position_in(text), caps, accepted).items
    return found[0] if found else None


@pytest.mark.parametrize(
    ("caps", "new_text"),
    [
        # Helix, Neovim 0.11: the engine would put 12 more spaces before ``return``.
        (ItemCaps(snippets=True), None),
        (ItemCaps(snippets=True, as_is=True), "\n        return x$0"),
        (ItemCaps(), "\n        return x"),
    ],
    ids=["re-indenting snippets", "snippets as is", "plain text"],
)
def test_a_line_indented_less_than_the_cursor_line_only_where_it_lands_right(
    caps: ItemCaps, new_text: str | None
) -> None:
    item = item_for(RAISING, len(RAISING) - 1, "\n        return x", caps)
    edit = item and item.text_edit
    assert (edit.new_text if isinstance(edit, types.TextEdit) else None) == new_text


def test_re_indenting_snippets_keep_the_lines_they_can_place() -> None:
    text = RAISING.replace("raise ValueError(x)", "ra")
    item = item_for(text, len(text) - 1, "ise ValueError(x)\n        return x", ItemCaps(True))
    assert item is not None and isinstance(item.text_edit, types.TextEdit)
    assert item.text_edit.new_text == "raise ValueError(x)$0"


@pytest.mark.parametrize(
    ("text", "suggestion", "shown"),
    [
        ("value = os.getcwd", "\nprint(value)", "getcwd ⏎ print(value)"),
        ("rx = ", " None", "None"),
        ("x = 1\n", "\n\nprint(x)", "print(x)"),
    ],
)
def test_the_label_shows_the_code_a_suggestion_brings(
    text: str, suggestion: str, shown: str
) -> None:
    item = item_for(text, len(text), suggestion, ItemCaps())
    assert item is not None and item.label == shown


# Helix's completion capabilities (helix-lsp's client.rs): no documentation format declared.
HELIX = types.ClientCapabilities(
    text_document=types.TextDocumentClientCapabilities(
        completion=types.CompletionClientCapabilities(
            completion_item=types.ClientCompletionItemOptions(
                snippet_support=True, insert_replace_support=True, deprecated_support=True
            )
        )
    )
)


# pytest-lsp rightly flags Markdown a client did not declare: for Helix, that is the point.
@pytest.mark.filterwarnings("ignore::pytest_lsp.checks.LspSpecificationWarning")
@pytest.mark.parametrize(
    ("name", "markdown"), [("helix", True), ("another editor", False)], ids=["helix", "other"]
)
async def test_the_suggestion_shown_beside_the_menu_renders_as_code(
    client: LanguageClient, name: str, markdown: bool
) -> None:
    # Helix renders a plain-string documentation as Markdown, where a Python comment becomes a
    # heading; a client that declares no Markdown otherwise gets the plain code.
    await client.initialize_session(
        types.InitializeParams(capabilities=HELIX, client_info=types.ClientInfo(name=name))
    )
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=URI, language_id="python", version=1, text=SOURCE
            )
        )
    )
    (item,) = (await complete(client)).items
    if markdown:
        assert item.documentation == types.MarkupContent(
            kind=types.MarkupKind.Markdown, value=f"```python\ni{WHOLE[1:]}\n```"
        )
    else:
        assert item.documentation == "i" + WHOLE[1:]
