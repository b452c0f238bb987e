"""Which triple-quoted string (a docstring, an Elixir heredoc, a text block) a window of the
prompt starts inside: a scan of the window alone would read the string's closing quotes as
an opening and everything after them as text."""

from __future__ import annotations

import functools
import re

from codestral_lsp.context import Context
from codestral_lsp.languages import SINGLE_TRIPLES
from codestral_lsp.postprocess.lines import recent_lines

_TRIPLES = re.compile(r"\"\"\"|'''")
_DOUBLE_TRIPLES = re.compile(r'"""')
# Where a heredoc or text block opens only at the end of a line of code (``@doc """``,
# ``String s = """``): one alone on its line closes.
_AFTER_CODE = frozenset({"elixir", "java", "swift"})
# What may follow closing quotes on their line: nothing, or the code the string is part of.
_CLOSED_BY = re.compile(r"[ \t]*(?:[),.;\]}\n]|$)")
# What ends the text before opening quotes: an operator or bracket, or a string prefix.
_OPENED_AFTER = re.compile(r"(?:[=(,\[{+%:]|(?:^|[\s=(,\[{+])[rRbBuUfF]{1,2})[ \t]*$")


def recent_code(text: str, count: int, ctx: Context) -> str:
    """The last ``count`` lines of ``text`` (the prefix, or its start), to be scanned: where the
    text before them leaves a triple-quoted string open, they start with its quotes, so that
    the scan starts inside it as the file does. The text before them is read from the
    prompt's start, and where the prompt itself was trimmed, from what its first triple quote
    shows (:func:`window_start_quote`)."""
    recent = recent_lines(text, count)
    before = window_start_quote(ctx) + text[: len(text) - len(recent)]
    return _open_triple(before, ctx.language in SINGLE_TRIPLES) + recent


def _open_triple(text: str, single: bool) -> str:
    """The triple quote ``text`` leaves open, counting its triple quotes in order, or ``""``."""
    found = _TRIPLES if single else _DOUBLE_TRIPLES
    quote = ""
    for mark in found.findall(text):
        quote = "" if mark == quote else quote or mark
    return quote


@functools.lru_cache(maxsize=32)  # one read per cursor: the rules run at every streamed line
def window_start_quote(ctx: Context) -> str:
    """The triple quote a prompt trimmed from the file's start begins inside, or ``""``: where
    its first triple quote closes a string. In Elixir, Java and Swift one alone on its line
    does. In Python one that ends its line (or is followed by the code the string is part of)
    closes unless an operator, bracket or string prefix stands before it (``x = \"\"\"``), or
    it stands alone under a ``def`` or ``class`` line (a docstring's opening)."""
    if ctx.offset <= len(ctx.prefix) or ctx.language not in (*_AFTER_CODE, "python"):
        return ""
    first = (_TRIPLES if ctx.language == "python" else _DOUBLE_TRIPLES).search(ctx.prefix)
    if first is None:
        return ""
    prefix = ctx.prefix
    line_start = prefix.rfind("\n", 0, first.start()) + 1
    before = prefix[line_start : first.start()]
    if ctx.language != "python":
        return first.group() if not before.strip() else ""
    if not _CLOSED_BY.match(prefix, first.end()) or _opens(prefix, first):
        return ""
    if before.strip() or prefix[:line_start].strip():
        return first.group()
    # The window starts at the quotes: the next ones tell, as they close what these open or
    # open what follows the code these end (a docstring under its ``def``).
    following = _TRIPLES.search(prefix, first.end())
    return first.group() if following is not None and _opens(prefix, following) else ""


def _opens(prefix: str, quotes: re.Match[str]) -> bool:
    """Whether the triple ``quotes`` in ``prefix`` open a string: after an operator, bracket
    or string prefix (``x = \"\"\"``), or alone under a line ending with ``:`` (a docstring
    under its ``def`` or ``class``)."""
    line_start = prefix.rfind("\n", 0, quotes.start()) + 1
    before = prefix[line_start : quotes.start()]
    if _OPENED_AFTER.search(before):
        return True
    return not before.strip() and _under_head(prefix[:line_start].rstrip(), before)


def _under_head(above: str, indent: str) -> bool:
    """Whether quotes at ``indent`` alone on their line stand under a ``def`` or ``class``
    line ending ``above``: one ending with ``:`` less indented (not a docstring's ``Returns:``
    / ``bool:`` before its closing quotes)."""
    head = above[above.rfind("\n") + 1 :]
    return head.endswith(":") and len(head) - len(head.lstrip()) < len(indent)
