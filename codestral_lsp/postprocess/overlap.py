"""Suffix repetition: the model re-typing what already follows the cursor.

Two levels: within the cursor's line (the suggestion ends with the rest of the line), and line
level (a suggestion line reproduces the code below the cursor).
"""

from __future__ import annotations

import re

from codestral_lsp.context import Context
from codestral_lsp.postprocess.lines import is_blank, is_closer, lines_after_cursor

_WORD = re.compile(r"\w")
# A partial re-typing of the line tail must be at least this long to count: shorter overlaps
# ("a", "x.") happen by chance in correct code.
MIN_PARTIAL_OVERLAP = 4
# A suggestion line that equals the next code line is cut on sight when it is this distinctive;
# shorter ones ("pass", "}", "return") only when everything after it matches the suffix too.
DISTINCT_LINE_CHARS = 8


def within_line(text: str, ctx: Context) -> str:
    """Single line: remove the end of the suggestion that re-types the rest of the line.

    Only when the rest of the line holds a word: a tail of bare punctuation (auto-closed
    brackets and quotes) is replaced through the item's range instead, see ``brackets``.
    """
    rest = ctx.line_suffix.strip()
    if not rest or "\n" in text or not _WORD.search(rest):
        return text
    if text.strip() == rest:
        return ""
    sizes = [len(rest), *range(len(rest) - 1, MIN_PARTIAL_OVERLAP - 1, -1)]
    for size in sizes:
        if text.endswith(rest[:size]) and len(text) > size and _token_boundary(rest, size):
            kept = text[: len(text) - size]
            # The line's own space before its tail stays; the suggestion's copy of it goes.
            return kept.rstrip() if ctx.line_suffix[:1].isspace() else kept
    return text


def _token_boundary(rest: str, size: int) -> bool:
    """Whether ``rest[:size]`` ends between tokens (not in the middle of a word)."""
    if size == len(rest):
        return True
    return not (_WORD.match(rest[size - 1]) and _WORD.match(rest[size]))


def suffix_line_cut(lines: list[str], ctx: Context, start: int) -> int | None:
    """Index of the first suggestion line (from ``start``) that starts re-typing the code below
    the cursor, or ``None``.

    A line is a re-typing when it equals the next code line (indentation included) and either
    it is distinctive or every suggestion line after it follows the suffix's lines as well.
    """
    below = [line.rstrip() for line in lines_after_cursor(ctx) if not is_blank(line)]
    if not below:
        return None
    for i in range(start, len(lines)):
        if lines[i].rstrip() != below[0]:
            continue
        if _distinct(below[0]) or _follows(lines[i:], below):
            return i
    return None


def _distinct(line: str) -> bool:
    return len(line.strip()) >= DISTINCT_LINE_CHARS and not is_closer(line)


def _follows(tail: list[str], below: list[str]) -> bool:
    """Whether the suggestion's remaining non-blank lines are the suffix's lines, in order
    (the last one may be cut short by the stream)."""
    code = [line.rstrip() for line in tail if not is_blank(line)]
    if len(code) > len(below):
        return False
    *whole, last = code
    return whole == below[: len(whole)] and below[len(whole)].startswith(last)
