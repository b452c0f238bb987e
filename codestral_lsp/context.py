"""Cursor to prompt: split the document at the cursor and trim both sides to a budget.

Everything here works on code-point offsets into the document text; the conversion from the
client's position encoding happens once, in the server, through pygls' document helpers.
"""

from __future__ import annotations

from dataclasses import dataclass

# Codestral's tokenizer averages ~3.5 characters a token on source code.
CHARS_PER_TOKEN = 3.5
PREFIX_TOKENS = 1650
SUFFIX_TOKENS = 450


@dataclass(frozen=True, slots=True)
class Context:
    """What the model sees of one cursor position, plus the line around the cursor."""

    uri: str
    offset: int
    prefix: str
    suffix: str
    line_prefix: str
    line_suffix: str
    language: str = ""
    path: str = ""
    version: int | None = None

    @property
    def word_before(self) -> str:
        """The identifier characters right before the cursor (the word being typed)."""
        i = len(self.line_prefix)
        while i > 0 and (self.line_prefix[i - 1].isalnum() or self.line_prefix[i - 1] == "_"):
            i -= 1
        return self.line_prefix[i:]


def token_budget_chars(tokens: int) -> int:
    """Characters that fit an estimated token budget."""
    return int(tokens * CHARS_PER_TOKEN)


def trim_prefix(text: str, budget: int) -> str:
    """At most ``budget`` characters from the end, starting at a line boundary if possible."""
    if len(text) <= budget:
        return text
    start = len(text) - budget
    window = text[start:]
    if text[start - 1] == "\n":
        return window
    cut = window.find("\n")
    # One enormous line (minified code): a mid-line cut is better than nothing.
    return window[cut + 1 :] if 0 <= cut < len(window) - 1 else window


def trim_suffix(text: str, budget: int) -> str:
    """At most ``budget`` characters from the start, ending at a line boundary if possible."""
    if len(text) <= budget:
        return text
    window = text[:budget]
    cut = window.rfind("\n")
    return window[: cut + 1] if cut > 0 else window


def build(
    text: str,
    offset: int,
    uri: str,
    *,
    language: str = "",
    path: str = "",
    version: int | None = None,
    prefix_chars: int = token_budget_chars(PREFIX_TOKENS),
    suffix_chars: int = token_budget_chars(SUFFIX_TOKENS),
) -> Context:
    """Split ``text`` at ``offset`` (code points) into a budgeted prefix and suffix."""
    offset = max(0, min(offset, len(text)))
    # Searches are bounded by the budgets so a 5 MB minified line costs no more than a short one.
    low = max(0, offset - prefix_chars)
    line_start = max(text.rfind("\n", low, offset), text.rfind("\r", low, offset), low - 1) + 1
    line_end = _line_end(text, offset, min(len(text), offset + suffix_chars))
    # Only the windows are sliced: no copy of the whole document per keystroke.
    prefix = trim_prefix(text[max(0, offset - prefix_chars - 1) : offset], prefix_chars)
    suffix = trim_suffix(text[offset : offset + suffix_chars + 1], suffix_chars)
    return Context(
        uri=uri,
        offset=offset,
        prefix=prefix,
        suffix=suffix,
        line_prefix=text[line_start:offset],
        line_suffix=text[offset:line_end],
        language=language,
        path=path,
        version=version,
    )


def _line_end(text: str, offset: int, high: int) -> int:
    ends = [i for i in (text.find("\n", offset, high), text.find("\r", offset, high)) if i >= 0]
    return min(ends) if ends else high
