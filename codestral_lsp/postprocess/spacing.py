"""Whitespace rules: Codestral's stray leading space and newline, trailing space, tiny output."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from itertools import pairwise

from codestral_lsp.context import GNU_TAB_WIDTH, Context
from codestral_lsp.languages import LISPS
from codestral_lsp.postprocess.brackets import (
    closes_block_by_indentation,
    closes_open_bracket,
    is_comment_line,
    replace_length,
    scanner,
    without_trailing_comment,
)
from codestral_lsp.postprocess.lines import (
    HASH_COMMENTS,
    SHELLS,
    code_line_below,
    code_lines_above,
    enclosing_lines,
    goes_on,
    indentation,
    is_blank,
    last_code_line,
)
from codestral_lsp.postprocess.tags import ANGLE_END, angle_open

_WORD = re.compile(r"\w")
_BRACKET_OPENERS = ("{", "(", "[")
# A line at its block's own level that is no body line: a label (``case 1:``, ``public:``), a
# closer, a clause.
_LEVEL_LINE = re.compile(
    r"\s*(?:case\b|default\b|[)\]}]|(?:else|elif|elsif|catch|except|finally)\b|[\w ]+:\s*$)"
)
# Blocks whose body many files leave at the opener's level.
_FLAT_BLOCK = re.compile(r"\s*(?:export\s+)?(?:namespace|extern|module)\b")
# A line ending with ``:`` opens a block when it is a compound statement's head; prose does too
# (``Usage:`` in a docstring), and a blank line may well follow it there.
_COLON_BLOCK = re.compile(
    r"\s*(?:async\s+)?(?:def|class|if|elif|else|for|while|with|try|except|finally|match|case)\b"
)
# Characters that show nothing: a zero-width space, a byte-order mark (not the zero-width
# joiner, which holds emoji sequences together).
_INVISIBLE = "\u200b\ufeff"
# Line breaks with only blank lines between them, at the start of a suggestion.
_BLANK_LINES = re.compile(r"^\n(?:[ \t]*\n)+")
_INNER_TRAILING = re.compile(r"[ \t]+\n")
# Code lines above the cursor read to learn a file's indentation by spaces.
STYLE_LINES = 40
# Languages whose files are indented with tabs whatever the editor's settings.
_MAKEFILES = frozenset({"makefile"})
TAB_LANGUAGES = _MAKEFILES | {"go"}
# A line indented with a tab; one indented with two spaces or more before code (not a block
# comment's `` * ``). A file with both mixes them on purpose (GNU style: a tab is 8 columns,
# spaces fill between), and an answer's indentation is then left as the model wrote it.
_TAB_LED = re.compile(r"^\t", re.MULTILINE)
_SPACE_LED = re.compile(r"^ {2,}[^\s*]", re.MULTILINE)
# An answer's indentation that mixes tabs and spaces (``\t\t\t :foreground``): a tab there is 8
# columns, as the GNU style that writes it means, not one indentation step.
_TAB_AND_SPACES = re.compile(r"\t+ | +\t")
# The editor's closer after the cursor: a bracket, or a markup element's closing tag.
_CLOSER_TAIL = re.compile(r"[)\]}]|</")
# A lone closing bracket or separator is more noise than help as ghost text.
MIN_NON_WORD_CHARS = 3
# A line of its own that is structure, not noise: an Allman-style block's ``{`` below its head,
# and (in shell) the ``;;`` ending a case arm.
_OWN_LINE_MARKS = {"{": None, ";;": SHELLS}


def without_invisible_start(text: str) -> str:
    """``text`` without the zero-width spaces and byte-order marks it starts with: a chat
    model's artifacts, invisible in the editor and a syntax error in the code."""
    return text.lstrip(_INVISIBLE)


def leading_newline(text: str, ctx: Context) -> str:
    """On a blank cursor line, drop the newline(s) a suggestion starts with, and the copy of the
    line's indentation that follows them: the cursor line itself is where the code goes. After
    a line that opens a block (``def one():``, ``{``), a block does not start with a blank
    line: one line break is kept."""
    opener = _opens_block(without_trailing_comment(ctx.line_prefix, ctx.language))
    if opener and not ctx.line_suffix.strip():
        if _body_without_break(text, ctx):
            return "\n" + text
        return _BLANK_LINES.sub("\n", text, count=1)
    if ctx.line_prefix.strip() or ctx.line_suffix.strip() or not text.startswith("\n"):
        return text
    body = text.lstrip("\n")
    if not body.strip():
        return ""
    if ctx.line_prefix and body.startswith(ctx.line_prefix):
        return body[len(ctx.line_prefix) :]
    return body


