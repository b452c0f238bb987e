"""Suffix repetition: the model re-typing what already follows the cursor.

Two levels: within the cursor's line (the suggestion ends with the rest of the line), and line
level (a suggestion line reproduces the code below the cursor).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from codestral_lsp.context import NAME_PUNCTUATION, Context, is_word_char
from codestral_lsp.languages import DOUBLE_DOT, LISPS
from codestral_lsp.postprocess.brackets import (
    CLOSERS,
    NAME_CHAR,
    cost,
    innermost_opener,
    is_comment_line,
)
from codestral_lsp.postprocess.lines import (
    STYLE_SHEETS,
    code_line_below,
    code_lines_above,
    is_blank,
    is_closer,
    lines_after_cursor,
)

_WORD = re.compile(r"\w")
# The spaces after an opening bracket, then its first word and the spaces after that.
_AFTER_BRACKET = re.compile(r"\s*(\S*\s*)")
_WORD_START = re.compile(r"\w+")
_WORD_END = re.compile(r"\w+$")
# A partial re-typing of the line tail must be at least this long to count: shorter overlaps
# ("a", "x.") happen by chance in correct code.
MIN_PARTIAL_OVERLAP = 3
# A re-typing of the rest of the line that differs in spacing or quotes counts when the rest has
# this many characters besides spaces (``) {`` re-typed as ``){`` may be chance).
MIN_LOOSE_CHARS = 4
# Punctuation that is never typed twice in a row on purpose (``..`` outside ``...``, ``,,``),
# and ``:`` in the languages with no ``::`` (``type:`` before ``: String``, Vim script's ``b:``
# before ``:name``; not C++'s ``std::``, Python's ``a[::2]`` or CSS's ``::before``).
_NO_DOUBLE = (".", ",")
_NO_DOUBLE_COLON = frozenset({
    "javascript", "javascriptreact", "typescript", "typescriptreact", "vue", "svelte", "json",
    "jsonc", "go", "vim",
})  # fmt: skip
# Operators that never stand twice in a row apart (``x = = 1``, ``key: : v``,
# ``a == == b``, ``ok && && ready``), unlike ``==`` or ``::``.
_NO_SPACED_DOUBLE = frozenset({
    "=", ":", "==", "!=", "<=", ">=", "&&", "||", "=>", "->", "+=", "-=", "*=", "/=", ":=",
})  # fmt: skip
_OPERATOR_CHARS = "=!<>:+-*/%&|^~?."
_OPERATOR_CLASS = re.escape(_OPERATOR_CHARS)
_OPERATOR_RUN_START = re.compile(rf"[{_OPERATOR_CLASS}]+")
_OPERATOR_RUN_END = re.compile(rf"[{_OPERATOR_CLASS}]+$")
# The start of a reStructuredText directive's line (``.. versionadded:: 3.1``).
_RST_DIRECTIVE = re.compile(r"\s*\.\. ")
# Operators of the common languages (and markup's comment marks) made of those characters: a
# run of them that is none of these, nor written in the document, is no operator (``->->``,
# ``>==``).
_OPERATORS = frozenset({
    "=", "==", "===", "!=", "!==", "<", ">", "<=", ">=", "<=>", "+", "-", "*", "/", "%", "**",
    "++", "--", "+=", "-=", "*=", "/=", "%=", "**=", "//=", "&", "|", "^", "~", "&&", "||", "!",
    "<<", ">>", ">>>", "<<=", ">>=", ">>>=", "&=", "|=", "^=", "&&=", "||=", "->", "=>", "::",
    ":", "?", "??", "??=", "?.", "?:", ".", "..", "...", "..=", "..<", ":=", ":-", "|>", "<|",
    "<-", "<>", "=~", "!~", ".=", "//", "~=", ">=>", "<=<", "=<<", ":>", "<:", "::=", "!!",
    "^^", "<<<", "&&&", "***", "+++", "|||", "-->", "<!--", "==>", "<==", "<==>",
    "<--", "++=", "<<-", ">>>>", "///", "---", "%%", "!!!", "???",
})  # fmt: skip
# A line this long (and not a bare closer) is recognised whatever its indentation.
DISTINCT_LINE_CHARS = 8
# How far up a line is looked for before its copy below counts as a re-typing.
REPEAT_LINES_ABOVE = 20
# Statements after which nothing in the same block runs.
_TERMINAL = re.compile(r"(?:return|raise|throw|break|continue)\b(?!\s*[=.:,)\]])")
_PUNCT_SPACING = re.compile(r"\s*([^\w\s])\s*")
# A string's quote, which a short re-typing never holds (:func:`_doubled_token`).
_QUOTE = re.compile(r"[\"'`]")
# On the stream, a re-typing is only certain once this many distinct suffix lines came back in
# order (or all of them).
STREAM_MATCH_LINES = 3
# A line of closing tags (``</ul></p>``), and how many closing lines a re-typing may skip.
_CLOSING_TAGS = re.compile(r"^\s*(?:</[A-Za-z][\w.:-]*>\s*)+$")
_SKIPPED_CLOSERS = 2


def within_line(text: str, ctx: Context) -> str:
    """Single line: remove the end of the suggestion that re-types the rest of the line.

    Only when the rest of the line holds a word: a tail of bare punctuation (auto-closed
    brackets and quotes) is replaced through the item's range instead, see ``brackets``.
    """
    rest = ctx.line_suffix.strip()
    if not rest or "\n" in text or not _WORD.search(rest):
        return text
    if text.rstrip().endswith(";") and not rest.endswith(";"):
        # The rest typed again with a statement's end the line does without.
        bare = text.rstrip()[:-1]
        start = _rest_start(bare, ctx, rest)
        if start is not None:
            return _kept(bare, start, ctx)
    start = _rest_start(text, ctx, rest)
    return _short_punctuation(text, ctx, rest) if start is None else _kept(text, start, ctx)


def _rest_start(text: str, ctx: Context, rest: str) -> int | None:
    """Where the end of ``text`` that types the stripped ``rest`` of the line again begins."""
    spaced = ctx.line_suffix[:1].isspace()
    # All of the rest, or a start of it right at the cursor: nothing the line does not hold
    # already (``x = |foo(1)`` + ``foo``). After a space it is a token of its own (``f |xs``
    # + ``x``).
    if text.strip() == rest or (not spaced and text.strip() and rest.startswith(text.strip())):
        return 0
    # The longest start of the rest that the text ends with (and has more before): all of a
    # rest, or a part of it long enough to tell; at most the text's length, not the line's
    # (a minified line's rest may be thousands long).
    shortest = min(len(rest), MIN_PARTIAL_OVERLAP)
    sizes = range(min(len(rest), len(text) - 1), shortest - 1, -1)
    start = next(
        (
            len(text) - size
            for size in sizes
            if _retypes(text, rest, size) and not (spaced and _glued(text, len(text) - size, ctx))
        ),
        None,
    )
    if start is None:
        start = _loose_start(text, rest)
    if start is None and spaced:
        start = _doubled_token(text, rest)
    return start


def _kept(text: str, start: int, ctx: Context) -> str:
    # The line's own space before its tail stays; the suggestion's copy of it goes.
    kept = text[:start]
    return kept.rstrip() if ctx.line_suffix[:1].isspace() else kept


def retypes_word(text: str, ctx: Context) -> bool:
    """Whether the answer starts by typing again the whole word the cursor is inside
    (``const na|me = 1;`` + ``name = 1;``): whatever follows, the line would hold the word's
    start twice (``naname``)."""
    before = _WORD_END.search(ctx.line_prefix)
    after = _WORD_START.match(ctx.line_suffix)
    if before is None or after is None:
        return False
    word = before.group() + after.group()
    return text.startswith(word) and not _WORD.match(text[len(word) : len(word) + 1])


def _doubled_token(text: str, rest: str) -> int | None:
    """Where a short token the text ends with on its own (after a space) begins, when the rest
    of the line, after its space, starts with that same token (``my $w`` before `` $w =``,
    ``let lnum = a:`` before `` a:lnum``): kept, the line would say it twice in a row. Not a
    quote, which ends the answer's own string (``case 'M '`` before `` ' M'``)."""
    for size in range(min(MIN_PARTIAL_OVERLAP - 1, len(rest)), 0, -1):
        start = len(text) - size
        alone = start > 0 and text[start - 1].isspace() and not _QUOTE.search(rest[:size])
        if alone and _retypes(text, rest, size):
            return start
    return None


