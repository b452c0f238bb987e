"""Pure text rules that turn raw model output into a suggestion worth showing.

Every function takes plain strings (or a :class:`~codestral_lsp.context.Context`) and returns a
string; nothing here does I/O, so the rules are table-tested directly.
"""

from __future__ import annotations

import re

from codestral_lsp.context import Context

_WORD = re.compile(r"\w")


def wants_multiline(ctx: Context, mode: str) -> bool:
    """Line policy: ``always``/``never`` win; ``auto`` is single-line when word characters follow
    the cursor on its line (the user is editing inside a line), multi-line otherwise."""
    if mode == "always":
        return True
    if mode == "never":
        return False
    return not _WORD.search(ctx.line_suffix)


def first_line_done(text: str) -> bool:
    """True once a single-line suggestion is complete: a newline after some real content."""
    return "\n" in text.lstrip("\n")


def clean(text: str, ctx: Context, multiline: bool) -> str:
    """Apply the rules in order; an empty result means "show nothing"."""
    text = text.replace("\r\n", "\n")
    if not multiline:
        text = single_line(text, ctx)
    text = drop_suffix_overlap(text, ctx)
    if ctx.line_suffix.strip() == "" or ctx.line_suffix[:1].isspace():
        text = text.rstrip()
    if not text.strip():
        return ""
    return text


def single_line(text: str, ctx: Context) -> str:
    """Keep only the first line. A suggestion that starts with a line break is dropped when the
    cursor's line already has text after it (it would split the line)."""
    if text.startswith("\n"):
        if ctx.line_suffix.strip():
            return ""
        text = text.lstrip("\n")
    return text.split("\n", 1)[0]


def drop_suffix_overlap(text: str, ctx: Context) -> str:
    """Remove the tail of the suggestion that repeats what already follows the cursor."""
    rest = ctx.line_suffix.rstrip()
    first, newline, _ = text.partition("\n")
    if rest and not newline and first.endswith(rest) and len(first) > len(rest):
        return first[: len(first) - len(rest)]
    if rest and not newline and first.strip() == rest.strip():
        return ""
    if newline:
        return _cut_before_suffix_lines(text, ctx)
    return text


def _cut_before_suffix_lines(text: str, ctx: Context) -> str:
    """Multi-line: cut the suggestion where it starts re-typing the lines after the cursor."""
    after = ctx.suffix[len(ctx.line_suffix) :].lstrip("\r\n").split("\n")
    target = next((line.strip() for line in after if line.strip()), "")
    if not target:
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() == target:
            return "\n".join(lines[:i]).rstrip()
    return text