def under_indented_body(text: str, ctx: Context) -> str:
    """After a line that opens a block (``{``, a compound statement's ``:``), a body the model
    wrote at that line's own level (``    if (ok) {`` + line break + ``    throw e;``): it is
    indented by the file's step, up to the block's closer at that level, which stays. Not a
    body that starts with a label, closer or clause (a ``switch``'s ``case``, ``public:``),
    nor a namespace's or ``extern`` block's, which files often leave unindented."""
    if not text.startswith("\n") or ctx.line_suffix.strip() or ctx.language in LISPS:
        return text
    head = without_trailing_comment(ctx.line_prefix, ctx.language)
    if not _opens_body(head) or _FLAT_BLOCK.match(head):
        return text
    level = ctx.indent(ctx.line_prefix)
    lines = text.split("\n")
    first = next((i for i in range(1, len(lines)) if lines[i].strip()), len(lines))
    if first == len(lines) or ctx.indent(lines[first]) != level or _LEVEL_LINE.match(lines[first]):
        return text
    tabs = "\t" in indentation(ctx.line_prefix) or _tab_indented(ctx)
    step = "\t" if tabs else " " * _step(ctx, ctx.line_prefix)
    scan = scanner(ctx)
    for i in range(first, len(lines)):
        line = lines[i]
        # The block's own closer: at its level with nothing the body opened left open.
        outer = not scan.stack and line.strip()[:1] in (")", "]", "}")
        if line.strip() and (ctx.indent(line) < level or outer):
            break
        scan.feed(line + "\n")
        lines[i] = _deeper(line, step, ctx) if line.strip() else line
    return "\n".join(lines)


def _deeper(line: str, step: str, ctx: Context) -> str:
    """``line`` a ``step`` deeper. A tab-led line in a file of spaces goes in spaces to its
    column: a step of spaces before its tab would leave a mix no later rule can read."""
    if step == "\t" or "\t" not in indentation(line):
        return step + line
    return " " * (ctx.indent(line) + len(step)) + line.lstrip(" \t")


def _body_without_break(text: str, ctx: Context) -> bool:
    """Whether ``text``, after a line that opens a block, is the block's first line without
    its line break: indented deeper than that line and code, not a trailing comment
    (``subtract(number) {`` + ``    this.result -= number;``, as Codestral sometimes
    answers)."""
    first = text.split("\n", 1)[0]
    code = first.lstrip(" \t")
    if not code or code == first or is_comment_line(code, ctx.language):
        return False
    # One space more is a one-liner's (``{ return x; }``), the leading space rule's to judge.
    return ctx.indent(first) >= ctx.indent(ctx.line_prefix) + 2


def _opens_block(line_prefix: str) -> bool:
    """Whether ``line_prefix`` (its comment left out) ends by opening a block: a bracket, or a
    compound statement's ``:``."""
    return line_prefix.rstrip().endswith(_BRACKET_OPENERS) or _opens_body(line_prefix)


def _opens_body(line_prefix: str) -> bool:
    """Whether ``line_prefix`` (its comment left out) ends by opening a block of statements:
    ``{``, or a compound statement's ``:`` (not a call's or list's bracket, nor prose's
    colon)."""
    head = line_prefix.rstrip()
    return head.endswith("{") or (head.endswith(":") and _COLON_BLOCK.match(head) is not None)


def leading_space(text: str, ctx: Context) -> str:
    """Drop one stray space when the line already ends in whitespace before the cursor.

    Two spaces before a trailing ``#`` comment is style, not a stray: after code and exactly
    one space, a space before ``#`` is kept. So is the space that brings an indentation of
    spaces to a level the code around uses (:func:`_one_short`): the user stopped a space short,
    or is typing the indentation of a suggestion through. Not in a Lisp, whose lines align
    with any column of the line above rather than step by 2 or 4: its editor indents a line
    whole, and one more space is the model's.
    """
    text = _without_tab_after_code(_without_indentation_again(text, ctx), ctx)
    prefix = ctx.line_prefix
    if not prefix[-1:].isspace() or not text.startswith(" ") or text.startswith("  "):
        return text
    indented = not prefix.strip(" ") and ctx.language not in LISPS
    # Where the cursor already stands at the code line above's or below's level, or a rise
    # from the line above that the file makes (Ada's 3-space steps, whose continuation lines
    # step by 2), the space is the model's.
    above, below = _levels_around(ctx)
    level = len(prefix) in (above, below) or len(prefix) - above in _rises(ctx)
    short = indented and not level
    if short and not _aligned_below(text, ctx) and _one_short(len(prefix) + 1, ctx):
        return text
    comment = text.startswith(" #") and ctx.language in HASH_COMMENTS
    if comment and prefix.strip() and not prefix[-2:-1].isspace():
        return text
    return text[1:]