def _glued(text: str, start: int, ctx: Context) -> bool:
    """Whether a re-typing at ``start`` of a rest the line spaces from the cursor would be
    glued to what comes before it: inside a name (``virtio_input_devids`` before `` ids;``,
    a Lisp's ``condition-wait-timeout`` before `` timeout)``), or right after an opening
    bracket (``(text,`` before `` text, text)``: the argument list goes on, as
    ``hmac( text, text)`` would be written only where the line spaces its brackets so)."""
    if _inside_word(text, start, ctx.language):
        return True
    return text[start - 1 : start] in ("(", "[") and not re.search(r"[(\[] ", ctx.line_prefix)


# What a name is made of beyond word characters: a Lisp's ``-?!*<>=/``..., CSS's ``-``.
_NAME_CHARS = {
    **dict.fromkeys(LISPS, NAME_CHAR),
    **dict.fromkeys(STYLE_SHEETS, re.compile(r"[\w-]")),
}


def _inside_word(text: str, start: int, language: str) -> bool:
    """Whether ``start`` is inside a name of ``text``: a re-typing of a rest that a space
    separates from the cursor begins after a space or punctuation, not within a name
    (``virtio_input_devids`` before `` ids;`` ends with ``ids`` by chance)."""
    name = _NAME_CHARS.get(language, _WORD)
    return bool(start) and bool(name.match(text[start])) and bool(name.match(text[start - 1]))


