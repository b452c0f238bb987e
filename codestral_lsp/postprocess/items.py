"""Top-level items in brace languages, whose items start with no keyword (C's ``int f(void)``,
``typedef struct s {``, ``extern "C" {``): once the answer has finished one at column 0, code
starting at column 0 right under it is the next item, a run-on, unless the file writes its
items that way. Objective-C's class declarations hold methods and properties, not types."""

from __future__ import annotations

import functools
import itertools
import re

from codestral_lsp.context import Context
from codestral_lsp.postprocess.lines import habit_lines, is_closer
from codestral_lsp.postprocess.scope import one_line_item

LANGUAGES = frozenset({
    "c", "cpp", "objective-c", "objective-cpp", "cuda", "cuda-cpp", "d", "java", "csharp",
    "javascript", "javascriptreact", "typescript", "typescriptreact", "go", "rust", "kotlin",
    "swift", "php", "solidity", "zig", "dart", "scala", "groovy",
})  # fmt: skip
# What a line at column 0 right under a finished item may start with and still belong to it:
# a directive, a comment, a closer, or the next part of the same statement (``else``).
_NOT_AN_ITEM = re.compile(r"[#/*)\]}.,:;?|&+=<>-]|(?:else|catch|finally|while)\b")
# Objective-C's end of an ``@interface`` or ``@implementation``.
_OBJC_END = re.compile(r"@end\b")


def next_item_cut(lines: list[str], ctx: Context) -> int | None:
    """Index of a line that starts the next top-level item right under one the answer
    finished: under a closer at column 0 (``}``, ``};``, ``} name;``, ``@end``), any code at
    column 0 but a one-line declaration (``typedef NSUInteger Name;`` after an ``enum``'s
    ``};`` goes with it); under a whole one-line declaration (``@class NSURL;``), a block
    item (``enum {``). Not inside a preprocessor branch the answer opened (``#else``, then
    another ``@interface``), nor where the prompt itself does the same."""
    if ctx.language not in LANGUAGES:
        return None
    depth = 0
    for i, (upper, lower) in enumerate(itertools.pairwise(lines), start=1):
        depth = _branch_depth(depth, upper)
        if (i > 1 or not ctx.line_prefix.strip()) and not depth:
            kind = _kind(upper, lower)
            if kind and kind not in _habit(ctx):
                return i
    return None


_CONDITIONAL = re.compile(r"#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b")


def _branch_depth(depth: int, line: str) -> int:
    """How many preprocessor branches are open after ``line``: an ``#if`` opens one, an
    ``#else`` or ``#elif`` of a conditional opened above the answer too, ``#endif`` closes."""
    found = _CONDITIONAL.match(line.lstrip())
    if found is None:
        return depth
    word = found.group(1)
    if word == "endif":
        return max(0, depth - 1)
    return depth + 1 if word.startswith("if") or not depth else depth


def _kind(upper: str, lower: str) -> str:
    """Which run-on ``lower`` under ``upper`` would be: ``"closer"``, ``"declaration"`` or
    ``""`` for none."""
    if not _at_column_0(upper) or not _at_column_0(lower) or _NOT_AN_ITEM.match(lower):
        return ""
    if is_closer(upper) or _closes_named(upper) or _OBJC_END.match(upper):
        return "" if one_line_item(lower) else "closer"
    if one_line_item(upper) and lower.rstrip().endswith("{"):
        return "declaration"
    return ""


def _at_column_0(line: str) -> bool:
    return bool(line.strip()) and not line[:1].isspace()


_NAMED_CLOSER = re.compile(r"^\}\s*\w+(?:\s*,\s*\*?\w+)*\s*;\s*$")


def _closes_named(line: str) -> bool:
    """A ``typedef``'s end: ``} name;``, ``} name, *pname;``."""
    return _NAMED_CLOSER.match(line) is not None


@functools.lru_cache(maxsize=32)  # one read per cursor: the rules run at every streamed chunk
def _habit(ctx: Context) -> frozenset[str]:
    """The kinds of run-on the prompt itself writes."""
    return frozenset(_kind(upper, lower) for upper, lower in itertools.pairwise(habit_lines(ctx)))


# An Objective-C class or protocol declaration's start (not a forward ``@protocol P;``, nor
# one ended on its line), and its end.
_OBJC_CONTAINER = re.compile(r"@(?:interface|protocol)\b(?![^\n]*(?:;|@end)\s*$)")
_OBJC_CONTAINER_LINE = re.compile(r"^(?:@(?:interface|protocol)\b|@end\b)", re.MULTILINE)
# A C type declared with a body at column 0: ``enum {``, ``typedef enum {``, ``struct s {``.
_C_TYPE = re.compile(r"(?:typedef\s+)?(?:enum|struct|union|NS_ENUM|NS_OPTIONS)\b")


def objc_type_cut(lines: list[str], ctx: Context) -> int | None:
    """In Objective-C, index of a line declaring a C type at column 0 (``enum {``,
    ``typedef enum {``) inside an ``@interface`` or ``@protocol`` still open (the prompt's
    or one the answer starts): a class declares methods and properties, and its header
    declares its types outside it, so the answer went on past the class's last method."""
    if ctx.language not in ("objective-c", "objective-cpp"):
        return None
    inside = _objc_container_open(ctx)
    for i, line in enumerate(lines):
        if i and inside and _C_TYPE.match(line):
            return i
        if _OBJC_END.match(line):
            inside = False
        elif _OBJC_CONTAINER.match(line):
            inside = True
    return None


@functools.lru_cache(maxsize=32)  # one read per cursor: the rules run at every streamed chunk
def _objc_container_open(ctx: Context) -> bool:
    """Whether the prompt above the cursor's line leaves an ``@interface`` or ``@protocol``
    open at column 0."""
    above = ctx.above_line
    found = list(_OBJC_CONTAINER_LINE.finditer(above))
    if not found:
        return False
    start = found[-1].start()
    return _OBJC_CONTAINER.match(above[start : above.find("\n", start)]) is not None
