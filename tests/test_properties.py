"""Property-based tests: over random documents (with every kind of line break, combining marks,
astral characters, NUL), random edit sequences (including out-of-range and reversed ranges) and
random positions in every position encoding, the server never fails, and the prompt + suffix it
sends is exactly the document text a by-the-book LSP model says it has (within budget trimming at
the far ends).

The model below is written from the LSP specification, independently of ``document.py``: lines
end at ``\\n``, ``\\r\\n`` or ``\\r`` only; a line past the end means the end of the document; a
column past the end of a line means its end; a column inside a character rounds down.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_lsp
from conftest import (
    CLIENTS,
    SERVER,
    capabilities,
    change,
    init_options,
    inline,
    open_doc,
    partial_change,
)
from fake_fim import FakeFim, Reply
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pytest_lsp import LanguageClient

from codestral_lsp import positions
from codestral_lsp.context import FILE_MARK, Selection, build, selected
from codestral_lsp.document import LspDocument, offset_at, position_of, split_lines

ENCODINGS = ["utf-8", "utf-16", "utf-32"]
# Line breaks of LSP and of str.splitlines, a combining mark, astral and BMP non-ASCII, NUL.
ALPHABET = st.sampled_from(
    [
        "a",
        "b",
        " ",
        "\t",
        "\n",
        "\r",
        "\r\n",
        "\x0c",
        "\x0b",
        "\x85",
        "\u2028",
        "é",
        "\u0301",
        "😀",
        "日",
        "\x00",
    ]
)
TEXTS = st.lists(ALPHABET, max_size=40).map("".join)


def model_lines(text: str) -> list[tuple[int, int]]:
    """(start, end of body) of every line, by scanning for LSP line breaks."""
    lines, i = [], 0
    while i < len(text):
        j = i
        while j < len(text) and text[j] not in "\r\n":
            j += 1
        lines.append((i, j))
        if j < len(text) and text[j] == "\r" and text[j + 1 : j + 2] == "\n":
            j += 1
        i = j + 1
    return lines


def unit_count(char: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(char.encode("utf-8"))
    return len(char.encode("utf-16-le")) // 2 if encoding == "utf-16" else 1


def model_offset(text: str, line: int, character: int, encoding: str) -> int:
    lines = model_lines(text)
    if line >= len(lines):
        return len(text)
    start, body_end = lines[line]
    units, i = 0, start
    while i < body_end and units + unit_count(text[i], encoding) <= character:
        units += unit_count(text[i], encoding)
        i += 1
    return i


def model_edit(text: str, start: tuple[int, int], end: tuple[int, int], new: str, enc: str) -> str:
    a, b = model_offset(text, *start, enc), model_offset(text, *end, enc)
    a, b = min(a, b), max(a, b)
    return text[:a] + new + text[b:]


POSITIONS = st.tuples(st.integers(0, 12), st.integers(0, 50))
EDITS = st.lists(st.tuples(POSITIONS, POSITIONS, TEXTS), max_size=6)


def document(text: str, encoding: str) -> LspDocument:
    from pygls.workspace.position_codec import PositionCodec

    return LspDocument("file:///p/t.py", text, position_codec=PositionCodec(encoding))


@given(TEXTS)
def test_lines_rejoin_and_break_only_where_lsp_does(text: str) -> None:
    lines = split_lines(text)
    assert "".join(lines) == text
    for line in lines[:-1]:
        assert line.endswith(("\n", "\r"))
    assert [len(line.rstrip("\r\n")) for line in lines] == [b - a for a, b in model_lines(text)]


@given(TEXTS, POSITIONS, st.sampled_from(ENCODINGS))
def test_offsets_match_the_lsp_model(text: str, position: tuple[int, int], enc: str) -> None:
    line, character = position
    expected = model_offset(text, line, character, enc)
    lsp_position = types.Position(line=line, character=character)
    assert document(text, enc).offset_at_position(lsp_position) == expected
    # The server's entry point agrees for plain pygls documents too.
    from pygls.workspace import TextDocument
    from pygls.workspace.position_codec import PositionCodec

    plain = TextDocument("file:///p/t.py", text, position_codec=PositionCodec(enc))
    assert offset_at(plain, lsp_position) == expected


@given(TEXTS, st.sampled_from(ENCODINGS), st.data())
def test_positions_round_trip(text: str, enc: str, data: st.DataObject) -> None:
    doc = document(text, enc)
    offset = data.draw(st.integers(0, len(text)))
    if 0 < offset < len(text) and text[offset - 1 : offset + 1] == "\r\n":
        return  # between \r and \n is no cursor position
    position = doc.client_position_at_offset(offset)
    assert doc.offset_at_position(position) == offset


def edit(doc: LspDocument, start: tuple[int, int], end: tuple[int, int], new: str) -> None:
    doc.apply_change(partial_change(start, end, new))


@given(TEXTS, EDITS, st.sampled_from(ENCODINGS))
def test_edit_sequences_match_the_lsp_model(
    text: str, edits: list[tuple[tuple[int, int], tuple[int, int], str]], enc: str
) -> None:
    doc = document(text, enc)
    expected = text
    for start, end, new in edits:
        edit(doc, start, end, new)
        expected = model_edit(expected, start, end, new, enc)
    assert doc.source == expected


# Edits and questions near line starts, where a line-start anchor can go wrong.
NEAR = st.tuples(st.integers(0, 6), st.one_of(st.just(0), st.integers(0, 4)))
STEPS = st.lists(st.tuples(NEAR, NEAR, TEXTS, NEAR), max_size=8)


@given(TEXTS, STEPS, st.sampled_from(ENCODINGS))
# A "\n" typed at the start of the line after a lone "\r" merges the two into one break.
@example("ab\rcd\nef", [((1, 0), (1, 0), "\nX", (1, 0))], "utf-16")
def test_positions_after_each_edit_match_the_lsp_model(
    text: str, steps: list[tuple[tuple[int, int], tuple[int, int], str, tuple[int, int]]], enc: str
) -> None:
    """An edit, then a question about a position, repeatedly: the document walks from the last
    line start it found, which must survive only the edits that leave it valid (none before
    it, no ``\r`` + ``\n`` merged into one break at it)."""
    doc = document(text, enc)
    expected = text
    for start, end, new, probe in steps:
        edit(doc, start, end, new)
        expected = model_edit(expected, start, end, new, enc)
        asked = types.Position(line=probe[0], character=probe[1])
        offset = model_offset(expected, *probe, enc)
        assert doc.offset_at_position(asked) == offset
        # Back again, counted from that line start and told only what edits carried of \r.
        assert "\r" not in expected or doc.may_hold_cr()
        for near in (offset, min(len(expected), offset + 3), max(0, offset - 3)):
            back = position_of(doc)(near)
            assert (back.line, back.character) == positions.position_at(expected, near, enc)


@given(
    st.lists(ALPHABET, max_size=400).map("".join),
    st.data(),
    st.integers(1, 80),
    st.integers(1, 80),
)
def test_prompt_and_suffix_are_the_text_trimmed_at_the_far_ends(
    text: str, data: st.DataObject, prefix_chars: int, suffix_chars: int
) -> None:
    offset = data.draw(st.integers(0, len(text)))
    ctx = build(
        text, offset, "file:///p/t.py", prefix_chars=prefix_chars, suffix_chars=suffix_chars
    )
    before, after = text[:offset], text[offset:]
    assert before.endswith(ctx.prefix) and after.startswith(ctx.suffix)
    assert len(ctx.prefix) <= prefix_chars and len(ctx.suffix) <= suffix_chars
    if len(before) <= prefix_chars:
        assert ctx.prefix == before
    if len(after) <= suffix_chars:
        assert ctx.suffix == after
    assert before.endswith(ctx.line_prefix)
    assert after.startswith(ctx.line_suffix)
    assert not any(c in ctx.line_prefix + ctx.line_suffix for c in "\r\n")


@given(st.lists(ALPHABET, max_size=120).map("".join), st.data(), TEXTS)
def test_a_selected_item_gives_the_context_of_the_document_with_it_accepted(
    text: str, data: st.DataObject, item: str
) -> None:
    offset = data.draw(st.integers(0, len(text)))
    ctx = build(text, offset, "file:///p/t.py", prefix_chars=10_000, suffix_chars=10_000)
    before = data.draw(st.integers(0, len(ctx.line_prefix)))
    after = data.draw(st.integers(0, len(ctx.line_suffix)))
    accepted = text[: offset - before] + item + text[offset + after :]
    expected = build(
        accepted, offset - before + len(item), ctx.uri, prefix_chars=10_000, suffix_chars=10_000
    )

    got = selected(ctx, Selection(before, after, item), 10_000)

    assert (got.offset, got.prefix, got.suffix) == (
        expected.offset,
        expected.prefix,
        expected.suffix,
    )
    assert (got.line_prefix, got.line_suffix) == (expected.line_prefix, expected.line_suffix)


# Through the real server: one server for all examples, a fresh document per example.
_uris = itertools.count()


@pytest.fixture(scope="module")
def shared_fake() -> Iterator[FakeFim]:
    with FakeFim(Reply(text="x")) as server:
        yield server


@pytest_lsp.fixture(config=SERVER, scope="module")
async def lsp(lsp_client: LanguageClient, shared_fake: FakeFim) -> AsyncIterator[None]:
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(CLIENTS[0]),  # negotiates UTF-16
            initialization_options=init_options(shared_fake, debounceMs=0),
        )
    )
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="module")
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=TEXTS, edits=EDITS, cursor=POSITIONS)
async def test_server_prompt_is_the_edited_document_split_at_the_cursor(
    lsp: LanguageClient,
    shared_fake: FakeFim,
    text: str,
    edits: list[tuple[tuple[int, int], tuple[int, int], str]],
    cursor: tuple[int, int],
) -> None:
    uri_number = next(_uris)
    uri = f"file:///p/prop{uri_number}.py"
    open_doc(lsp, uri, text)
    expected = text
    for version, (start, end, new) in enumerate(edits, start=2):
        change(lsp, uri, version, start, end, new)
        expected = model_edit(expected, start, end, new, "utf-16")
    before = len(shared_fake.requests)

    await asyncio.wait_for(inline(lsp, uri, *cursor), 10)

    lsp.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert len(shared_fake.requests) == before + 1
    body = shared_fake.requests[-1].body
    offset = model_offset(expected, *cursor, "utf-16")
    header = f"{FILE_MARK}p/prop{uri_number}.py\n"
    assert (body["prompt"], body["suffix"]) == (header + expected[:offset], expected[offset:])
    assert lsp.messages == []


@pytest.mark.asyncio(loop_scope="module")
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=TEXTS, cursor=POSITIONS, start=POSITIONS, end=POSITIONS, item=TEXTS)
async def test_a_selected_item_is_applied_to_the_prompt_or_ignored(
    lsp: LanguageClient,
    shared_fake: FakeFim,
    text: str,
    cursor: tuple[int, int],
    start: tuple[int, int],
    end: tuple[int, int],
    item: str,
) -> None:
    uri_number = next(_uris)
    uri = f"file:///p/prop{uri_number}.py"
    open_doc(lsp, uri, text)
    position = types.Position(line=cursor[0], character=cursor[1])
    span = types.Range(
        start=types.Position(line=start[0], character=start[1]),
        end=types.Position(line=end[0], character=end[1]),
    )
    before = len(shared_fake.requests)

    await asyncio.wait_for(
        lsp.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=position,
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Invoked,
                    selected_completion_info=types.SelectedCompletionInfo(range=span, text=item),
                ),
            )
        ),
        10,
    )

    lsp.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert len(shared_fake.requests) == before + 1
    body = shared_fake.requests[-1].body
    at = model_offset(text, *cursor, "utf-16")
    a, b = model_offset(text, *start, "utf-16"), model_offset(text, *end, "utf-16")
    on_line = not any(c in text[a:b] for c in "\r\n")
    if a <= at <= b and on_line and not any(c in item for c in "\r\n)"):
        text, at = text[:a] + item + text[b:], a + len(item)
    header = f"{FILE_MARK}p/prop{uri_number}.py\n"
    assert (body["prompt"], body["suffix"]) == (header + text[:at], text[at:])
    assert lsp.messages == []