def _retypes(text: str, rest: str, size: int) -> bool:
    """Whether ``text`` ends with the first ``size`` characters of ``rest`` (and more before)."""
    return text.endswith(rest[:size]) and len(text) > size and _token_boundary(rest, size)


def _loose_start(text: str, rest: str) -> int | None:
    """Where the end of ``text`` that re-types all of ``rest`` begins, spacing and quote style
    aside (``y>0:`` for ``y > 0:``, ``"react"`` for ``'react'``); 0 when that is all of it;
    ``None`` when it does not (or would begin inside a word)."""
    target = re.sub(r"\s+", "", rest).replace("'", '"')
    chars = [(i, char) for i, char in enumerate(text) if not char.isspace()]
    if len(target) < MIN_LOOSE_CHARS or len(chars) < len(target):
        return None
    tail = chars[len(chars) - len(target) :]
    if "".join(char for _, char in tail).replace("'", '"') != target:
        return None
    start = tail[0][0]
    if start and _WORD.match(text[start]) and _WORD.match(text[start - 1]):
        return None
    return start if start == 0 or text[:start].strip() else 0


def _short_punctuation(text: str, ctx: Context, rest: str) -> str:
    """A short re-typed run of punctuation (``(``, ``)``, ``.``, `` =``) at the end of the
    suggestion: cut when the doubled form is wrong (``..``, ``name = = true``) or the line's
    brackets balance better without the copy (``join((slist)`` against ``join(slist)``)."""
    for size in range(min(MIN_PARTIAL_OVERLAP - 1, len(rest)), 0, -1):
        head = rest[:size]
        if not text.endswith(head) or len(text) == size or _WORD.search(head):
            continue
        kept = text[:-size]
        if head in _NO_SPACED_DOUBLE and ctx.line_suffix[:1].isspace() and _apart(text, rest, size):
            return kept.rstrip()
        if head == "." and _dots_meant(text, rest, ctx):
            continue
        if head in _NO_DOUBLE or (head == ":" and ctx.language in _NO_DOUBLE_COLON):
            if not kept.endswith(head):
                return kept
            continue
        if _new_operator(text, rest, size, ctx) or _name_copy(text, rest, size, ctx):
            return kept
        doubled = ctx.line_prefix + text + ctx.line_suffix
        single = ctx.line_prefix + kept + ctx.line_suffix
        if cost(single, ctx) < cost(doubled, ctx):
            return kept
    return text


