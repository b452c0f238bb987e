"""The C preprocessor's conditionals. An answer's ``#endif`` that closes a ``#if`` the code above
left open, one the code below does not close itself, is owed: it is neither a re-typing of the
``#endif`` below nor a loop when it follows another ``#endif``."""

from __future__ import annotations

import re
from collections.abc import Iterable

from codestral_lsp.context import Context

# Languages whose files use ``#if``/``#endif`` (C#'s conditionals are the same); an unnamed
# language too, as such a line says what it is.
LANGUAGES = frozenset(
    {"c", "cpp", "objective-c", "objective-cpp", "cuda", "cuda-cpp", "csharp", "hlsl", "glsl", ""}
)
_CONDITIONAL = re.compile(r"^[ \t]*#[ \t]*(if|ifdef|ifndef|endif)\b", re.MULTILINE)


def owed_endifs(lines: list[str], ctx: Context) -> frozenset[int]:
    """Indices of the answer's lines (the first one with the cursor line's text before it)
    that are owed ``#endif`` lines."""
    if ctx.language not in LANGUAGES or not any(_is_endif(line) for line in lines):
        return frozenset()
    above = ctx.prefix[: len(ctx.prefix) - len(ctx.line_prefix)]
    below = ctx.suffix[len(ctx.line_suffix) :]
    open_above = _still_open(_steps(above))
    needed_below = -min([0, *_running(_steps(below))])
    owed: set[int] = set()
    depth = open_above
    for i, line in enumerate(lines):
        for step in _steps(line):
            depth += step
            if step < 0 and depth >= needed_below:
                owed.add(i)
    return frozenset(owed)


def _is_endif(line: str) -> bool:
    return any(step < 0 for step in _steps(line))


def _steps(text: str) -> list[int]:
    return [-1 if m.group(1) == "endif" else 1 for m in _CONDITIONAL.finditer(text)]


def _still_open(steps: Iterable[int]) -> int:
    """Conditionals opened in the code and not closed; an ``#endif`` of one opened before
    the code's start (the prompt is trimmed) does not count against later ones."""
    depth = 0
    for step in steps:
        depth = max(0, depth + step)
    return depth


def _running(steps: Iterable[int]) -> list[int]:
    depth, seen = 0, []
    for step in steps:
        depth += step
        seen.append(depth)
    return seen
