"""Line helpers shared by the rules: indentation, the lines after the cursor, closer lines."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from itertools import islice

from codestral_lsp.context import Context

# What starts a line comment or a block comment in the common languages (``//``, ``#``,
# ``--``, ``;``, ``/*``), for rules that leave prose alone.
COMMENT_MARK = r"(?://|#|--|;|/\*)"
# Languages whose line comments start with ``#`` (elsewhere `` #`` is a colour, a directive).
HASH_COMMENTS = frozenset({
    "python", "shellscript", "ruby", "perl", "r", "yaml", "toml",
    "makefile", "dockerfile", "cmake", "elixir", "julia", "powershell", "nim",
    "coffeescript", "crystal", "tcl", "properties", "ini", "conf", "",
})  # fmt: skip
# The shells' language ids.
SHELLS = frozenset({"shellscript"})
# Style sheets: their definitions are rules, their lines end with a declaration's ``;`` or a
# rule's ``}``.
STYLE_SHEETS = frozenset({"css", "scss", "less"})
# A ``{`` on a line of its own: the file puts a block's brace below its head (Allman style).
_ALLMAN = re.compile(r"^[ \t]*\{[ \t]*$", re.MULTILINE)
# A line ending with one of these goes on after a line break: an operand or item is due.
GOES_ON = re.compile(r"[-=+*/%&|^<>!~,.(\[{\\]$")
# ... unless the ``>`` ends a markup tag (``<ul class="menu">``, ``</li>``, ``<br/>``).
_TAG_END = re.compile(r"<(?:/?[A-Za-z][^<>]*)?>$")
# Closing brackets, maybe a call of what they close (Go's ``}()``, an IIFE's ``})();``), then
# maybe a ``;``, ``,`` or (Erlang's) ``.``.
_PUSH_DOWN = re.compile(r"\n[ \t]*\Z")
_CLOSER_LINE = re.compile(r"^\s*[)\]}]+(?:\(\)[)\]}]*)?[;,.]?\s*$")


def goes_on(line: str) -> bool:
    """Whether ``line`` (its end trimmed) plainly goes on after a line break (:data:`GOES_ON`),
    not when it ends with a markup tag."""
    return bool(GOES_ON.search(line)) and not _TAG_END.search(line)


def is_blank(line: str) -> bool:
    """True for an empty or whitespace-only line."""
    return not line.strip()


def indentation(line: str) -> str:
    """The spaces and tabs ``line`` starts with."""
    return line[: len(line) - len(line.lstrip(" \t"))]


def is_closer(line: str) -> bool:
    """True for a line holding only closing brackets (``}``, ``});``, ``]``, ``}()``)."""
    return bool(_CLOSER_LINE.match(line))


def without_push_down(text: str) -> str:
    """``text`` without the line break and indentation that end an answer written in front of
    code on the cursor's line (they put that code on a line of its own below the answer)."""
    return _PUSH_DOWN.sub("", text)


def unix_breaks(text: str) -> str:
    """``text`` with CRLF and lone CR line breaks as ``\n``: suggestions are cleaned in
    ``\n``, and a model answering a CR-only file may break its lines its way too."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def without_torn_line(text: str) -> str:
    """An answer cut at ``max_tokens``, without its last line (which may stop mid-way) when a
    complete line comes before it: ``x = 1\ny = compu`` gives ``x = 1\n``."""
    body = len(text) - len(text.lstrip("\r\n"))
    end = max(text.rfind("\n"), text.rfind("\r"))
    return text[: end + 1] if end >= body else text


def lines_after_cursor(ctx: Context) -> list[str]:
    """The suffix's lines after the cursor's own line (the code the suggestion runs into)."""
    rest = ctx.suffix[len(ctx.line_suffix) :]
    if rest.startswith("\r\n"):
        rest = rest[2:]
    elif rest[:1] in ("\n", "\r"):
        rest = rest[1:]
    return unix_breaks(rest).split("\n") if rest else []


@functools.lru_cache(maxsize=32)  # one read per cursor: the rules run at every streamed line
def code_line_below(ctx: Context) -> str | None:
    """The first non-blank line after the cursor's line (``None`` when there is none): the
    code the answer runs into."""
    return next((line for line in lines_after_cursor(ctx) if not is_blank(line)), None)


def last_code_line(ctx: Context) -> str:
    """The last non-blank line before the cursor's line (``""`` when there is none)."""
    return next(iter(code_lines_above(ctx, 1)), "")


def lines_above(ctx: Context) -> Iterator[str]:
    """The lines before the cursor's line, nearest first."""
    end = len(ctx.prefix) - len(ctx.line_prefix)
    while end > 0:
        start = ctx.prefix.rfind("\n", 0, end - 1) + 1
        yield ctx.prefix[start : end - 1].rstrip("\r")
        end = start


def code_lines_above(ctx: Context, count: int) -> list[str]:
    """The last ``count`` non-blank lines before the cursor's line, nearest first."""
    return list(islice((line for line in lines_above(ctx) if not is_blank(line)), count))


# How far up the prompt the rules read for the file's habits (definitions one right under
# another, code right under a ``#define``).
HABIT_LINES = 200


def habit_lines(ctx: Context) -> list[str]:
    """The prompt's last :data:`HABIT_LINES` lines up to the cursor, in order, line ends as
    ``\n``: where a rule reads how this file writes its code."""
    return recent_lines(unix_breaks(ctx.prefix), HABIT_LINES).split("\n")


def recent_lines(text: str, count: int) -> str:
    """The last ``count`` lines of ``text`` (all of it when it has fewer)."""
    start = len(text)
    for _ in range(count):
        start = text.rfind("\n", 0, start)
        if start < 0:
            return text
    return text[start + 1 :]


def enclosing_lines(ctx: Context) -> Iterator[str]:
    """The lines that open the blocks around the cursor's line, innermost first: each is the
    nearest code line above the one before that is less indented (as far as the prompt shows)."""
    level = ctx.indent(ctx.line_prefix)
    for line in lines_above(ctx):
        if not level:
            return
        if not is_blank(line) and ctx.indent(line) < level:
            level = ctx.indent(line)
            yield line


@functools.lru_cache(maxsize=32)  # one read per cursor: the rules run at every streamed chunk
def uses_allman(ctx: Context) -> bool:
    """Whether the file puts a block's ``{`` on a line of its own, below its head: a line of
    the prompt, above or below the cursor, holds only a ``{``."""
    return _ALLMAN.search(ctx.prefix) is not None or _ALLMAN.search(ctx.suffix) is not None
