"""Auto-closed brackets and quotes after the cursor.

Editors insert the closer as the user types the opener, so the line often reads ``print(|)`` or
``x = ["|"]``. When the suggestion itself closes what the tail closes, showing it as an insert
would double the closer. Instead of cutting the suggestion, the item *replaces* that much of the
line tail (Tabby's "replace to line end"): :func:`replace_length` says how many characters.
"""

from __future__ import annotations

import re

from codestral_lsp.context import Context

OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = {v: k for k, v in OPENERS.items()}
QUOTES = "\"'`"
CONTEXT_LINES = 12
_PUNCT_TAIL = re.compile(r"^\W*$")


class Scan:
    """Open brackets and the open string after reading some code left to right.

    Deliberately small: no comments, no raw strings. It only has to be right on one line of
    code plus a suggestion, and every doubt makes :func:`replace_length` answer 0 (insert).
    """

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.quote = ""
        self.broken = False

    def feed(self, code: str) -> Scan:
        """Read ``code``; returns ``self``."""
        escaped = False
        for char in code:
            if self.quote:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == self.quote:
                    self.quote = ""
            elif char in QUOTES:
                self.quote = char
            elif char in OPENERS:
                self.stack.append(char)
            elif char in CLOSERS:
                if self.stack and self.stack[-1] == CLOSERS[char]:
                    self.stack.pop()
                else:
                    self.broken = True
        return self

    def needs(self, char: str) -> bool:
        """Whether ``char`` from the line tail closes something still open."""
        if self.quote:
            return char == self.quote
        if char in CLOSERS:
            return bool(self.stack) and self.stack[-1] == CLOSERS[char]
        return False


def punctuation_tail(ctx: Context) -> str:
    """The rest of the cursor's line when it is only punctuation (``)``, ``");``), else ``""``."""
    tail = ctx.line_suffix.rstrip()
    return tail if tail and _PUNCT_TAIL.match(tail) else ""


def _recent_lines(prefix: str) -> str:
    start = len(prefix)
    for _ in range(CONTEXT_LINES):
        start = prefix.rfind("\n", 0, start)
        if start < 0:
            return prefix
    return prefix[start + 1 :]


def replace_length(text: str, ctx: Context) -> int:
    """How many characters after the cursor the suggestion should replace (0: insert).

    Non-zero when the line tail is punctuation only and the suggestion ends by typing the
    start of that tail again although the code before it no longer needs it: replacing keeps
    one copy instead of two. ``print(|)`` + ``x)`` replaces the ``)``; ``f(|)`` + ``g(x)``
    does not (that ``)`` closes ``g(``, the tail's still closes ``f(``).
    """
    tail = punctuation_tail(ctx)
    if not tail or not text or text[-1:].isspace():
        return 0
    scan = Scan().feed(ctx.line_prefix + text)
    if scan.broken:
        # The opener may sit on an earlier line of a call spread over several lines.
        scan = Scan().feed(_recent_lines(ctx.prefix) + text)
        if scan.broken:
            return 0
    for size in range(len(tail), 0, -1):
        head = tail[:size]
        if text.endswith(head) and not any(scan.needs(c) for c in head if not c.isspace()):
            return size
    return 0