def _without_tab_after_code(text: str, ctx: Context) -> str:
    """After code and a space, the answer without the tab (and spaces) it starts with
    (``const x = `` + ``\t1337``): no value is set off by a tab; a trailing comment may be
    (``x = 1 `` + ``\t# why``)."""
    prefix = ctx.line_prefix
    if not prefix.strip() or not prefix[-1:].isspace() or not text.startswith("\t"):
        return text
    code = text.split("\n", 1)[0].lstrip(" \t")
    if not code or is_comment_line(code, ctx.language):
        return text
    return text.lstrip(" \t")


def _without_indentation_again(text: str, ctx: Context) -> str:
    """On a blank line the editor indented into the block the line above opens, the answer
    without the indentation its first line starts with again (``{`` then ``  |`` +
    ``  return x;``): the model indented from column 0, and the line would land a level too
    deep. Unless the line lands right as it is, where the cursor's is not the level: the
    answer's next line of code is there (``def b():`` then ``  |`` + ``  x = 1`` and
    ``    return x``), or, with no such line, the file's step puts the block's body there (the
    editor indented a 4-space file's body by 2)."""
    prefix = ctx.line_prefix
    first = text.split("\n", 1)[0]
    if not prefix or prefix.strip() or ctx.line_suffix.strip() or ctx.language in LISPS:
        return text
    if not first.strip() or ctx.indent(first) < 2:
        return text
    above = next(_code_above(ctx), None)
    if above is None or ctx.indent(above) >= ctx.indent(prefix):
        return text
    if not _opens_block(without_trailing_comment(above, ctx.language)):
        return text
    if _lands_as_is(text, ctx.indent(prefix + first), ctx.indent(above) + _step(ctx), ctx):
        return text
    return text[len(first) - len(first.lstrip(" \t")) :]


def _lands_as_is(text: str, width: int, body: int, ctx: Context) -> bool:
    """Whether an answer whose first line lands at ``width`` as it is (a level deeper than the
    cursor) belongs there: its next line of code, if the first opens no block, is at that
    width; with no next line, the block's ``body`` level (by the file's step) is."""
    lines = text.split("\n")
    following = next((line for line in lines[1:] if line.strip()), None)
    if following is None:
        return width == body
    if _opens_block(lines[0]) or following.lstrip()[:1] in ")]}":
        return False
    return ctx.indent(following) == width


def _aligned_below(text: str, ctx: Context) -> bool:
    """Whether the answer's next line of code starts where the cursor is: its first line,
    a space further in, is off by that stray space."""
    below = next((line for line in text.split("\n")[1:] if not is_blank(line)), None)
    return below is not None and ctx.indent(below) == ctx.indent(ctx.line_prefix)


def _one_short(width: int, ctx: Context) -> bool:
    """Whether ``width`` is the indentation of the code line above, one or two of the file's
    steps into or out of its block, or that of the code line below. A step is 2 or 4 columns
    in a file that indents by even steps (a 4-space file's continuation lines often step by
    2), else the file's own (Ada's 3)."""
    above, below = _levels_around(ctx)
    unit = _step(ctx)
    odd = unit % 2 and unit > 1 and unit == _space_unit(ctx)
    steps = (unit, 2 * unit) if odd else (2, 4)
    return width in (above, below, *(above + sign * step for step in steps for sign in (-1, 1)))


def _levels_around(ctx: Context) -> tuple[int, int]:
    """The indentation of the code line above the cursor's and of the one below (-1 when
    there is none)."""
    code = code_line_below(ctx)
    return ctx.indent(next(_code_above(ctx), "")), -1 if code is None else ctx.indent(code)


def _step(ctx: Context, nearest: str | None = None) -> int:
    """The file's usual indentation step: the commonest rise from one code line above the
    cursor to the next, from the ``nearest`` line too when given (the cursor's); the smaller
    on a tie; 2 when none rises."""
    rises = _rises(ctx, nearest)
    return min(rises, key=lambda rise: (-rises[rise], rise), default=2)


