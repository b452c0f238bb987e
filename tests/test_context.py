"""Context: the prompt/suffix split at the cursor, positions in every encoding, budgets."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import PositionCodec

from codestral_lsp.context import (
    build,
    moved,
    tab_width,
    trim_prefix,
    trim_suffix,
    with_answer_tabs,
)
from codestral_lsp.document import offset_at


@pytest.mark.parametrize(
    ("text", "offset", "prefix", "suffix", "line_prefix", "line_suffix"),
    [
        pytest.param("", 0, "", "", "", "", id="empty-document"),
        pytest.param("abc\ndef\n", 0, "", "abc\ndef\n", "", "abc", id="start"),
        pytest.param("abc\ndef\n", 8, "abc\ndef\n", "", "", "", id="end"),
        pytest.param("abc\ndef\n", 5, "abc\nd", "ef\n", "d", "ef", id="middle"),
        pytest.param("a\r\nbc\r\n", 4, "a\r\nb", "c\r\n", "b", "c", id="crlf"),
        pytest.param("x = '日本'\n", 7, "x = '日本", "'\n", "x = '日本", "'", id="cjk"),
        pytest.param("a\rb", 3, "a\rb", "", "b", "", id="lone-cr"),
    ],
)
def test_split(
    text: str, offset: int, prefix: str, suffix: str, line_prefix: str, line_suffix: str
) -> None:
    ctx = build(text, offset, "file:///t.py")
    assert (ctx.prefix, ctx.suffix) == (prefix, suffix)
    assert (ctx.line_prefix, ctx.line_suffix) == (line_prefix, line_suffix)
    assert ctx.prefix + ctx.suffix == text


@pytest.mark.parametrize(
    ("encoding", "character"),
    [
        pytest.param(types.PositionEncodingKind.Utf16, 15, id="utf-16"),
        pytest.param(types.PositionEncodingKind.Utf8, 18, id="utf-8"),
        pytest.param(types.PositionEncodingKind.Utf32, 14, id="utf-32"),
    ],
)
def test_offset_after_emoji_in_each_encoding(
    encoding: types.PositionEncodingKind, character: int
) -> None:
    text = 'x = 1\ns = "😀é"; t = \n'
    doc = TextDocument("file:///t.py", text, position_codec=PositionCodec(encoding))
    offset = offset_at(doc, types.Position(line=1, character=character))
    assert text[:offset] == 'x = 1\ns = "😀é"; t = '


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        pytest.param(types.Position(line=0, character=99), 3, id="past-line-end"),
        pytest.param(types.Position(line=9, character=0), 9, id="past-document-end"),
        pytest.param(types.Position(line=1, character=99), 7, id="crlf-line-end"),
    ],
)
def test_offset_clamps(position: types.Position, expected: int) -> None:
    doc = TextDocument("file:///t.py", "abc\ndef\r\n")
    assert offset_at(doc, position) == expected


def test_trim_prefix_keeps_whole_lines_from_the_end() -> None:
    text = "".join(f"line {i}\n" for i in range(100)) + "tail"
    trimmed = trim_prefix(text, 40)
    assert len(trimmed) <= 40
    assert text.endswith(trimmed)
    assert trimmed.startswith("line ")


def test_trim_suffix_keeps_whole_lines_from_the_start() -> None:
    text = "head\n" + "".join(f"line {i}\n" for i in range(100))
    trimmed = trim_suffix(text, 40)
    assert len(trimmed) <= 40 and text.startswith(trimmed) and trimmed.endswith("\n")


def test_minified_single_line_is_cut_mid_line() -> None:
    text = "x" * 100_000
    ctx = build(text, 50_000, "file:///min.js", prefix_chars=1000, suffix_chars=500)
    assert ctx.prefix == "x" * 1000 and ctx.suffix == "x" * 500
    assert len(ctx.line_prefix) <= 1000 and len(ctx.line_suffix) <= 500


def test_budget_trims_far_ends_only() -> None:
    text = "".join(f"def f{i}():\n    return {i}\n" for i in range(500))
    offset = len(text) // 2
    ctx = build(text, offset, "file:///t.py", prefix_chars=300, suffix_chars=120)
    assert text[:offset].endswith(ctx.prefix) and text[offset:].startswith(ctx.suffix)
    assert len(ctx.prefix) <= 300 and len(ctx.suffix) <= 120


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_moved_is_the_context_after_typing_the_text(eol: str) -> None:
    head = f"def f():{eol}    x = 1{eol}    "
    tail = f"{eol}    return x{eol}"
    typed = f"y = x{eol}    return y"
    after = moved(build(head + tail, len(head), "file:///a.py"), "y = x\n    return y", 10_000)
    expected = build(head + typed + tail, len(head + typed), "file:///a.py")
    assert (after.prefix, after.suffix, after.offset) == (
        expected.prefix,
        expected.suffix,
        expected.offset,
    )
    assert (after.line_prefix, after.line_suffix) == (expected.line_prefix, expected.line_suffix)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("int f()\n{\n  if (x)\n\t{\n\t    y++;\n\t}\n}\n", 8),  # GNU: tab, then 4 spaces
        ("proc p {} {\n    if {$x} {\n\tputs $x\n\t    }\n}\n", 8),
        ("proc p {} {\n    if {$x} {\n\tputs $x\n    }\n}\n", 8),  # a tab's body under 4
        ("if (x) {\n\ty();\n}\n", 4),  # a tab's body under column 0
        ("f ()\n{\n      if (r == EDEADLK)\n\tthrow_error();\n", 8),  # a brace-less body
        ("f ()\n      {\n\tint n = 0;\n      }\n", 8),  # a brace on a line of its own
        ("get() ->\n    Proplist =\n\tto_proplist(Info),\n", 8),  # a line going on from `=`
        ("g fp =\n    withForeignPtr fp $ \\p ->\n\tf p\n", 8),
        ("{\n    x = f(a);\n\ty = 2;\n", 4),  # a finished statement: siblings at 4
        ("{\n    if (x) y();\n\tz();\n", 4),
        ("{\n    struct s {\n\t};\n", 4),  # a closer at its opener's level
        ("func f() {\n\tif x {\n\t\ty()\n\t}\n}\n", 4),  # tabs only (gofmt)
        ("\tret = call(a,\n\t\t  b);\n", 4),  # spaces after tabs only to align
        ("def f():\n    if x:\n        y()\n", 4),  # spaces only
        ("\t    \n\tx\n", 4),  # a blank line says nothing
    ],
)
def test_tab_width_is_8_only_where_a_line_needs_it(text: str, expected: int) -> None:
    assert tab_width(text) == expected
    offset = text.find("\n") + 1
    assert build(text, offset, "file:///a.c").tab_width == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("\n      if (__ec)\n\t_M_path.clear();", 8),  # read on from the cursor's line
        ("\n\t_M_path.clear();", 8),  # the cursor's line is the opener
        ("\n      x = 1;\n\ty = 2;", 4),
        ("\n      if (__ec)\n        clear();", 4),  # no tab: nothing to read
        ("\n      if (__ec)\n\t_M_path.clear();\n        x();", 4),  # 8 spaces: not a tab's
        ("\n      if (__ec)\n\t\t      clear();", 8),  # only a tab of 8 mixes so
    ],
)
def test_an_answer_says_a_tab_is_8_where_its_windows_do_not(answer: str, expected: int) -> None:
    head = "void f()\n    {\n      if (__p)"
    ctx = build(head + "\n    }\n", len(head), "file:///a.cc")
    assert ctx.tab_width == 4
    assert with_answer_tabs(ctx, answer).tab_width == expected


def test_a_tab_led_answer_body_is_no_sign_of_8_where_a_line_is_led_by_8_spaces() -> None:
    head = "class A {\n    void f() {\n        g();\n    }\n    void h() {"
    ctx = build(head + "\n    }\n}\n", len(head), "file:///A.java")
    assert with_answer_tabs(ctx, "\n\treturn;").tab_width == 4
    assert with_answer_tabs(ctx, "\n\t\t    return;").tab_width == 8
