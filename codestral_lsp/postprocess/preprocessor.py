"""The C preprocessor's conditionals. An answer's ``#endif`` that closes a ``#if`` the code above
left open, one the code below does not close itself, is owed: it is neither a re-typing of the
``#endif`` below nor a loop when it follows another ``#endif``."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable

from codestral_lsp.context import Context
from codestral_lsp.postprocess.lines import habit_lines

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
    open_above, needed_below = _depths(ctx)
    owed: set[int] = set()
    depth = open_above
    for i, line in enumerate(lines):
        for step in _steps(line):
            depth += step
            if step < 0 and depth >= needed_below:
                owed.add(i)
    return frozenset(owed)


def copied_endif_cut(lines: list[str], ctx: Context, final: bool) -> int | None:
    """Index of the first line of a copy of the prompt's lines that ends with an ``#endif``
    closing a conditional the code below closes itself: after the ``}`` and ``#endif`` that
    end a header's C++ guard, ``extern "C" {`` and ``#endif`` again, copied from its start.
    Such an ``#endif`` would leave the code below's own one unmatched. The copy is the
    lines right above it (no conditional among them) that stand so in the prompt. Judged
    on the whole answer only, when it closes more than the code below leaves it (a later
    ``#if`` of the answer may be what the code below closes), and where the prompt holds
    the file's start: a trimmed one hides conditionals open above (the include guard,
    whose ``#endif`` the code below holds)."""
    if not final or ctx.language not in LANGUAGES or ctx.offset != len(ctx.prefix):
        return None
    steps = [_steps(line) for line in lines]
    depth, needed_below = _depths(ctx)
    if depth + sum(map(sum, steps)) >= needed_below:
        return None
    for i, here in enumerate(steps):
        for step in here:
            depth += step
            if step < 0 and depth < needed_below:
                return _copy_start(lines, i, ctx)
    return None


def _copy_start(lines: list[str], end: int, ctx: Context) -> int | None:
    """The first of the lines right above ``end`` (no conditional among them) that stand so,
    with it, in the prompt; ``None`` when the line above it does not."""
    above = "\n" + ctx.above_line
    start = end
    while start > 1 and not _steps(lines[start - 1]):
        if "\n" + "\n".join(lines[start - 1 : end + 1]) + "\n" not in above:
            break
        start -= 1
    return start if start < end else None


@functools.lru_cache(maxsize=32)  # one read per cursor: the rules run at every streamed chunk
def _depths(ctx: Context) -> tuple[int, int]:
    """The conditionals the code above leaves open, and those the code below closes."""
    above = ctx.above_line
    below = ctx.suffix[len(ctx.line_suffix) :]
    return _still_open(_steps(above)), -min([0, *_running(_steps(below))])


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


# Directives after which code at column 0 is another kind of item (not a conditional's body,
# as after ``#if``; not what follows ``#endif``, the code the conditional interrupted; not
# what a ``#pragma`` applies to).
_ITEM_DIRECTIVE = re.compile(r"#[ \t]*(?:define|undef|include|import)\b")
_KIND_LANGUAGES = frozenset({"c", "cpp", "objective-c", "objective-cpp", "cuda", "cuda-cpp"})


def directive_end_cut(lines: list[str], ctx: Context) -> int | None:
    """In C and its kin, index of a line of code at column 0 that the answer writes right under
    a whole ``#define`` or ``#include`` (``#define GUARD`` then ``struct s {``): a
    change of kind with no blank line between is the next item. Not where the prompt itself
    puts code right under such a directive."""
    if ctx.language not in _KIND_LANGUAGES:
        return None
    for i, (upper, lower) in enumerate(_pairs(lines), start=1):
        if upper and _kind_change(upper, lower):
            return None if _habit(ctx) else i
    return None


def _pairs(lines: list[str]) -> list[tuple[str, str]]:
    """Each answer line with the one before it, the one before blanked while a directive runs
    on over lines (its last line ends it)."""
    out, continued = [], False
    for upper, lower in itertools.pairwise(lines):
        ends = upper.rstrip().endswith("\\")
        out.append(("" if continued or ends else upper, lower))
        continued = ends and (continued or upper.lstrip().startswith("#"))
    return out


def _kind_change(upper: str, lower: str) -> bool:
    code = lower.strip()
    at_column_0 = bool(code) and not lower[:1].isspace()
    structural = code[:1] in "#/{}*" or not at_column_0
    return _ITEM_DIRECTIVE.match(upper.lstrip()) is not None and not structural


@functools.lru_cache(maxsize=32)  # one read per cursor: the rules run at every streamed chunk
def _habit(ctx: Context) -> bool:
    """Whether the prompt puts code at column 0 right under such a directive."""
    return any(_kind_change(upper, lower) for upper, lower in _pairs(habit_lines(ctx)))