def _new_operator(text: str, rest: str, size: int, ctx: Context) -> bool:
    """Whether the operator characters the text ends with, ``size`` of them a copy of the
    rest's start, run into the rest's to make no operator (none of :data:`_OPERATORS`, nor
    written in the document), while without the copy they make one of those (``$this->``
    before ``->name``, ``Level:`` before ``::INFO``, ``>=`` before ``= $x``; not ``a =``
    before ``= b``, which makes ``==``, nor on a comment line, whose rulers and marks run
    long)."""
    if rest[:size].strip(_OPERATOR_CHARS) or is_comment_line(ctx.line_prefix, ctx.language):
        return False
    lead = _OPERATOR_RUN_START.match(rest)
    tail = _OPERATOR_RUN_END.search(text)
    if lead is None or tail is None:
        return False
    doubled, single = tail.group() + lead.group(), tail.group()[:-size] + lead.group()
    if single not in _OPERATORS:
        return False
    if not (doubled in _OPERATORS or _written(doubled, ctx)):
        return True
    # A colon glued to a name and spaced from what follows (``name:`` before ``: String``):
    # ``::`` is an operator, but glued so only in reStructuredText's directives
    # (``.. note:: text``); a type's or a key's ``:`` is.
    if doubled != "::" or _RST_DIRECTIVE.match(ctx.line_prefix):
        return False
    before = (ctx.line_prefix + text[: tail.start()])[-1:]
    lopsided = bool(_WORD.match(before)) and rest[lead.end() : lead.end() + 1].isspace()
    return lopsided and not _after_name(doubled, ctx) and _after_name(single, ctx)


def _after_name(operator: str, ctx: Context) -> bool:
    """Whether the document writes ``operator`` glued to a name and spaced from what follows
    (``name: String``)."""
    found = re.compile(rf"\w{re.escape(operator)}[ \t]")
    return ctx.shows(found)


def _name_copy(text: str, rest: str, size: int, ctx: Context) -> bool:
    """Whether the ``size`` characters the text ends with, a copy of the rest's start, are
    punctuation inside a name where the language's names hold it (a Lisp's ``response-``
    before ``-location``, ``exception-type?`` before ``? type``), and the name run into the
    rest with it doubled is none the document writes (Emacs Lisp's ``magit--`` is)."""
    head = rest[:size]
    punctuation = NAME_PUNCTUATION.get(ctx.language, "")
    if not punctuation or head.strip(punctuation) or not is_word_char(text[-size - 1 : -size]):
        return False
    doubled = re.compile(rf"\w{re.escape(head * 2)}(?:\w|\s|\)|$)", re.MULTILINE)
    return not ctx.shows(doubled)


def _written(operator: str, ctx: Context) -> bool:
    """Whether the document around the cursor writes ``operator`` as a whole run of operator
    characters (Scala's ``:::``, Clojure's ``->>``)."""
    found = re.compile(rf"(?<![{_OPERATOR_CLASS}]){re.escape(operator)}(?![{_OPERATOR_CLASS}])")
    return ctx.shows(found)


def _dots_meant(text: str, rest: str, ctx: Context) -> bool:
    """Whether the ``.`` the text ends with and the one the rest starts with are meant
    together: a spread or a relative path opening after a bracket, quote or space (``{.``
    before ``..props}``, ``'.`` before ``./lib'``), or a range spaced as Ada and Lua write it
    (``F .`` before ``. L)``) where ``..`` is an operator; glued to a name or number
    (``x.`` before ``.y``, ``0x58.`` before ``..0x5C``) it is rather the rest typed again."""
    spread = rest.startswith("..") and rest[2:3] not in ("/", ".")
    if (spread or rest.startswith("./")) and not _WORD.match(text[-2:-1]):
        return True
    return ctx.language in DOUBLE_DOT and text.endswith(" .") and rest.startswith(". ")


def _apart(text: str, rest: str, size: int) -> bool:
    """Whether the operator of ``size`` characters ``text`` ends with and the one ``rest``
    (after a space) starts with each stand alone (``name =`` before `` = true``), not as part
    of a longer one (``==``, ``:=``, ``===``)."""
    before, after = text[-size - 1 : -size], rest[size : size + 1]
    return not (before and before in _OPERATOR_CHARS) and not (after and after in _OPERATOR_CHARS)


def _token_boundary(rest: str, size: int) -> bool:
    """Whether ``rest[:size]`` ends between tokens (not in the middle of a word)."""
    if size == len(rest):
        return True
    return not (_WORD.match(rest[size - 1]) and _WORD.match(rest[size]))


