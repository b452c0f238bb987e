"""Where a multi-line suggestion should end: a blank line, a new top-level definition, or the
end of the cursor's scope by indentation."""

from __future__ import annotations

import re

from codestral_lsp.context import Context
from codestral_lsp.postprocess.lines import indent, is_blank, is_closer, next_code_line

# Lines at column 0 that begin a new top-level item: the suggestion has run past its own.
_TOP_LEVEL: dict[str, tuple[str, ...]] = {
    "python": ("def ", "async def ", "class ", "@", "if __name__"),
    "rust": ("fn ", "pub ", "impl ", "impl<", "struct ", "enum ", "trait ", "mod ", "#["),
    "go": ("func ", "type "),
    "javascript": ("function ", "async function ", "class ", "export "),
    "typescript": ("function ", "async function ", "class ", "export ", "interface "),
    "java": ("public class ", "class ", "interface "),
}
_TOP_LEVEL["javascriptreact"] = _TOP_LEVEL["javascript"]
_TOP_LEVEL["typescriptreact"] = _TOP_LEVEL["typescript"]
_GENERIC = ("def ", "class ", "fn ", "func ", "function ")
# Codestral's multi-file prompt marks files with this line; echoing it means the answer is over.
FILE_MARK = "+++++ "
_OPENER = re.compile(r"[{(\[:]\s*$")
_CLOSE_AND_REOPEN = re.compile(r"^\s*[)\]}].*[{(\[:]\s*$")


def blank_line_cut(lines: list[str]) -> int | None:
    """Index of the first blank line that follows some code (multi-line answers end there)."""
    seen_code = False
    for i, line in enumerate(lines):
        if not is_blank(line):
            seen_code = True
        elif seen_code:
            return i
    return None


def stop_word_cut(lines: list[str], language: str) -> int | None:
    """Index of the first line after the first that starts a new top-level definition."""
    words = _TOP_LEVEL.get(language, _GENERIC)
    for i in range(1, len(lines)):
        line = lines[i]
        if line.startswith(FILE_MARK) or line.startswith(words):
            return i
    return None


def scope_cut(lines: list[str], ctx: Context) -> int | None:
    """Index of the first line that leaves the cursor's scope, by indentation.

    ``lines`` are full lines: the first one starts with the cursor line's text. On a blank
    cursor line, or after a finished line the suggestion starts below, code at that indentation
    or deeper is in scope (the next statements); when the suggestion continues a line with
    text, or the line opens a block, only deeper lines are (the block's body). A line that
    closes and reopens (``} else {``) stays in scope. One closing-bracket line at the boundary
    is kept when the code below the cursor does not already close there.
    """
    limit = indent(ctx.line_prefix)
    adds_to_line = lines[0].rstrip() != ctx.line_prefix.rstrip()
    if ctx.line_prefix.strip() and (adds_to_line or _OPENER.search(lines[0])):
        limit += 1
    for i in range(1, len(lines)):
        line = lines[i]
        if is_blank(line) or indent(line) >= limit or _CLOSE_AND_REOPEN.match(line):
            continue
        if is_closer(line) and not _closes_below(line, next_code_line(ctx)):
            return i + 1
        return i
    return None


def _closes_below(line: str, below: str) -> bool:
    """Whether the first code line below the cursor is a closer at the same indentation."""
    return is_closer(below) and indent(below) == indent(line)
