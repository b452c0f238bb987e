"""Repetition: a line or block produced twice, the line above or the cursor line's start
re-typed, a line that loops."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Collection

from codestral_lsp.context import Context
from codestral_lsp.postprocess.lines import SHELLS, habit_lines, indentation, is_closer
from codestral_lsp.postprocess.scope import closes

# Short lines ("pass", "})", "i += 1") legitimately repeat; only longer ones count as loops.
MIN_REPEAT_CHARS = 3
# An answer starting with the cursor line's own code counts as re-typing it from this many
# characters: a shorter start (``x = `` then ``x = x + 1``) may be the answer's own.
MIN_RETYPED_LINE_CHARS = 6
_WORD = re.compile(r"\w")
_NAME = re.compile(r"\w+")
# A hexadecimal number or colour (``#ff|`` + ``ffff``), or a run of one character (``__``,
# ``xxxx``), which a word's start may double on purpose.
_NUMBER_OR_RUN = re.compile(r"[0-9A-Fa-f]+|(\w)\1*")
MAX_BLOCK_LINES = 8
_LOOPING_END = (re.compile(r"(.{3,}?)\1{5,}$"), re.compile(r"(.{10,}?)\1{3,}$"))
# The end of the line the loop patterns look at: enough for a 50-character unit four times.
# The patterns backtrack (cubic in the length searched), and the line may be the user's own
# 5 KB line of data, searched again at every keystroke.
LOOP_WINDOW = 200
# A run of one of these (``# =====``, ``// ------``, ``/* ***** */``) is a ruler, a line that
# separates sections, as long as it fits a line of code; longer, it is a loop as any other.
_RULER = re.compile(r"[ ]?([-=*#~_+/.:<>])(?: ?\1)+ ?")
MAX_RULER_COLUMNS = 120
# A line holding only one of these ends a block (shell's ``fi``, Ruby's or Lua's ``end``).
_BLOCK_END_WORDS = frozenset({"fi", "done", "esac", "end", "endif", "endfor", "endwhile"})
# In shell, ``;;`` ends a case arm: twice in a row is an arm with no pattern, a syntax error.
# (In Lisps a line of ``;;`` is an empty comment line, which may well come twice.)
_SHELL_ARM_END = ";;"
# A Makefile's rule head (``clean-am: clean-libtool``, Automake's ``?COND?`` before it; no
# ``=`` in it) or plain assignment (``X = y``, ``X := y``; not ``+=``).
_MAKE_DEFINITION = re.compile(
    r"(?:\?!?\w+\?)?(?:[^\s#?=][^=\t]*?:(?![=:])[^=]*|[A-Za-z_][\w.]*\s*:?=(?!=).*)$"
)
# A line that only opens a bracket: the same line right below it at its level would be inside
# it, so it would be indented deeper.
_OPENER_LINES = frozenset({"{", "[", "("})


def _meaningful(line: str) -> bool:
    return len(line.strip()) >= MIN_REPEAT_CHARS and not is_closer(line)


def repeated_line_cut(
    lines: list[str], final: bool, ctx: Context, owed: Collection[int] = ()
) -> int | None:
    """Index of a line that repeats the line before it exactly, when that is a loop: the line
    comes a third time, or the answer ends with the copy (``final``). Code that says the same
    thing twice and moves on (common in tests) is left alone, and so are ``owed`` closers and
    a line the prompt itself writes twice in a row (``bth[buf[i++]],`` in a list of them). A
    line that ends a block (``}``, ``fi``, shell's ``;;``, a type's ``>;``) or only opens one
    (``{``) twice at one level is cut at once."""
    stripped = [line.rstrip() for line in lines]
    # The answer's end: its last line with text (whitespace after it is trimmed later).
    last = max((i for i, line in enumerate(stripped) if line.strip()), default=0)
    for i in range(1, len(lines)):
        if stripped[i] != stripped[i - 1] or i in owed:
            continue
        if _ends_block(lines[i], ctx.language) or stripped[i].strip() in _OPENER_LINES:
            return i  # one block closed, or opened, twice at one level
        if not _meaningful(lines[i]) or stripped[i].strip() in _doubled_in_prompt(ctx):
            continue
        if stripped[i + 1 : i + 2] == [stripped[i]] or (final and i == last):
            return i
    return None


@functools.lru_cache(maxsize=32)  # one read per cursor: the rules run at every streamed chunk
def _doubled_in_prompt(ctx: Context) -> frozenset[str]:
    """The lines the prompt writes twice in a row (stripped)."""
    return frozenset(
        upper.strip()
        for upper, lower in itertools.pairwise(habit_lines(ctx))
        if upper.strip() and upper.rstrip() == lower.rstrip()
    )


def defined_again_cut(lines: list[str], ctx: Context) -> int | None:
    """In a Makefile, index of an answer line (after the first) that writes a rule's head or
    a variable's assignment again as a line above the cursor has it (``clean-libtool:``,
    ``POST_UNINSTALL = :``): make would define it twice, a rule's recipe overridden, so the
    model went back to copy what it has seen. Appending (``+=``) may come twice."""
    if ctx.language != "makefile":
        return None
    above = _definitions_above(ctx)
    return next(
        (i for i in range(1, len(lines)) if lines[i].rstrip() in above),
        None,
    )


@functools.lru_cache(maxsize=32)  # one read per cursor: the rules run at every streamed chunk
def _definitions_above(ctx: Context) -> frozenset[str]:
    """The rule heads and assignments among the lines above the cursor's (right-stripped)."""
    head = ctx.above_line
    return frozenset(line.rstrip() for line in head.split("\n") if _MAKE_DEFINITION.match(line))