def _rises(ctx: Context, nearest: str | None = None) -> Counter[int]:
    """How often each rise in indentation comes from one code line above the cursor to the
    next (from the ``nearest`` line too when given)."""
    above = _code_above(ctx)
    widths = [ctx.indent(line) for line in ([nearest, *above] if nearest else above)]
    return Counter(lower - upper for lower, upper in pairwise(widths) if lower > upper)


def _code_above(ctx: Context) -> Iterator[str]:
    """The code lines above the cursor's line, nearest first, without block comments: their
    `` * `` lines and their prose (a Swift doc comment's, indented 3) sit a space in, whatever
    the code's step."""
    inside = False
    for line in code_lines_above(ctx, STYLE_LINES):
        code = line.strip()
        if inside or code.startswith("*"):
            inside = "/*" not in code and (inside or "*/" in code)
            continue
        inside = code.endswith("*/") and "/*" not in code
        if not inside:
            yield line


def tab_indentation(text: str, ctx: Context) -> str:
    """Lines indented with spaces (after the first, unless only whitespace precedes the cursor),
    in a file indented with tabs (Go, whose gofmt uses them, but not in a raw string;
    Makefiles, whose recipes must start with one; or tabs on the cursor's line or the code line
    above, in a file with no line indented by spaces), re-indented with tabs, a tab for each 4
    spaces (2 when the answer indents by 2): a recipe indented by spaces breaks ``make``, and
    mixed indentation Python. A Makefile's line after a backslash goes on
    the line above (a recipe's command, a variable's value) and keeps its spaces."""
    lines = text.split("\n")
    ends = [(ctx.line_prefix + lines[0]).rstrip(), *(line.rstrip() for line in lines[1:-1])]
    own = [
        i
        for i in range(_first_indented(ctx), len(lines))
        if lines[i].strip()
        and not (i and ctx.language in _MAKEFILES and ends[i - 1].endswith("\\"))
    ]
    widths = [len(lines[i]) - len(lines[i].lstrip(" ")) for i in own]
    if not any(widths) or not _tab_indented(ctx):
        return text
    unit = 4 if all(width % 4 == 0 for width in widths) else 2
    for i, width in zip(own, widths, strict=True):
        lines[i] = "\t" * (width // unit) + " " * (width % unit) + lines[i][width:]
    return "\n".join(lines)


def _first_indented(ctx: Context) -> int:
    """The first answer line whose leading whitespace is indentation: the first too when only
    whitespace precedes the cursor on its line (``    switch {`` at a blank line of a Go
    file), else the second."""
    return 0 if not ctx.line_prefix.strip() else 1


def space_indentation(text: str, ctx: Context) -> str:
    """Lines indented with tabs (after the first, unless only whitespace precedes the cursor),
    in a file indented with spaces (the code lines
    above are, and no line of the prompt with a tab), re-indented with the file's unit of spaces
    per tab: mixed indentation breaks Python and shows crooked in every other language."""
    lines = text.split("\n")
    first = _first_indented(ctx)
    if not any(line.startswith("\t") for line in lines[first:]) or ctx.language in TAB_LANGUAGES:
        return text
    if ctx.tab_width == GNU_TAB_WIDTH or any(_TAB_AND_SPACES.match(line) for line in lines[first:]):
        return text  # tabs of 8 columns, spaces filling between: GNU style, whatever the window
    unit = _space_unit(ctx)
    if unit is None:
        return text
    for i, line in enumerate(lines[first:], start=first):
        tabs = len(line) - len(line.lstrip("\t"))
        lines[i] = " " * (unit * tabs) + line[tabs:]
    return "\n".join(lines)


def _space_unit(ctx: Context) -> int | None:
    """The file's indentation step in spaces, read from the code lines above the cursor
    (``None`` when they do not indent, or any line of the prompt indents with a tab)."""
    if ctx.shows(_TAB_LED):
        return None
    # Not a block comment's lines: its `` * `` lines sit one space in, and its prose (a licence
    # indented by 3) anywhere, whatever the file's step.
    above = [ctx.line_prefix, *_code_above(ctx)]
    widths = [len(line) - len(line.lstrip(" ")) for line in above]
    steps = [width for width in widths if width]
    return min(max(min(steps), 2), 8) if steps else None


def _tab_indented(ctx: Context) -> bool:
    if ctx.language == "go":
        # Inside a raw string the text is anything's: an odd count of backticks, or lines led
        # by spaces, which gofmt never writes (the string may open above the prompt's window).
        spaced = ctx.line_prefix.startswith(" ") or last_code_line(ctx).startswith(" ")
        return not (ctx.prefix.count("`") % 2 or spaced)
    if ctx.language in TAB_LANGUAGES:
        return True
    tabbed = ctx.line_prefix.startswith("\t") or last_code_line(ctx).startswith("\t")
    return tabbed and not ctx.shows(_SPACE_LED)


def _structure_line(text: str, body: str, ctx: Context) -> bool:
    """Whether ``body`` is a line of its own (below the cursor's, or on a blank cursor line)
    that is structure the code needs there (:data:`_OWN_LINE_MARKS`): not below a line that
    already opened the block."""
    blank = not (ctx.line_prefix.strip() or ctx.line_suffix.strip())
    if body not in _OWN_LINE_MARKS or not (blank or text.startswith("\n")):
        return False
    head = last_code_line(ctx) if blank else ctx.line_prefix
    languages = _OWN_LINE_MARKS[body]
    return not head.rstrip().endswith("{") and (languages is None or ctx.language in languages)


def trailing_space(text: str, ctx: Context) -> str:
    """Drop trailing whitespace unless the text continues straight into the rest of the line,
    and at the end of each inner line (but in Markdown, where two spaces break the line)."""
    if ctx.language != "markdown":
        text = _INNER_TRAILING.sub("\n", text)
    if not ctx.line_suffix.strip() or ctx.line_suffix[:1].isspace():
        return text.rstrip()
    if "\n" in text:
        kept = text.rstrip(" \t")
        # Lines written in front of the code: the indentation that code keeps stays.
        pushed_down = kept.endswith("\n") and text[len(kept) :] == ctx.line_prefix
        return text if pushed_down and not ctx.line_prefix.strip() else kept
    return text


def closer_below(text: str, ctx: Context) -> str:
    """Lines written between an opener and the closer the editor put after the cursor (``{|}``,
    ``<ul>|</ul>``) end with a line break and the cursor line's indentation, so that closer lands
    on a line of its own under its opener instead of at the end of the last new line. Not when
    the suggestion types the closer itself (the item replaces it), nor when it goes on from the
    cursor before its first break (``f(a,`` + ``b)`` style). A bracket opened on a line above
    (``  x = 1;|}``) goes back to that line's indentation."""
    tail = ctx.line_suffix.lstrip(" \t")
    if not text.startswith("\n") or not _CLOSER_TAIL.match(tail):
        return text
    if replace_length(text, ctx):
        return text
    body = text.rstrip(" \t")
    line = ctx.line_prefix
    if tail[0] != "<" and not scanner(ctx).feed(line).stack:
        line = next(enclosing_lines(ctx), line)
    return body + ("" if body.endswith("\n") else "\n") + indentation(line)


def too_small(text: str, ctx: Context) -> bool:
    """Whitespace only, or a couple of punctuation characters with no word in them, unless
    they close a bracket still open before the cursor (a lone ``}`` ending a block is the
    right answer, not noise), by the brackets' count or by indentation, or are structure on a
    line of their own (an Allman ``{``, shell's ``;;``)."""
    body = text.strip()
    if not body:
        return True
    if _WORD.search(body) or len(body) >= MIN_NON_WORD_CHARS:
        return False
    if _structure_line(text, body, ctx) or _empty_value(text, body, ctx):
        return False
    if ANGLE_END.fullmatch(body) and angle_open(ctx):
        return False
    return not (closes_open_bracket(body, ctx) or closes_block_by_indentation(text, ctx))


# Empty brackets and strings: a value of their own.
_EMPTY_PAIRS = frozenset({"{}", "()", "[]", '""', "''"})
_GIVES_VALUE = re.compile(r"\b(?:return|yield)$")


def _empty_value(text: str, body: str, ctx: Context) -> bool:
    """Whether ``body`` is an empty pair the code before it asks a value of: after an operator,
    a comma or an opening bracket (``items = `` + ``[]``, Elm's ``type alias Model =`` + ``{}``
    below it), or ``return``."""
    if body not in _EMPTY_PAIRS:
        return False
    head = ctx.line_prefix.rstrip() if ctx.line_prefix.strip() else last_code_line(ctx).rstrip()
    return goes_on(head) or _GIVES_VALUE.search(head) is not None
