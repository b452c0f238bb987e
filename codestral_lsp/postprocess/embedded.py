"""A fenced code block in Markdown, judged as the code it is: where the cursor stands between a
block's opening fence, whose tag names a language, and its closing fence, the rules read the
block alone as a file of that language. Markdown's own rules count no brackets (prose pairs
none), so an answer inside ```` ```js ```` closing once too often kept its extra ``)``."""

from __future__ import annotations

import functools
import re
from dataclasses import replace

from codestral_lsp.context import Context
from codestral_lsp.languages import canonical, extensions

_MARKDOWN = frozenset({"markdown", "mdx", "quarto", "rmd"})
# A fence line: three or more backquotes or tildes after any indentation (a list item's block
# is indented with the item), then the info string, whose first word names the language
# (Quarto and R Markdown brace it: ``{python}``, ``{.r}``).
FENCE_LINE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*\{?\.?([\w#+.-]*).*$", re.MULTILINE)
# Tags naming no code to judge: text, and languages whose rules are Markdown's or none.
_NOT_CODE = _MARKDOWN | {"plaintext", "text"}


def code_block(ctx: Context) -> Context:
    """The context the rules judge an answer in: ``ctx`` itself, or in Markdown, inside a
    fenced block whose tag names a language the rules know and whose closing fence is below,
    the block's code before and after the cursor as a whole file of that language."""
    return _in_markdown(ctx) if ctx.language in _MARKDOWN else ctx


def in_fenced_block(ctx: Context) -> bool:
    """Whether an odd number of fence lines before the cursor leaves a fenced block open."""
    return _open_fence(ctx) is not None


@functools.lru_cache(maxsize=32)  # one read per cursor: the rules ask at every streamed line
def _open_fence(ctx: Context) -> tuple[re.Match[str], str] | None:
    """The fence line that opened the block the cursor is in, and its indentation and marks
    (what closes the block); ``None`` when an even number of fence lines leaves none open."""
    fences = list(FENCE_LINE.finditer(ctx.prefix))
    if len(fences) % 2 == 0:
        return None
    opening = fences[-1]
    return opening, opening.group()[: opening.end(1) - opening.start()]


def in_markdown_block(ctx: Context) -> bool:
    """Whether the cursor is in a fenced block of a Markdown file (one the rules read as
    Markdown: its language unknown, or its closing fence not below)."""
    return ctx.language in _MARKDOWN and in_fenced_block(ctx)


def closing_fence(lines: list[str], ctx: Context) -> int | None:
    """In Markdown with the cursor in a fenced block, the index of the answer's first line
    after its first that closes the block (the opening fence's marks at its indentation), or
    ``None``."""
    found = _open_fence(ctx) if ctx.language in _MARKDOWN else None
    if found is None:
        return None
    fence = found[1]
    return next((i for i, line in enumerate(lines[1:], 1) if line.rstrip() == fence), None)


@functools.lru_cache(maxsize=32)  # one derivation per cursor: the rules run at every line
def _in_markdown(ctx: Context) -> Context:
    found = _open_fence(ctx)
    if found is None or "\n" not in ctx.prefix[found[0].end() :]:
        return ctx  # no block open, or the cursor is on its opening fence's line
    opening, fence = found
    language = canonical(opening.group(2))
    if language not in extensions() or language in _NOT_CODE:
        return ctx
    # The next fence line closes the block, at its indentation, or the block is still being
    # written (that fence opens another one below).
    closing = FENCE_LINE.search(ctx.suffix)
    if closing is None or closing.group().rstrip() != fence:
        return ctx
    prefix = ctx.prefix[opening.end() + 1 :]
    suffix = ctx.suffix[: closing.start()]
    # The block is the whole file the rules read: its offset is its prefix's length.
    return replace(ctx, language=language, prefix=prefix, suffix=suffix, offset=len(prefix))
