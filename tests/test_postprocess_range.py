"""Items replace the auto-closed punctuation their suggestion types itself (single-line ranges)."""

from __future__ import annotations

import pytest
from conftest import accepted, position_in
from lsprotocol import types

from codestral_lsp import context, items, postprocess


def test_inline_item_replaces_the_doubled_closer() -> None:
    text = 'x = 1\nprint("")\n'
    ctx = context.build(text, text.index('")'), "file:///a.py")
    result = items.inline_items('hi")', ctx, position_in(text), accepted)
    assert result.items[0].range == types.Range(
        start=types.Position(line=1, character=7), end=types.Position(line=1, character=9)
    )


def test_inline_item_inserts_when_the_closer_is_its_own() -> None:
    text = "f()\n"
    ctx = context.build(text, 2, "file:///a.py")
    result = items.inline_items("g(x)", ctx, position_in(text), accepted)
    cursor = types.Position(line=0, character=2)
    assert result.items[0].range == types.Range(start=cursor, end=cursor)


def test_completion_edit_spans_word_and_replaced_closer() -> None:
    text = "print(tot)\n"
    ctx = context.build(text, 9, "file:///a.py")
    result = items.completion_list("al)", ctx, position_in(text), items.ItemCaps(), accepted)
    edit = result.items[0].text_edit
    assert isinstance(edit, types.TextEdit)
    assert edit.new_text == "total)"
    assert edit.range == types.Range(
        start=types.Position(line=0, character=6), end=types.Position(line=0, character=10)
    )


@pytest.mark.parametrize(
    ("text", "language", "suggestion", "word"),
    [
        ("a {\n  background-co\n}\n", "css", "lor: red;", "background-co"),
        ("let x = $na\n", "javascript", "me + 1;", "$na"),
        ("$x = $na\n", "php", "me + 1;", "$na"),
        ("(string-prefix\n", "emacs-lisp", '-p "a" x)', "string-prefix"),
        ("x = a-b\n", "python", " + 1", "b"),
    ],
)
def test_completion_edit_starts_at_the_word_as_the_editor_counts_it(
    text: str, language: str, suggestion: str, word: str
) -> None:
    # eglot filters items by the symbol at point: the item must start with all of it.
    cursor = text.index("\n", text.index(word))
    ctx = context.build(text, cursor, "file:///a", language=language)
    result = items.completion_list(suggestion, ctx, position_in(text), items.ItemCaps(), accepted)
    item = result.items[0]
    assert isinstance(item.text_edit, types.TextEdit)
    assert item.text_edit.new_text == word + suggestion
    assert item.filter_text == word + suggestion and item.label.startswith(word)
    assert item.text_edit.range.start.character == len(text[:cursor].split("\n")[-1]) - len(word)


def test_a_suggestion_that_only_retypes_the_closed_tail_is_no_item() -> None:
    text = "List<String> names = new ArrayList<>();\n"
    ctx = context.build(text, text.index(">();"), "file:///A.java", language="java")
    assert items.inline_items(">();", ctx, position_in(text), accepted).items == []
    assert (
        items.completion_list(">();", ctx, position_in(text), items.ItemCaps(), accepted).items
        == []
    )
    kept = items.inline_items("String>();", ctx, position_in(text), accepted).items
    assert [item.insert_text for item in kept] == ["String>();"]


def test_for_neovim_the_suggestion_leaves_out_the_tail_it_would_replace() -> None:
    # Neovim's menu inserts newText at the cursor and ignores the range after it.
    neovim = items.ItemCaps(range_end=False)
    text = 'printf("");\n'
    ctx = context.build(text, text.index('");'), "file:///a.c", language="c")
    ends = items.completion_list('%d items\\n", n);', ctx, position_in(text), neovim, accepted)
    edit = ends.items[0].text_edit
    assert isinstance(edit, types.TextEdit)
    assert edit.new_text == "%d items\\n"  # printf("%d items\n"); reads right; "); not doubled
    assert edit.range.end == types.Position(line=0, character=8)
    call = "print()\n"
    ctx = context.build(call, 6, "file:///a.py")
    edit = (
        items.completion_list("total)", ctx, position_in(call), neovim, accepted).items[0].text_edit
    )
    assert isinstance(edit, types.TextEdit) and edit.new_text == "total"


def test_without_tail_looks_past_the_padding_of_a_padded_closer() -> None:
    assert items.without_tail("a: 1 }", " }") == "a: 1"
    assert items.without_tail("a: 1, b }; x", " };") == "a: 1, b"
    assert items.without_tail("a: 1, b", " ") == "a: 1, b"


def test_for_neovim_an_inline_item_is_the_cursor_line_made_new() -> None:
    text = "def f(total):\n    print()\n"
    ctx = context.build(text, text.index(")\n"), "file:///a.py")
    (item,) = items.inline_items("total)", ctx, position_in(text), accepted, whole_line=True).items
    assert item.insert_text == "    print(total)"
    assert item.range == types.Range(
        start=types.Position(line=1, character=0), end=types.Position(line=1, character=11)
    )
    assert item.command is not None and item.command.arguments == ["total)"]
    (block,) = items.inline_items(
        "\n    x = 1", ctx, position_in(text), accepted, whole_line=True
    ).items
    assert block.insert_text == "    print(\n    x = 1)"


def test_the_popup_fence_outlasts_the_suggestions_own() -> None:
    text = "Run it:\n\n"
    ctx = context.build(text, len(text), "file:///a.md", language="markdown")
    caps = items.ItemCaps(markdown=True)
    result = items.completion_list("```sh\nmake test\n```", ctx, position_in(text), caps, accepted)
    doc = result.items[0].documentation
    assert isinstance(doc, types.MarkupContent)
    assert doc.value == "````markdown\n```sh\nmake test\n```\n````"


@pytest.mark.parametrize(("closers", "replaced"), [(60, 1), (200, 0)])
def test_a_tail_longer_than_any_closing_run_is_not_judged(closers: int, replaced: int) -> None:
    # Judging every start of a tail costs its square: a line of 200 closers took seconds.
    text = "f(" + ")" * closers + "\n"
    ctx = context.build(text, 2, "file:///a.py")
    assert postprocess.replace_length("x)", ctx) == replaced
