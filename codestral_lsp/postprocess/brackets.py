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

    Deliberately small: no comments; a one-quote string ends at its line's end, a triple-quoted
    one at its closing quotes. It only has to be right on a few lines of code plus a
    suggestion, and every doubt makes
    :func:`replace_length` answer 0 (insert).
    """

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.quote = ""
        self.broken = False

    def feed(self, code: str, lenient: bool = False) -> Scan:
        """Read ``code``; returns ``self``. ``lenient`` code (the prefix, whose start is cut
        off) may close brackets opened before it; elsewhere that marks the scan ``broken``."""
        i = 0
        while i < len(code):
            char = code[i]
            if self.quote:
                i = self._in_string(code, i)
                continue
            if char in QUOTES:
                triple = code[i : i + 3] == char * 3
                self.quote = char * 3 if triple else char
                i += 3 if triple else 1
                continue
            if char in OPENERS:
                self.stack.append(char)
            elif char in CLOSERS:
                self._close(char, lenient)
            i += 1
        return self

    def _in_string(self, code: str, i: int) -> int:
        """Advance through string text from ``i``; returns the next index to read."""
        char = code[i]
        if char == "\\":
            return i + 2
        if char == "\n" and len(self.quote) == 1:
            self.quote = ""
        elif code.startswith(self.quote, i):
            i += len(self.quote) - 1
            self.quote = ""
        return i + 1

    def _close(self, char: str, lenient: bool) -> None:
        opener = CLOSERS[char]
        if self.stack and self.stack[-1] == opener:
            self.stack.pop()
        elif lenient:
            if opener in self.stack:
                del self.stack[len(self.stack) - 1 - self.stack[::-1].index(opener) :]
        else:
            self.broken = True


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
    line = Scan().feed(ctx.line_prefix + text)
    above = ctx.prefix[: len(ctx.prefix) - len(ctx.line_prefix)]
    if line.broken:
        # The suggestion closes brackets opened on earlier lines: read those lines too.
        line = Scan().feed(_recent_lines(above), lenient=True).feed(ctx.line_prefix + text)
        if line.broken:
            return 0
        stack = line.stack
    else:
        stack = Scan().feed(_recent_lines(above), lenient=True).stack + line.stack
    if _fits(tail, stack, line.quote):
        return 0
    for size in range(len(tail), 0, -1):
        if text.endswith(tail[:size]) and _fits(tail[size:], stack, line.quote):
            return size
    return 0


def _fits(rest: str, stack: list[str], quote: str) -> bool:
    """Whether the line tail ``rest`` closes exactly what is open (the string, then brackets
    innermost first), with nothing left over; other punctuation always fits."""
    stack = list(stack)
    i = 0
    while i < len(rest):
        char = rest[i]
        if quote:
            if not rest.startswith(quote, i):
                return False
            i += len(quote)
            quote = ""
            continue
        if char in QUOTES:
            return False
        if char in CLOSERS and (not stack or stack.pop() != CLOSERS[char]):
            return False
        i += 1
    return True