def suffix_line_cut(
    lines: list[str], ctx: Context, start: int, final: bool, owed: Collection[int] = ()
) -> int | None:
    """Index of the first suggestion line (from ``start``, not one of the ``owed`` closers) that
    starts re-typing the code below the cursor (from its first line, or past its closing
    lines or its comment lines: :func:`_past_closing_lines`, :func:`_past_comment_lines`), or
    ``None``.

    The lines from there to the end must be the lines below the cursor, in order (a
    legitimately repeated line followed by new code is not cut). On the stream
    (``final`` false) the answer may still diverge, so three matching lines that say something
    (not a bare ``{`` or ``},``) are needed before it is stopped, or all the lines below; at the
    end, one suffices.
    """
    below = [line.rstrip() for line in lines_after_cursor(ctx) if not is_blank(line)]
    if not below:
        return None
    starts = _past_closing_lines(below) + _past_comment_lines(below, ctx.language)
    for i in range(start, len(lines)):
        if i in owed:
            continue
        for k in starts:
            # Past closing lines, the line stands where the code below has it.
            if not (same_line(lines[i], below[k]) if k == 0 else lines[i].rstrip() == below[k]):
                continue
            code = [line.rstrip() for line in lines[i:] if not is_blank(line)]
            rest = below[k:]
            enough = final or len(code) >= len(rest) or _distinct(code) >= STREAM_MATCH_LINES
            if enough and _follows(code, rest):
                return i
    return None


def _past_closing_lines(below: list[str]) -> list[int]:
    """Where the answer may start re-typing the code ``below``: at its first line, or at the
    first line after the one or two closing lines it starts with (``}``, ``</p>``), which a
    model may skip to go on with what follows them. Not at another closer: nested closers
    differ only by their indentation."""
    k = next((k for k, line in enumerate(below) if not _closing(line)), 0)
    if 0 < k <= _SKIPPED_CLOSERS:
        return [0, k]
    return [0]


def _past_comment_lines(below: list[str], language: str) -> list[int]:
    """The first line of code after the comment lines the code ``below`` starts with, which a
    model may skip to go on with the code (``; request-number : str -> num`` over
    ``(define (request-number n)``)."""
    k = next((k for k, line in enumerate(below) if not is_comment_line(line, language)), 0)
    return [k] if k else []


def _closing(line: str) -> bool:
    """Whether ``line`` only closes: brackets (``});``) or elements (``</ul></p>``)."""
    return is_closer(line) or _CLOSING_TAGS.match(line) is not None


def closer_again_cut(lines: list[str], ctx: Context, final: bool) -> int | None:
    """Index of the answer's last line when it is a line of closers that the code below
    starts with again at another indentation (``    }`` over ``  }``), and the bracket it
    would close was opened on a line at the indentation of the one below, which therefore
    closes it already: the answer typed that closer again, misplaced. Kept where the code
    below is at another indentation than that bracket's line (``}`` ending the function
    under an ``if (x) {`` still open), where the answer's closer lines up with that line,
    the bracket or the code after it (Elm's ``[ [ a`` … ``  ]``, a macro's arguments), and
    on a stream, which may go on past it. (Not a word such as ``end``: where it closes a
    block, Lua's ``if x then return 1`` or Pascal's ``begin`` under its head, is a parse
    away.)"""
    last = len(lines) - 1
    while last > 0 and is_blank(lines[last]):
        last -= 1
    below = code_line_below(ctx)
    if not final or last == 0 or below is None or not is_closer(lines[last]):
        return None
    closer, column = lines[last].strip(), ctx.indent(lines[last])
    if closer != below.strip() or column == ctx.indent(below):
        return None
    above = ctx.above_line
    code = above + "\n".join(lines[:last]) + "\n"
    opener = innermost_opener(code, ctx)
    if opener is None or code[opener.at] != CLOSERS[closer[0]]:
        return None
    start = code.rfind("\n", 0, opener.at) + 1
    line = code[start : code.index("\n", opener.at)]
    if column in _lined_up(line, opener.at - start, ctx) or ctx.indent(line) != ctx.indent(below):
        return None
    return last


def _lined_up(line: str, at: int, ctx: Context) -> set[int]:
    """The columns a closer of the bracket at ``line[at]`` may stand at: the line's
    indentation, the bracket's, and those of the code after it and after its first word
    (``$(TD $(MYREF a)``, a Lisp's arguments)."""
    after = _AFTER_BRACKET.match(line, at + 1)
    starts = (at, *(after.span(1) if after else ()))
    return {ctx.indent(line), *(len(line[:i].expandtabs(ctx.tab_width)) for i in starts)}


