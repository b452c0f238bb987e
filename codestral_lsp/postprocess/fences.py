"""A Markdown code fence around the answer: a model that slips into chat form (```` ```python
````, the code, ```` ``` ````) while the file is code, where a fence line is a syntax error."""

from __future__ import annotations

import re

from codestral_lsp.context import Context

# Files in which a fence is text the user may well want.
FENCED_LANGUAGES = frozenset({"", "markdown", "mdx", "quarto", "rmd", "plaintext", "text"})
# The opening fence on the answer's first line, with an optional language tag.
_OPENING = re.compile(r"[ \t]*\n?[ \t]*(`{3,}|~{3,})[\w#+.-]*[ \t]*\n")
_FENCE_LINE = re.compile(r"^[ \t]*(?:`{3,}|~{3,})", re.MULTILINE)


def without_fence(text: str, ctx: Context) -> str:
    """The code inside a fence the answer opens with, when the cursor is in a code file and
    not inside a fenced block already (a docstring's example). The code's first line loses
    the cursor line's indentation it repeats; the closing fence and what follows it go."""
    opening = _OPENING.match(text)
    if opening is None or ctx.language in FENCED_LANGUAGES or _in_fence(ctx):
        return text
    fence = opening.group(1)
    body = text[opening.end() :]
    closing = re.search(rf"^[ \t]*{re.escape(fence)}[ \t]*$", body, re.MULTILINE)
    if closing is not None:
        body = body[: closing.start()].removesuffix("\n")
    if not ctx.line_prefix.strip():
        body = body.removeprefix(ctx.line_prefix)
    return body


def _in_fence(ctx: Context) -> bool:
    """Whether an odd number of fence lines comes before the cursor (an example inside a
    docstring or comment is open there)."""
    return len(_FENCE_LINE.findall(ctx.prefix)) % 2 == 1
