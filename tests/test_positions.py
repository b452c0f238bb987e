"""The cheap position <-> offset path agrees with a plain reference in every encoding."""

from __future__ import annotations

import re
from unittest import mock

from hypothesis import example, given, settings
from hypothesis import strategies as st

from codestral_lsp import positions

ENCODINGS = ("utf-8", "utf-16", "utf-32")
# With unpaired surrogates, which a client's JSON may carry (a JavaScript string may hold one).
PIECES = st.sampled_from(
    ["a", "b", " ", "\t", "\n", "\r", "\r\n", "é", "€", "😀", "\ud83d", "\ude00"]
)
TEXTS = st.lists(PIECES, max_size=30).map("".join)


def reference_lines(text: str) -> list[tuple[int, str]]:
    """(start offset, content) of each LSP line: breaks are \\n, \\r\\n and \\r only."""
    out, start = [], 0
    for m in re.finditer(r"\r\n|\r|\n", text):
        out.append((start, text[start : m.start()]))
        start = m.end()
    out.append((start, text[start:]))
    return out


def width(ch: str, encoding: str) -> int:
    if encoding == "utf-32":
        return 1
    if encoding == "utf-16":
        return 2 if ord(ch) > 0xFFFF else 1
    return len(ch.encode("utf-8", "surrogatepass"))


@given(TEXTS, st.sampled_from(ENCODINGS), st.integers(0, 12), st.integers(0, 12))
def test_offset_at_matches_reference(text: str, encoding: str, line: int, column: int) -> None:
    lines = reference_lines(text)
    if line >= len(lines):
        expected = len(text)
    else:
        start, body = lines[line]
        seen = taken = 0
        while taken < len(body) and seen + width(body[taken], encoding) <= column:
            seen += width(body[taken], encoding)
            taken += 1
        expected = start + taken
    assert positions.offset_at(text, line, column, encoding) == expected


@given(TEXTS, st.sampled_from(ENCODINGS))
def test_position_at_matches_reference(text: str, encoding: str) -> None:
    for number, (start, body) in enumerate(reference_lines(text)):
        for taken in range(len(body) + 1):
            column = sum(width(ch, encoding) for ch in body[:taken])
            assert positions.position_at(text, start + taken, encoding) == (number, column)


def anchor_at(lines: list[tuple[int, str]], known: int) -> tuple[int, int]:
    """A ``(line, start offset)`` anchor on line ``known`` (or the last line)."""
    known = min(known, len(lines) - 1)
    return known, lines[known][0]


@given(TEXTS, st.integers(0, 40), st.integers(0, 40), st.sampled_from([None, False, True]))
def test_a_line_start_from_any_known_line_above_or_below(
    text: str, line: int, known: int, told: bool | None
) -> None:
    # Told ``crlf=True`` for any text (a document whose last \r was deleted keeps it), or
    # left to look (None): the walk up and down from the anchor stays right.
    lines = reference_lines(text)
    crlf = None if told is None else told or "\r" in text
    expected = lines[line][0] if line < len(lines) else None
    assert positions.line_start(text, line, anchor_at(lines, known), crlf) == expected


@given(
    st.lists(PIECES, max_size=200).map("".join),
    st.integers(0, 120),
    st.integers(0, 120),
    st.sampled_from([None, False, True]),
    st.integers(1, 9),
)
@example("ab\r\ncd\r\nef\r\ngh\r\nij", 4, 0, True, 3)  # a chunk's edge between \r and \n
@settings(max_examples=300)
def test_a_far_line_start_counted_in_chunks(
    text: str, line: int, known: int, told: bool | None, chunk: int
) -> None:
    # Chunks of a few characters, counted past one line (the real ones are 65,536 and 64),
    # so that every shape of line break meets a chunk's edge.
    lines = reference_lines(text)
    crlf = None if told is None else told or "\r" in text
    expected = lines[line][0] if line < len(lines) else None
    with (
        mock.patch.object(positions, "_CHUNK", chunk),
        mock.patch.object(positions, "_CHUNK_LINES", 1),
    ):
        assert positions.line_start(text, line, anchor_at(lines, known), crlf) == expected


@given(TEXTS, st.sampled_from(ENCODINGS), st.integers(0, 40), st.booleans())
def test_position_at_counts_from_a_line_start_at_or_before_the_offset(
    text: str, encoding: str, known: int, told: bool
) -> None:
    lines = reference_lines(text)
    anchor, crlf = anchor_at(lines, known), told or "\r" in text
    for number, (start, body) in enumerate(lines):
        for taken in range(len(body) + 1):
            column = sum(width(ch, encoding) for ch in body[:taken])
            got = positions.position_at(text, start + taken, encoding, anchor, crlf)
            assert got == (number, column)