def completes_line_below(lines: list[str], ctx: Context) -> bool:
    """Whether the answer's first line, with the code around the cursor on its line, makes
    that line a copy of the next code line below (``    tot|`` + ``al += item.price`` over
    ``    total += item.price``): then it re-types the code below from its first line.

    Only for a line the answer added to that says enough to be unmistakable, copied whole at
    the same indentation, and not one the code above also holds: lists and overloads repeat a
    line on purpose (``bth[buf[i++]],`` line after line)."""
    first = lines[0] + (ctx.line_suffix if len(lines) == 1 else "")
    text = _statement(first)
    added = first.strip() != (ctx.line_prefix + ctx.line_suffix).strip()
    if not added or len(text) < DISTINCT_LINE_CHARS or is_closer(text):
        return False
    below = code_line_below(ctx) or ""
    if ctx.indent(below) != ctx.indent(first) or _statement(below) != text:
        return False
    return all(_statement(line) != text for line in code_lines_above(ctx, REPEAT_LINES_ABOVE))


def _distinct(code: list[str]) -> int:
    """How many of ``code``'s lines say something of their own: the next record of repetitive
    data (``},`` ``{`` then the same first field) starts with lines equal to the one below."""
    return sum(1 for line in code if len(_statement(line)) >= DISTINCT_LINE_CHARS)


def same_line(line: str, other: str) -> bool:
    """Equal code lines: indentation may differ when the line says enough to be unmistakable;
    short lines and closers (``}``, ``pass``) must match exactly, indentation included. A
    statement's closing ``;`` is not a difference (``return x;`` re-types ``return x``)."""
    text = _statement(line)
    if text != _statement(other):
        return False
    distinct = len(text) >= DISTINCT_LINE_CHARS and not is_closer(text)
    return distinct or line.rstrip() == other.rstrip()


def _statement(line: str) -> str:
    """A code line as compared: trimmed, without a closing ``;``, and without the spaces around
    punctuation (``return a+b`` re-types ``return a + b``)."""
    return _PUNCT_SPACING.sub(r"\1", line.strip().removesuffix(";").rstrip())


def _follows(code: list[str], below: list[str]) -> bool:
    """Whether ``code`` is the start of ``below`` (its last line may be cut short)."""
    if len(code) > len(below):
        return False
    *whole, last = code
    same = all(same_line(a, b) for a, b in zip(whole, below, strict=False))
    return same and _statement(below[len(whole)]).startswith(_statement(last))


def terminal_twice(line: str, code: str) -> bool:
    """Whether ``line`` written in front of ``code`` would end the block right before it
    (``return false;`` above ``return true;``): the code would be dead, so the line is a
    changed re-typing of it."""
    return bool(_TERMINAL.match(line.lstrip())) and bool(_TERMINAL.match(code.lstrip()))


def terminal_cut(lines: list[str], ctx: Context) -> int | None:
    """Index of the answer's line that ends its block (``return``, ``raise``, ``throw``,
    ``break``, ``continue``) at the level of such a line right below the cursor: two in a row
    make the second dead code, so the answer's is a re-typing of the one below, changed
    (``return math.pi * r * r`` above ``return math.pi * r ** 2``). Only at a blank cursor
    line, while the answer stays in that block (no line of it less indented before), and not
    for its first line: mid-edit, the code below may be the body of a statement whose head is
    not typed yet (``if kind not in kinds:`` above ``raise``), and the answer's own ``raise``
    is then that statement's body."""
    if ctx.line_prefix.strip() or ctx.line_suffix.strip():
        return None  # after a line that opens a block, the code below may be another's body
    below = code_line_below(ctx) or ""
    if not _TERMINAL.match(below.lstrip()):
        return None
    level = ctx.indent(below)
    for i, line in enumerate(lines):
        if is_blank(line):
            continue
        if ctx.indent(line) < level:
            return None  # the answer left the block: the one below is elsewhere
        if i and ctx.indent(line) == level and _TERMINAL.match(line.lstrip()):
            return i
    return None
