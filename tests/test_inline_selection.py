"""Ghost text beside an open completion widget (LSP 3.18 ``selectedCompletionInfo``).

VS Code shows an inline suggestion next to its suggest widget only when the suggestion extends
the selected item and replaces the same range. The server asks the model as if that item were
accepted and answers with items that start with it. Real LSP traffic against the HTTP fake; the
checks apply the returned edit to the document, as the editor would, for each captured client.
"""

from __future__ import annotations

from conftest import change, insert_text, open_doc
from fake_fim import FakeFim, Reply
from lsprotocol import types
from pytest_lsp import LanguageClient

URI = "file:///work/paths.py"

JOIN = Reply(text=".join(base, name)")


def pos(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


async def suggest(
    client: LanguageClient,
    cursor: types.Position,
    selected: tuple[types.Position, types.Position, str] | None,
    invoked: bool = True,
) -> list[types.InlineCompletionItem]:
    kind = types.InlineCompletionTriggerKind
    info = None
    if selected is not None:
        start, end, text = selected
        info = types.SelectedCompletionInfo(range=types.Range(start=start, end=end), text=text)
    result = await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            position=cursor,
            context=types.InlineCompletionContext(
                trigger_kind=kind.Invoked if invoked else kind.Automatic,
                selected_completion_info=info,
            ),
        )
    )
    assert isinstance(result, types.InlineCompletionList)
    return list(result.items)


def applied(text: str, item: types.InlineCompletionItem) -> str:
    """``text`` after the editor applies ``item`` (ASCII text: columns are code points)."""
    assert item.range is not None and item.range.start.line == item.range.end.line
    lines = text.split("\n")
    line, start, end = item.range.start.line, item.range.start.character, item.range.end.character
    lines[line] = lines[line][:start] + insert_text(item) + lines[line][end:]
    return "\n".join(lines)


async def test_the_suggestion_extends_the_selected_item_and_replaces_its_range(
    client: LanguageClient, fake: FakeFim
) -> None:
    fake.answer = JOIN
    source = "import os\n\ndef full(base, name):\n    return os.pa"
    open_doc(client, URI, source)
    selected = (pos(3, 14), pos(3, 16), "path")
    [item] = await suggest(client, pos(3, 16), selected)
    assert insert_text(item) == "path.join(base, name)"
    assert item.range == types.Range(start=pos(3, 14), end=pos(3, 16))
    assert applied(source, item).endswith("return os.path.join(base, name)")
    # The model was asked as if the item were accepted.
    assert [r.body["prompt"] for r in fake.requests][-1].endswith("    return os.path")


async def test_the_selected_item_may_replace_text_after_the_cursor_and_a_closer(
    client: LanguageClient, fake: FakeFim
) -> None:
    # The word continues after the cursor ("pa|th_"), and the editor auto-closed the paren.
    source = "import os\nprint(os.path_)"
    open_doc(client, URI, source)
    fake.answer = Reply(text=".sep)")
    selected = (pos(1, 9), pos(1, 14), "path")
    [item] = await suggest(client, pos(1, 11), selected)
    assert insert_text(item).startswith("path")
    assert applied(source, item) == "import os\nprint(os.path.sep)"
    body = fake.requests[-1].body
    assert body["prompt"].endswith("print(os.path") and body["suffix"].startswith(")")


async def test_a_selection_that_is_not_around_the_cursor_is_ignored(
    client: LanguageClient, fake: FakeFim
) -> None:
    fake.answer = JOIN
    source = "import os\nos.pa"
    open_doc(client, URI, source)
    elsewhere = (pos(0, 0), pos(0, 6), "import")
    [item] = await suggest(client, pos(1, 5), elsewhere)
    assert insert_text(item) == ".join(base, name)"
    assert item.range is not None and item.range.start == pos(1, 5)
    assert fake.requests[-1].body["prompt"].endswith("os.pa")


async def test_a_selected_call_is_not_put_into_the_prompt(
    client: LanguageClient, fake: FakeFim
) -> None:
    # Function items arrive as an empty call ("getcwd()"): a prompt ending there is poor.
    fake.answer = Reply(text="etcwd()")
    source = "import os\nos.g"
    open_doc(client, URI, source)
    [item] = await suggest(client, pos(1, 4), (pos(1, 3), pos(1, 4), "getcwd()"))
    assert insert_text(item) == "etcwd()"
    assert fake.requests[-1].body["prompt"].endswith("os.g")


async def test_accepting_the_selected_item_keeps_the_suggestion_without_a_request(
    client: LanguageClient, fake: FakeFim
) -> None:
    fake.answer = JOIN
    source = "import os\nos.pa"
    open_doc(client, URI, source)
    [item] = await suggest(client, pos(1, 5), (pos(1, 3), pos(1, 5), "path"))
    assert insert_text(item) == "path.join(base, name)"
    assert len(fake.requests) == 1
    # The editor accepts the widget's item: "pa" becomes "path", and the ghost text stays.
    change(client, URI, 2, (1, 3), (1, 5), "path")
    [after] = await suggest(client, pos(1, 7), None, invoked=False)
    assert insert_text(after) == ".join(base, name)"
    assert len(fake.requests) == 1
