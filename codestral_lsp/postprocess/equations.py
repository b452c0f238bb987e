"""Definitions by equations or clauses (Haskell and its kin, Prolog): a function is its
signature and the equations that name it at column 0, a predicate the clauses that name it
there; so a line at column 0 naming something else is the next definition, even with no
blank line before it."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator

from codestral_lsp.context import Context
from codestral_lsp.postprocess.brackets import is_comment_line
from codestral_lsp.postprocess.lines import HABIT_LINES, habit_lines, is_blank, lines_above

EQUATION_LANGUAGES = frozenset({"haskell", "purescript", "elm", "idris", "agda", "prolog"})
# Block comments, whose prose may start at column 0: Haskell's ``{- -}`` unless named here.
_BLOCK_COMMENTS = {"prolog": ("/*", "*/")}
# Declarations named by their keyword: a run of them (imports, one-line types) is one item.
_KEYWORD = re.compile(
    r"(import|data|type|newtype|class|instance|deriving|foreign|infix[lr]?|module|pattern"
    r"|port|default)\b"
)
# A definition's name: a variable, an operator in parentheses, or an infix operator's
# (``a // b = ...``, ``x `op` y = ...``).
_NAME = re.compile(r"\(([^\s()]+)\)|([a-z_][\w']*)")
_INFIX = re.compile(r"[a-z_][\w']*\s*([!#$%&*+./<>?@\\^|~:-]+|`[\w']+`)\s*[a-z_(\[]")
# Not operators being defined: ``=``, Haskell's signature ``::`` and Elm's, Idris's and
# Agda's ``:`` (``map : (a -> b) -> ...``), guards, arrows, as-patterns.
_RESERVED = frozenset({"=", "::", ":", "|", "->", "<-", "@", "~"})
# A Prolog clause's head (its functor, plain or quoted) or a directive (``:- module(…)``),
# directives all one item as imports are.
_PROLOG_NAME = re.compile(r"(:-)|([a-z]\w*|'(?:[^'\\]|\\.)*')")
# Items a file lists in runs: no sign that it writes definitions with no blank line between.
_LISTED = frozenset({"import", "module", ":-"})


def equation_cut(lines: list[str], ctx: Context) -> int | None:
    """In a language of equations, index of a line at column 0 that defines another name than
    the definition the answer is in (the cursor's, or the first one it starts): the next
    definition. Not where the file itself puts definitions one right under another."""
    language = ctx.language
    if language not in EQUATION_LANGUAGES:
        return None
    name = _column_name(lines[0], language)
    if name is None and ctx.line_prefix[:1].isspace():
        name = _enclosing_name(ctx)
    # Whether the definition the answer is in runs over lines (the cursor's own is indented).
    spans = ctx.line_prefix[:1].isspace()
    notes = None  # where the comment lines right above a line begin
    for i in range(1, len(lines)):
        line = lines[i]
        found = _column_name(line, language)
        if found is None:
            notes = (i if notes is None else notes) if _is_comment(line, language) else None
            spans = spans or not (is_blank(line) or _is_comment(line, language))
            continue
        if name is not None and found != name:
            one_line, longer = _adjacent_definitions(ctx)
            if longer if spans else one_line:
                return None  # the file writes such definitions one under another
            return i if notes is None else notes  # its doc comment goes with it
        name, notes, spans = found, None, False
    return None


def _column_name(line: str, language: str) -> str | None:
    """What a line defines when it starts at column 0 (:func:`_name`), else ``None``."""
    return _name(line, language) if not is_blank(line) and not line[:1].isspace() else None


def _name(line: str, language: str) -> str | None:
    """What a line at column 0 defines (a declaration's keyword stands for it); ``None`` for
    a comment or a line that defines nothing."""
    if _is_comment(line, language):
        return None
    if language == "prolog":
        head = _PROLOG_NAME.match(line)
        return None if head is None else head.group(1) or head.group(2)
    keyword = _KEYWORD.match(line)
    if keyword:
        return keyword.group(1)
    infix = _INFIX.match(line)
    if infix and infix.group(1) not in _RESERVED:
        return infix.group(1)
    found = _NAME.match(line)
    return None if found is None else found.group(1) or found.group(2)


def _is_comment(line: str, language: str) -> bool:
    return is_comment_line(line, language) or line.startswith(_block_comment(language)[0])


def _block_comment(language: str) -> tuple[str, str]:
    return _BLOCK_COMMENTS.get(language, ("{-", "-}"))


def _names(lines: list[str], language: str) -> Iterator[str | None]:
    """What each line defines (:func:`_column_name`), ``None`` inside a block comment (a doc
    comment's prose at column 0 is no definition)."""
    opening, closing = _block_comment(language)
    inside = False
    for line in lines:
        if inside or line.startswith(opening):
            inside = closing not in (line if inside else line[len(opening) :])
            yield None
        else:
            yield _column_name(line, language)


def _enclosing_name(ctx: Context) -> str | None:
    """The name of the definition the cursor's indented line is in: its nearest line at
    column 0 above."""
    for line in itertools.islice(lines_above(ctx), HABIT_LINES):
        if not is_blank(line) and not line[:1].isspace():
            return _name(line, ctx.language)
    return None


@functools.lru_cache(maxsize=32)  # one scan per cursor: the rules run at every streamed chunk
def _adjacent_definitions(ctx: Context) -> tuple[bool, bool]:
    """Whether the prompt up to the cursor has a definition right under one of another name
    with no blank line between: after a one-line one (``bounds = primBounds`` over
    ``indices = range . bounds``), and after one over several lines. A file may put its
    one-liners together (Prolog's ``is_true(G) :- ...`` over ``is_false(G) :- ...``) and
    still part its longer definitions; each habit judges answers of its kind. Imports,
    directives and the module line do not count."""
    lines = habit_lines(ctx)
    found = [False, False]
    current, spans = None, False
    for line, name in zip(lines, _names(lines, ctx.language), strict=True):
        if is_blank(line):
            current = None
        elif name is None:
            spans = spans or (current is not None and line[:1].isspace())
        else:
            if current and name != current and {current, name}.isdisjoint(_LISTED):
                found[spans] = True
            current, spans = name, False
    return found[0], found[1]