def _ends_block(line: str, language: str) -> bool:
    word = line.strip()
    return (
        closes(line, language)
        or word in _BLOCK_END_WORDS
        or (word == _SHELL_ARM_END and language in SHELLS)
    )


def repeated_block_cut(lines: list[str], final: bool) -> int | None:
    """Index where a block of 2 or more lines starts over right after itself: a third copy
    follows, or the answer ends with the second one (``final``)."""
    stripped = [line.rstrip() for line in lines]
    for i in range(2, len(lines)):
        for size in range(2, min(i, MAX_BLOCK_LINES) + 1):
            block = stripped[i - size : i]
            if stripped[i : i + size] != block or not any(_meaningful(x) for x in block):
                continue
            third = stripped[i + size : i + 2 * size] == block
            if third or (final and i + size == len(lines)):
                return i
    return None


def looping_end_cut(lines: list[str], typed: int = 0) -> int | None:
    """Index of a last line that ends by looping on a short pattern (``, 0, 0, 0, 0, 0``).
    The first ``typed`` characters of the first line are the user's own and not searched: on
    a row of ``255, 255, ...`` the user typed, the answer ``255,`` is no loop."""
    if not lines:
        return None
    last = lines[-1][typed:] if len(lines) == 1 else lines[-1]
    for pattern in _LOOPING_END:
        found = pattern.search(last[-LOOP_WINDOW:])
        if found and not _ruler(found.group(), lines[-1]):
            return len(lines) - 1
    return None


def _ruler(looping: str, line: str) -> bool:
    """Whether the ``looping`` end of ``line`` is a ruler rather than a loop."""
    return len(line) <= MAX_RULER_COLUMNS and _RULER.fullmatch(looping) is not None


def retyped_above(lines: list[str], above: list[str]) -> int:
    """How many of the suggestion's first full lines re-type the code lines just above the
    cursor (``above``, nearest first), the most that match as a block; 0 when none does or
    none of them says anything (``}``, ``pass``), unless code goes on right after them at
    their last line's level: after a closer such as ``},`` that level is the closed block's
    siblings', so the closer was the one above, typed again."""
    for count in range(min(len(lines), len(above)), 0, -1):
        block = [line.rstrip() for line in lines[:count]]
        if block == [line.rstrip() for line in reversed(above[:count])]:
            said = any(_meaningful(line) for line in block)
            return count if said or _sibling_after(lines, count) else 0
    return 0


def _sibling_after(lines: list[str], count: int) -> bool:
    """Whether the line after ``lines[:count]`` is code, not a closer, indented as the last
    of them."""
    if count >= len(lines) or not lines[count].strip() or is_closer(lines[count]):
        return False
    return indentation(lines[count]) == indentation(lines[count - 1])


