"""Fill-in-the-middle through a chat model: the hole-filling prompt and a strict extraction.

A chat endpoint has no ``suffix`` field, so the file goes into a message with a marker where
the cursor is, and the answer has to be cut back to the code that replaces the marker. Chat
models add things a FIM model never does: a sentence before the code, a fenced block, the
cursor's line (or the lines above it) typed again. :func:`extract` removes exactly those.
"""

from __future__ import annotations

import re
from typing import Any

HOLE = "<FILL_HERE>"

SYSTEM = (
    "You are a code completion engine inside an editor. The user sends a file in which "
    f"{HOLE} marks the cursor. Reply with only the code that replaces {HOLE}: no explanation, "
    "no markdown, no code fences, and do not repeat any code that is already before or after "
    f"{HOLE}. Keep the indentation of the surrounding code. If nothing belongs there, reply "
    "with nothing."
)

# A fenced block: the opening fence (with an optional language tag) on its own line.
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[^\n`]*\n", re.MULTILINE)
# A sentence that introduces or explains code rather than being code.
_INTRO = re.compile(
    r"^(here|sure|certainly|of course|okay|ok|the|this|that|to|you|i|below|above)\b[^\n]*$",
    re.IGNORECASE,
)
_CODE_CHARS = re.compile(r"[(){}\[\];=<>]|^\s")
# How many lines of the prefix a chat model typically types again.
MAX_REPEATED_LINES = 6
# The fewest characters of the prefix's lines above the cursor's that tell the answer's copy
# of them.
MIN_COPIED_CHARS = 6
# A line that only ends blocks.
_CLOSER = re.compile(r"(?:[)\]}]+[;,]?|end\b.*)$")


def messages(prefix: str, suffix: str, path: str = "") -> list[dict[str, Any]]:
    """The chat messages asking the model to fill the hole between ``prefix`` and ``suffix``."""
    name = f" {path}" if path else ""
    user = (
        f"File{name}:\n<FILE>\n{prefix}{HOLE}{suffix}\n</FILE>\n"
        f"Reply with only the code that replaces {HOLE}."
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def extract(answer: str, prefix: str) -> str:
    """The code of a chat answer that goes at the cursor (empty when there is none)."""
    text = answer.replace("\r\n", "\n")
    fenced = _fenced_block(text)
    text = fenced if fenced is not None else _drop_prose(text)
    text = text.replace(HOLE, "")
    return _drop_repeated_prefix(text, prefix)


def _fenced_block(text: str) -> str | None:
    """The body of the first fenced block (to its closing fence or the end of a cut answer)."""
    opening = _FENCE.search(text)
    if opening is None:
        return None
    fence = opening.group(1)
    body = text[opening.end() :]
    closing = re.search(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", body, re.M)
    return body[: closing.start()].removesuffix("\n") if closing else body.rstrip("\n")


def _is_prose(line: str) -> bool:
    """A sentence addressed to the reader: starts like one, ends like one, not indented.

    An introduction ending in a colon may quote code (``Here is `f(x)`:``); any other
    sentence must be free of code punctuation, so a code line is never taken for prose.
    """
    stripped = line.strip()
    if not stripped or line[0].isspace() or " " not in stripped or not _INTRO.match(stripped):
        return False
    if stripped.endswith(":"):
        return True
    return stripped[-1] in ".!" and not _CODE_CHARS.search(stripped)


def _drop_prose(text: str) -> str:
    """Remove a leading introduction and a trailing explanation (a paragraph of its own).

    An answer that is nothing but prose is kept: at a cursor inside a comment or docstring,
    prose is the completion.
    """
    lines = text.split("\n")
    while lines and _is_prose(lines[0]) and any(line.strip() for line in lines[1:]):
        lines.pop(0)
        while lines and not lines[0].strip():
            lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    while len(lines) >= 2 and _is_prose(lines[-1]) and not lines[-2].strip():
        lines.pop()
        while lines and not lines[-1].strip():
            lines.pop()
    code = "\n".join(lines)
    return code if code.strip() else text


def _telling(lines: list[str]) -> bool:
    """Whether lines above the cursor that an answer starts with say enough to be its copy,
    not code that goes on alike: closers (``end``, ``}``) and short lines are not, alone."""
    return not lines or any(
        len(line) >= MIN_COPIED_CHARS and not _CLOSER.match(line) for line in lines
    )


def _drop_repeated_prefix(text: str, prefix: str) -> str:
    """Remove the cursor's line (and lines above it) when the answer types them again."""
    before = prefix.split("\n")
    after = text.split("\n")
    for count in range(min(MAX_REPEATED_LINES, len(before), len(after)), 0, -1):
        tail = before[-count:]
        if not "".join(tail).strip():
            continue
        whole = [line.strip() for line in tail[:-1]]
        if [line.strip() for line in after[: count - 1]] != whole or not _telling(whole):
            continue
        partial = tail[-1].lstrip()
        line = after[count - 1]
        if not partial:
            # Only indentation before the cursor: keep the rest of the line's own indentation.
            indent = tail[-1]
            first = line[len(indent) :] if line.startswith(indent) else line
            return "\n".join([first, *after[count:]])
        if line.lstrip().startswith(partial):
            rest = line.lstrip()[len(partial) :]
            return "\n".join([rest, *after[count:]])
    line_prefix = before[-1]
    if line_prefix and text.startswith(line_prefix):
        return text[len(line_prefix) :]
    return text
