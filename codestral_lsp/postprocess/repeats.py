"""Repetition: a line or block produced twice, the line above re-typed, a line that loops."""

from __future__ import annotations

import re

from codestral_lsp.postprocess.lines import is_closer

# Short lines ("pass", "})", "i += 1") legitimately repeat; only longer ones count as loops.
MIN_REPEAT_CHARS = 6
MAX_BLOCK_LINES = 8
_LOOPING_END = (re.compile(r"(.{3,}?)\1{5,}$"), re.compile(r"(.{10,}?)\1{3,}$"))


def _meaningful(line: str) -> bool:
    return len(line.strip()) >= MIN_REPEAT_CHARS and not is_closer(line)


def repeated_line_cut(lines: list[str]) -> int | None:
    """Index of the first line that repeats the line before it exactly."""
    for i in range(1, len(lines)):
        if lines[i].rstrip() == lines[i - 1].rstrip() and _meaningful(lines[i]):
            return i
    return None


def repeated_block_cut(lines: list[str]) -> int | None:
    """Index where a block of 2 or more lines starts over right after itself."""
    stripped = [line.rstrip() for line in lines]
    for i in range(2, len(lines)):
        for size in range(2, min(i, MAX_BLOCK_LINES) + 1):
            block = stripped[i - size : i]
            complete = stripped[i : i + size] == block
            if complete and any(_meaningful(line) for line in block):
                return i
    return None


def looping_end_cut(lines: list[str]) -> int | None:
    """Index of a last line that ends by looping on a short pattern (``, 0, 0, 0, 0, 0``)."""
    if lines and any(p.search(lines[-1]) for p in _LOOPING_END):
        return len(lines) - 1
    return None


def repeats_line_above(first: str, above: str) -> bool:
    """Whether the suggestion's first full line re-types the line above the cursor."""
    return first.rstrip() == above.rstrip() and _meaningful(first)