# The end of the cursor's line that an answer may type again: the word the cursor ends,
# with the member access before it (``this.``, ``os.path.``, ``Foo::``), from a token boundary.
_RETYPED_TAIL = re.compile(r"(?<![\w.:>])(?:\w+(?:\.|::|->))*\w*$")
_MEMBER_ACCESS = re.compile(r"\.|::|->")
# A member access the line ends with (``cls.``, ``items().``, ``p->``, ``std::``), not after
# a number (``1.``), and an answer starting with one before a name.
_ACCESS_END = re.compile(r"(?:(?<!\w)[^\W\d]\w*|[)\]])(\.|::|->)$")
_ACCESS_START = re.compile(r"(?:\.|::|->)[^\W\d]")
# Where ``..`` after a name is no code (elsewhere it may be: ``languages.DOUBLE_DOT``, a SQL
# Server ``db..table``, prose).
_NO_DOUBLE_DOT = frozenset({
    "c", "cpp", "cuda", "objective-c", "csharp", "java", "javascript", "typescript",
    "javascriptreact", "typescriptreact", "vue", "svelte", "go", "php", "python", "scala",
    "solidity",
})  # fmt: skip
# The fewest characters of such an end that tell a copy from a word that doubles on purpose.
MIN_RETYPED_TAIL_CHARS = 3


def without_tail_again(text: str, ctx: Context) -> str:
    """The answer without a copy of the end of the cursor's line it starts with, which would
    stand twice, glued: the word the cursor ends (``from os.path impor|`` + ``import``: not
    ``imporimport``), with a member access before it (``this.|`` + ``this.keys``). Not where
    the file holds the doubled text itself, nor at digits, nor inside a word
    (:func:`overlap.retypes_word` judges that). A copy of a word of one or two characters
    needs more evidence (:func:`_short_word_again`); the member access operator the line ends
    with goes when the answer starts with it again (``cls.|`` + ``.calls``)."""
    if _WORD.match(ctx.line_suffix[:1]):
        return text
    found = _RETYPED_TAIL.search(ctx.line_prefix)
    chain = found.group() if found else ""
    # The whole chain or its end from a name on (``exports.FSEVENT_M`` + ``FSEVENT_MOVED``).
    starts = [0, *(part.end() for part in _MEMBER_ACCESS.finditer(chain))]
    for tail in (chain[start:] for start in starts):
        if not tail or tail.isdigit() or not text.startswith(tail):
            continue
        if len(tail) < MIN_RETYPED_TAIL_CHARS:
            return text[len(tail) :] if _short_word_again(tail, text, ctx) else text
        doubled = tail + tail
        return text if doubled in ctx.prefix or doubled in ctx.suffix else text[len(tail) :]
    return text[len(_access_again(text, ctx)) :]


def _access_again(text: str, ctx: Context) -> str:
    """The member access operator the cursor's line ends with, when the answer starts with it
    again before a name (``cls.|`` + ``.calls = []``, ``p->|`` + ``->next``): twice in a row
    it is no code. A dot only where two are no operator (not Lua's or Rust's ``..``)."""
    found = _ACCESS_END.search(ctx.line_prefix)
    if found is None or not _ACCESS_START.match(text) or not text.startswith(found.group(1)):
        return ""
    dot = found.group(1) == "."
    return "" if dot and ctx.language not in _NO_DOUBLE_DOT else found.group(1)


def _short_word_again(tail: str, text: str, ctx: Context) -> bool:
    """Whether an answer starting with the one or two characters of a word the cursor ends
    types that word again (``def te|`` + ``test_5``), which the file does not hold doubled
    (``tetest_5``). After one character only where the file holds the answer's word
    (``s|`` + ``self``), as many real words start with a letter twice (``s|`` + ``sl`` for
    ``ssl``, ``mmap``, ``llvm``)."""
    word = _NAME.match(text)
    if word is None or len(word.group()) <= len(tail):
        return False
    doubled = tail + word.group()
    if _NUMBER_OR_RUN.fullmatch(doubled) or _holds_word(doubled, ctx):
        return False
    return len(tail) > 1 or _holds_word(word.group(), ctx)


def _holds_word(word: str, ctx: Context) -> bool:
    whole = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")
    return ctx.shows(whole)


def without_line_start(text: str, line_prefix: str) -> str:
    """The answer without a copy of the cursor line's code it starts with (``result = a + b``
    after ``    result = ``), which would stand twice on the line."""
    typed = line_prefix.strip()
    body = text.lstrip(" \t")
    if len(typed) < MIN_RETYPED_LINE_CHARS or not body.startswith(typed):
        return text
    rest = body[len(typed) :]
    if _WORD.match(typed[-1]) and _WORD.match(rest[:1]):
        return text  # a longer word: ``return`` then ``return_value``
    return rest
