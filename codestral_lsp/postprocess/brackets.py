"""Auto-closed brackets and quotes after the cursor.

Editors insert the closer as the user types the opener, so the line often reads ``print(|)`` or
``x = ["|"]``. When the suggestion itself closes what the tail closes, showing it as an insert
would double the closer. Instead of cutting the suggestion, the item *replaces* that much of the
line tail (Tabby's "replace to line end"): :func:`replace_length` says how many characters.
"""

from __future__ import annotations

import functools
import itertools
import re
import string
from collections.abc import Callable
from dataclasses import dataclass

from codestral_lsp.context import Context
from codestral_lsp.languages import LISPS, SINGLE_TRIPLES
from codestral_lsp.postprocess.embedded import in_fenced_block
from codestral_lsp.postprocess.heredocs import window_start_quote
from codestral_lsp.postprocess.lines import (
    COMMENT_MARK,
    HASH_COMMENTS,
    SHELLS,
    code_line_below,
    goes_on,
    is_blank,
    is_closer,
    lines_above,
    lines_after_cursor,
    recent_lines,
)
from codestral_lsp.postprocess.tags import in_attribute

OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = {v: k for k, v in OPENERS.items()}
QUOTES = "\"'`"
CONTEXT_LINES = 12
# How far above the cursor the brackets an answer may close are looked for: an opener further
# up is unknown, and a closer of it would read as stray.
STRAY_LINES = 80
# The longest line tail :func:`replace_length` judges. Real ones are a few closers (``"]));``);
# judging every start of a longer run of punctuation costs the square of its length.
MAX_REPLACED_TAIL = 64
# What may close something the answer should not (only an end holding one is judged).
_CLOSING = re.compile(r"[)\]}>\"'`]")
# The punctuation a closer run after the cursor is made of (``))``, ``"}``, ``]];``, ``>();``).
_AGAIN = ")]}>\"'`;,("
# Languages whose ``)`` closes nothing on purpose (shell's ``start)`` case arms), and prose.
_UNPAIRED = SHELLS | {"markdown", "plaintext", "text", ""}
# A comment on the line, where brackets are prose (``# done :)``).
_COMMENT = re.compile(rf"^\s*\*|(?:^|\s){COMMENT_MARK}")
# Where brackets other than TeX's groups are text (``\noexpand]``, ``[0, 1)``), not pairs.
_TEXT_BRACKETS = frozenset({"latex", "restructuredtext"})
# TeX's text brackets (not a control symbol's ``\[``, ``\)``, ``\\``), and a run of them ending a
# line (:func:`_tex_unopened_text`).
_TEX_TEXT_BRACKETS = re.compile(r"\\.|([()\[\]])", re.DOTALL)
_TEX_TEXT_CLOSERS = re.compile(r"[)\]]+$")
_BLANK_LINE = re.compile(r"(?<=\n)[ \t]*\n")
# What TeX's group count passes over: control symbols (``\{``, ``\%``, ``\\``), quotes
# (````a''``), and brackets, which are text there (``$[0, 1)$``): a group is ``{`` to ``}``.
_TEX_INERT = re.compile(r"\\[^A-Za-z\n]|[\"'`()\[\]]")
# A TeX comment once control symbols are inert (``\\%`` is a percent sign).
_TEX_COMMENT = re.compile(r"%[^\n]*")
# A Lisp's character literal of a bracket, no bracket to count: Clojure's ``\}``, Scheme's
# ``#\(``; in Emacs Lisp also ``?\(`` and ``?(`` (not a name's ``?``).
_BACKSLASH_CHAR = re.compile(r"\\[()\[\]{}]")
_ELISP_CHAR = re.compile(r"\??\\[()\[\]{}]|(?<![\w#])\?[()\[\]{}]")
# Character literals, read from left to right (``$$]`` is ``$$`` then ``]``): Elixir's ``?}``
# (not a name's ``?``, as in ``valid?(x)``), Erlang's ``$(`` and Tcl's backslashed ``\}``
# (a backslash quotes the next character, in a string or out). Those of a bracket are no
# bracket to count.
_CHAR_LITERALS = {
    "elixir": re.compile(r"(?<![\w?])\?\\?."),
    "erlang": re.compile(r"\$\\?."),
    "tcl": re.compile(r"\\."),
}
# A ``case ... in`` line and an ``esac``, over the last lines above the cursor.
_CASE_BLOCK = re.compile(r"^\s*case\b.*\bin[ \t]*$|^\s*esac\b|;(?:;&?|&)[ \t]*$", re.MULTILINE)
_CASE_LINES = 200
# A shell line that goes on into the next: a continued line, a pipe, a list, an array or a
# substitution opened (not a block's ``{`` or a subshell's ``(``: their commands are their own).
_SHELL_GOES_ON = re.compile(r"(?:\\|\||&&|[=$<>]\()[ \t]*$")
# A shell line that assigns an array or a command's output (``COMPREPLY=($(``, ``local x=$(``):
# no case arm's pattern.
_SHELL_ASSIGNED = re.compile(
    r"\s*(?:(?:local|export|declare|typeset|readonly)(?:\s+-\w+)*\s+)?\w+(?:\[[^\]]*\])?\+?=\$?\("
)
# Verilog's named port connection with more after it (``.A(A[0]),``): no list closes there.
_VERILOGS = frozenset({"verilog", "systemverilog"})
# A line that starts by closing something opened above: a closer, a block's ``end``.
_ROW_CLOSES_ABOVE = re.compile(r"\s*(?:[)\]}]|end\b|$)")
# A line that starts a statement of its own, not a clause going on (``else``, ``then``).
_STATEMENT_START = re.compile(
    r"\s*(?!(?:else|elif|elsif|then|do|catch|finally|except|in)\b)[A-Za-z_$@]"
)
_PORT_ROW = re.compile(r"\s*\.\w+\s*\(.*,[ \t]*(?://.*)?$")
# Where ``;`` ends a clause, not a statement (Erlang's ``{ok, X}};`` may close a tuple begun
# lines above).
_CLAUSE_SEMICOLONS = frozenset({"erlang", "prolog", "ocaml", "fsharp", "sml"})
# A value's braces closed before a statement's ``;`` that ends the line.
_ENDS_VALUE = re.compile(r"[^\s)\]}][)\]}]*\}[)\]]*;[ \t]*(?://.*)?$")
# A line starting at column 0 with a name: code outside any call or list.
_TOP_LEVEL_LINE = re.compile(r"^\w", re.MULTILINE)
_LISP_COMMENT = re.compile(r"(?<!#);")
# How much deeper than a form's opener a line inside it is: a body's 2 columns, or 1 for a
# form opened on an earlier line (a list's items, Guile's ``cond`` clauses, align there).
# A form opened and closed on the line judged is 2: after ``(if (pair? x)`` a line 1 column
# deeper than ``(pair?`` is the ``if``'s next argument, aligned one off. Not a clause's (a
# bracket right after its own: ``((null? x)``), whose body goes 1 deeper wherever it opened.
_CHILD_INDENT = 2
# A line's first character of code (not a Lisp comment's).
_LINE_CODE = re.compile(r"^([ \t]*)([^\s;])", re.MULTILINE)
# A Prolog clause's start: its head or directive at column 0.
_CLAUSE_START = re.compile(r"^[^\s%/]", re.MULTILINE)
# How a Prolog group goes on at its own column: its condition's ``->`` (or soft ``*->``),
# the next branch's ``;`` or ``|``.
_GROUP_GOES_ON = ("->", "*->", ";", "|", ")")
# What may stand before a Prolog group's ``(`` that is first on its line: the branch tokens
# and enclosing groups' openers (``    ;   (   (   Cond``).
_GROUP_LEAD = re.compile(r"[\s(;|*>-]*")
_OPENER = re.compile(r"[(\[{]")
_ANY_CLOSER = re.compile(r"[)\]}]")
# Languages whose blocks are their indentation: a bracket there only holds a value.
_OFFSIDE = frozenset({
    "python", "nim", "coffeescript", "haskell", "elm", "fsharp", "purescript", "yaml",
})  # fmt: skip
# Languages whose braces hold values (dicts, maps, tuples, tables), never a block: a ``}``
# at the end of a statement's line closes what the line opened, as ``)`` does.
_VALUE_BRACES = frozenset({"python", "elixir", "erlang", "lua"})
# Where a line ending with ``->`` is a clause's head, whose body starts a statement below it.
_CLAUSE_ARROWS = frozenset({"elixir", "erlang"})
# Markdown's inline code spans, whose brackets are code, not the prose's.
_CODE_SPAN = re.compile(r"(`+)[^`\n]+?\1")
# Where a paragraph starts: after a blank line.
_PARAGRAPH_START = re.compile(r"\n[ \t]*\n")
# The ``)`` and ``]`` ending a line of prose, before the sentence's punctuation.
_PROSE_END = re.compile(r"[)\]]+(?=[.,;:!?]*[ \t]*$)")
# A line of closers alone (with the ``;`` or ``,`` after them).
_CLOSERS_ONLY = re.compile(r"[ \t]*[)\]}]+[;,]?[ \t]*")
# The closers a line of code ends with, before its ``;`` or ``,``.
_LINE_CLOSERS = re.compile(r"(?<=[^\s)\]}])[)\]}]+(?=[;,]?[ \t]*(?:\n|$))")
# Punctuation, and the closing tags an editor adds as the user types a tag (``"></a>``).
_PUNCT_TAIL = re.compile(r"^(?:\W|</[A-Za-z][\w.:-]*>)*$")
# What an editor closes or a statement ends with, before a comment (``); // why``).
_CLOSERS_BEFORE_COMMENT = re.compile(r"[)\]}\"'`;,]+")
# A Rust lifetime or label (``&'a str``, ``'static``, ``'outer:``): a quote that opens nothing.
_LIFETIME = re.compile(r"'[A-Za-z_]\w*(?!['\w])")
# The ML family and Haskell, where a quote ends a name (``fn'``, ``x''``) or starts a type
# variable (``'a``), Ada and VHDL, where it follows a name to read an attribute (``S'Length``),
# and Nim and Verilog, where it gives a number its type or size (``0'i32``, ``4'b1010``,
# ``'h1f``): a quote opens a string there only as a character literal (``'x'``).
PRIMES = frozenset({
    "ocaml", "fsharp", "haskell", "elm", "sml", "purescript", "reason", "ada", "nim",
    "vhdl", "verilog", "systemverilog",
})  # fmt: skip
_PRIMED = re.compile(r"(?<=[\w'])'")
_TYPE_VARIABLE = re.compile(r"'[A-Za-z_]\w*(?!')")
# Languages whose ``<>`` hold type arguments (``Vec<i32>``, ``List<String>``, ``Map<K, V>``).
# Not JSX and TSX, where most ``>`` end a tag.
GENERICS = frozenset({
    "cpp", "cuda", "java", "csharp", "typescript", "rust", "kotlin", "swift", "dart",
})  # fmt: skip
# A ``<`` that opens type arguments: right after a name (or Rust's ``::<``), right before a
# type (``<String>``, ``<&str>``, ``<'a>``, ``<?>``, ``<[u8; 4]>``) or ``>`` (``new List<>()``),
# or last in what is read (the cursor's ``List<|``).
# ``a < b`` and ``x <= y`` do not qualify; ``a<b`` does, and a later ``)``, ``;`` or line end
# drops it again (see :meth:`Scan._soft`).
_TYPE_OPEN = re.compile(r"(?<=[\w:])<(?=[\w\[&'?*(>]|\Z)")
# A ``>`` that closes nothing by design: arrows and comparisons with ``=`` (``->``, ``=>``,
# ``>=``).
_NOT_CLOSING = re.compile(r"(?<=[-=])>|>(?==)")
# The characters the scan acts on outside strings; and inside a string, what may end it.
_ACTIVE = re.compile(r"[()\[\]{}\"'`<>;\n]")
# Lisps (:data:`LISPS`): ``'`` and a backquote quote code rather than open strings, ``;``
# starts a comment, and ``?(`` (Emacs Lisp), ``\(`` (Clojure) or ``#\(`` (Scheme) is a
# character, not a bracket.
# Languages whose line comments start with ``--``, and those whose start with ``;``.
DASH_COMMENTS = frozenset({"lua", "sql", "haskell", "elm", "ada", "vhdl"})
SEMICOLON_COMMENTS = LISPS | frozenset({"ini", "asm", "nasm"})
# Languages where a backquote is no quote (only prose has one: a doc comment's ```` `x` ````,
# a Markdown example in a raw string; Verilog's starts a macro, `` `define``), so a window
# that starts inside such prose does not read the rest of the file as a string.
NO_BACKQUOTES = frozenset({
    "c", "cpp", "cuda", "objective-c", "objective-cpp", "java", "csharp", "rust", "python",
    "zig", "dart", "vhdl", "verilog", "systemverilog",
})  # fmt: skip
# Languages whose ``"`` strings run over lines (CMake's quoted arguments).
_LONG_STRINGS = frozenset({"cmake"})
# What a :class:`Scan` knows of its language (:attr:`Scan.flags`).
Flags = tuple[bool, bool, bool, bool, bool, bool, bool]
# Languages whose line comments start with ``%``.
PERCENT_COMMENTS = frozenset({"erlang", "matlab", "octave", "prolog", "latex"})
_ACTIVE_LISP = re.compile(r"[()\[\]{}\"?\\;]")
# A Lisp name's characters: a ``?`` right after one ends the name (``null?``); elsewhere it
# starts a char.
NAME_CHAR = re.compile(r"[\w!$%&*+\-./:<=>?@^~]")
_STRING_STOPS = {quote: re.compile(rf"[\\\n{quote}]") for quote in "\"'`"}


class Scan:
    """Open brackets, the open string, and what did not balance, reading code left to right.

    Deliberately small: no comments (but a Lisp's); a one-quote string ends at its line's end
    (not in a Lisp, nor a ``"`` one with ``long_strings``: CMake's quoted arguments), a
    triple-quoted one at its closing quotes. It only has to compare a few variants of the same
    lines, so its blind spots cost the same on each side.
    """

    def __init__(
        self,
        lifetimes: bool = False,
        angles: bool = False,
        lisp: bool = False,
        primes: bool = False,
        backquotes: bool = True,
        single_triples: bool = True,
        long_strings: bool = False,
    ) -> None:
        self.lifetimes = lifetimes
        self.angles = angles
        self.lisp = lisp
        self.primes = primes
        self.backquotes = backquotes
        self.single_triples = single_triples
        self.long_strings = long_strings
        self.quotes = QUOTES if backquotes else QUOTES.replace("`", "")
        self.stack: list[str] = []
        self.quote = ""
        self.extra = 0
        self.open_strings = 0
        self.low = 0  # the fewest brackets open at any point since it was last set

    def copy(self) -> Scan:
        """A scan in the same state, to read different code after the same lines."""
        twin = Scan(*self.flags)
        twin.stack, twin.quote = list(self.stack), self.quote
        twin.extra, twin.open_strings, twin.low = self.extra, self.open_strings, self.low
        return twin

    @property
    def flags(self) -> Flags:
        """What this scan knows of its language, in the constructor's order."""
        return (
            *(self.lifetimes, self.angles, self.lisp, self.primes, self.backquotes),
            *(self.single_triples, self.long_strings),
        )

    def feed(self, code: str, lenient: bool = False) -> Scan:
        """Read ``code``; returns ``self``. ``lenient`` code (the prefix, whose start is cut
        off) may close brackets opened before it; elsewhere such a closer counts as ``extra``."""
        i = 0
        while i < len(code):
            i = self._read(code, self._next(code, i), lenient)
        return self

    def stacks_at(
        self, code: str, stops: list[int], quoted: set[int] | None = None
    ) -> dict[int, list[str]]:
        """Read ``code`` leniently; returns the brackets open just before each of ``stops``
        (ascending indices of ``code``), in one reading. The stops inside a string go to
        ``quoted`` when given."""
        stacks: dict[int, list[str]] = {}
        i, pending = 0, iter(stops)
        stop = next(pending, None)
        while stop is not None:
            i = self._next(code, i)
            while stop is not None and stop <= i:
                stacks[stop] = list(self.stack)
                if self.quote and quoted is not None:
                    quoted.add(stop)
                stop = next(pending, None)
            i = self._read(code, i, lenient=True)
        return stacks

    def _next(self, code: str, i: int) -> int:
        """Where the state may change next, from ``i`` (the end of ``code`` when nowhere)."""
        if self.quote:
            return i
        # Names, numbers and spaces do nothing here: skip them at C speed.
        found = (_ACTIVE_LISP if self.lisp else _ACTIVE).search(code, i)
        return len(code) if found is None else found.start()

    def _read(self, code: str, i: int, lenient: bool) -> int:
        """Read what starts at ``i`` (found by :meth:`_next`); returns where reading goes on."""
        if i >= len(code):
            return i
        if self.quote:
            return self._in_string(code, i)
        char = code[i]
        if self.lisp and char in "?\\;":
            return _past_lisp_literal(code, i)
        lifetime = _LIFETIME.match(code, i) if self.lifetimes and char == "'" else None
        if lifetime:
            return lifetime.end()
        if (
            self.primes
            and char == "'"
            and (_PRIMED.match(code, i) or _TYPE_VARIABLE.match(code, i))
        ):
            return i + 1
        if char in self.quotes:
            triple = code[i : i + 3] == char * 3 and (char != "'" or self.single_triples)
            self.quote = char * 3 if triple else char
            return i + (3 if triple else 1)
        if char in OPENERS:
            self.stack.append(char)
        elif char in CLOSERS:
            self._soft()
            self._close(char, lenient)
        elif self.angles:
            self._angle(code, i, lenient)
        return i + 1

    def _angle(self, code: str, i: int, lenient: bool) -> None:
        """Type arguments: ``<`` opens them, ``>`` closes them; a ``>`` with none open is a
        stray closer. A statement's end or a line break ends any still open (comparisons)."""
        char = code[i]
        if char == "<" and _TYPE_OPEN.match(code, i):
            self.stack.append(char)
        elif char == ">" and not _NOT_CLOSING.match(code, i):
            if self.stack and self.stack[-1] == "<":
                self.stack.pop()
                self.low = min(self.low, len(self.stack))
            elif not lenient:
                self.extra += 1
        elif char in ";\n":
            self._soft()

    def _soft(self) -> None:
        """Drop the ``<`` left open on top of the stack: they were comparisons (``i<n)``)."""
        while self.stack and self.stack[-1] == "<":
            self.stack.pop()
        self.low = min(self.low, len(self.stack))

    def _in_string(self, code: str, i: int) -> int:
        """Advance through string text from ``i``; returns the next index to read."""
        found = _STRING_STOPS[self.quote[0]].search(code, i)
        if found is None:
            return len(code)
        i = found.start()
        char = code[i]
        if char == "\\":
            return i + 2
        if char == "\n" and len(self.quote) == 1 and not self._runs_on():
            self.quote = ""
            self.open_strings += 1
        elif code.startswith(self.quote, i):
            i += len(self.quote) - 1
            self.quote = ""
        return i + 1

    def _runs_on(self) -> bool:
        """Whether the open one-quote string goes on past a line's end."""
        return self.lisp or (self.long_strings and self.quote == '"')

    def _close(self, char: str, lenient: bool) -> None:
        opener = CLOSERS[char]
        if self.stack and self.stack[-1] == opener:
            self.stack.pop()
        elif lenient:
            if opener in self.stack:
                del self.stack[len(self.stack) - 1 - self.stack[::-1].index(opener) :]
        else:
            self.extra += 1
        self.low = min(self.low, len(self.stack))


def _past_lisp_literal(code: str, i: int) -> int:
    """Where reading goes on after a Lisp comment (to its line's end; ``#;`` only marks the
    next datum) or character literal (``?(``, ``?\\(``, ``\\(``) at ``i``; a ``?`` ending a
    name (``null?``) is passed over."""
    char = code[i]
    if char == ";" and code[i - 1 : i] == "#":
        return i + 1  # Racket's and Scheme's ``#;`` comments out the datum after it, balanced
    if char == ";":
        end = code.find("\n", i)
        return len(code) if end < 0 else end
    if char == "?" and i and (NAME_CHAR.match(code, i - 1) or code[i - 1] == "#"):
        return i + 1  # Clojure's reader conditional ``#?(:clj ...)`` is no literal
    return i + 3 if code[i + 1 : i + 2] == "\\" and char == "?" else i + 2


def is_comment_line(line: str, language: str) -> bool:
    """Whether ``line`` (or the start of one) is a whole-line comment in ``language``, by the
    marks :func:`without_comment_lines` knows."""
    return _comment_lines(language).match(line) is not None


def without_comment_lines(text: str, language: str) -> str:
    """``text`` with its whole-line comments emptied, line breaks kept: a doc comment's
    ```` ``` ```` or ``it's`` is no quote, its ``(1)`` no bracket. ``//``, ``/*`` and a block
    comment's `` * `` lines everywhere; ``#`` only where it starts comments (a CSS ``#id {``
    or C's ``#if (`` is code), ``;`` in Lisps, INI and assembly, ``--`` in Lua and SQL, ``%``
    in Erlang, MATLAB and TeX."""
    return _comment_lines(language).sub("", text)


@functools.lru_cache(maxsize=16)
def _comment_lines(language: str) -> re.Pattern[str]:
    marks = ["//", r"/\*", r"\*(?=[ \t/`]|$)", *_line_marks(language)]  # `` *```` ends an example
    return re.compile(rf"^[ \t]*(?:{'|'.join(marks)}).*$", re.MULTILINE)


def _line_marks(language: str) -> list[str]:
    """What starts a line comment in ``language`` besides C's ``//``: ``#``, ``;``, ``--``,
    ``%`` (as patterns)."""
    marks: list[str] = []
    if language in HASH_COMMENTS:
        marks.append("#")
    if language in SEMICOLON_COMMENTS:
        marks.append(";")
    if language in DASH_COMMENTS:
        marks.append("--")
    if language in PERCENT_COMMENTS:
        marks.append("%")
    return marks


def without_trailing_comment(line: str, language: str) -> str:
    """``line`` without the comment that ends it (``if (x) { // why``, TeX's ``\\def\\x{%``),
    for the rules that read what a line of code ends with. Unchanged where the marker may sit
    in a string (an odd number of ``"`` before it)."""
    found = _trailing_comment(language).search(line)
    if found is None or line.count('"', 0, found.start()) % 2:
        return line
    return line[: found.start()].rstrip()


@functools.lru_cache(maxsize=16)
def _trailing_comment(language: str) -> re.Pattern[str]:
    # After a space only: ``http://x``, ``$#``, ``a--``, a regular expression's ``(?#`` are
    # no comments. Python's and Perl's ``//`` is an operator.
    own = _line_marks(language)
    marks = [r"/\*.*\*/\s*$", *(mark for mark in own if mark != "%")]
    if "#" not in own:
        marks.append("//")
    pattern = rf"(?:(?<=\s)|^)(?:{'|'.join(marks)})"
    if "%" in own:
        pattern += r"|(?<!\\)%"  # TeX's ``{%`` ends a line on purpose; ``\%`` is a percent
    return re.compile(pattern)


def scanner(ctx: Context, angles: bool = False, lisp: bool = True) -> Scan:
    """A :class:`Scan` for the cursor's language (Rust's lifetimes are no quotes, nor are a
    Lisp's quotes, unless ``lisp`` is false). With ``angles``, ``<>`` count as brackets where
    the language has type arguments: only to judge variants of the same code, as a
    comparison's ``>`` reads as a stray closer."""
    return Scan(
        lifetimes=ctx.language == "rust",
        angles=angles and ctx.language in GENERICS,
        lisp=lisp and ctx.language in LISPS,
        primes=ctx.language in PRIMES,
        backquotes=ctx.language not in NO_BACKQUOTES,
        single_triples=ctx.language in SINGLE_TRIPLES,
        long_strings=ctx.language in _LONG_STRINGS,
    )


def cost(code: str, ctx: Context, above: str = "") -> int:
    """Closers with nothing to close, strings left open at a line end, and brackets still open
    at the end, in ``code`` read after ``above`` (whose own stray closers do not count)."""
    return _cost_after(read_above(above, ctx), code)


def read_above(above: str, ctx: Context, angles: bool = True) -> Scan:
    """The scan of the lines above (leniently: their start may be cut off), for
    :func:`_cost_after` and other readers that go on from a copy. Cached: every keystroke's
    answer, and every line of a stream, is judged after the same lines."""
    return _scanned(above, scanner(ctx, angles).flags)


@functools.lru_cache(maxsize=8)
def _scanned(above: str, flags: Flags) -> Scan:
    """Every keystroke's answer is judged after the same lines above: read them once."""
    scan = Scan(*flags).feed(above, lenient=True)
    scan.extra = scan.open_strings = 0
    return scan


def _cost_after(above: Scan, code: str) -> int:
    """Closers with nothing to close, strings left open, and the brackets still open at the
    end that ``code`` opened: those the lines above opened and nothing in ``code`` reaches
    may close beyond the window, so leaving them open is no fault, nor closing them one."""
    scan = _fed_after(above, code)
    open_here = len(scan.stack) - scan.low
    return scan.extra + scan.open_strings + open_here + (1 if scan.quote else 0)


def without_stray_closers(text: str, ctx: Context) -> str:
    """``text`` without the closers at its end that the code after the cursor brings again
    (``items)))`` in ``print(len(|))``, ``"https": 443}}`` in a one-level map, ``b))`` above the
    call's own ``)``): the model closed once more than the code around the cursor leaves open.

    Only punctuation that the closers right after the cursor (on its line, or starting the next
    line that has code) also hold may go: the scan cannot see openers far above, in comments,
    in regexes or other literals, so an end it merely finds unbalanced is the answer's own.
    Each shorter end is judged as the item would show it (with the tail it replaces,
    :func:`replace_length`) against the :data:`STRAY_LINES` above and the lines below; the most
    balanced wins, the longest among equals, so an answer is only cut when that makes the code
    strictly more balanced. A cut never reopens a bracket the answer opened and closed itself
    (``renderHook(|);`` + ``() => useRange(props)``): below a window whose start hides the
    blocks the code below closes (``});``), a mismatched count would favour it. Not in shell
    and prose, nor at the end of a comment (``:)``), nor
    the first closer of a closer line of its own, which the scope rule judged by indentation
    however far up its block opened.
    """
    # A stray closer may hide inside the punctuation the answer ends with (``number>>>();``).
    run = len(text) - len(text.rstrip(string.punctuation))
    if not run or ctx.language in _UNPAIRED:
        return text
    last = text[text.rfind("\n") + 1 :] if "\n" in text else ctx.line_prefix + text
    if "\n" in text and is_closer(last):
        # Its first closer ends the block the scope rule found by indentation, however far up
        # that opened; only what follows it may be stray (``  }}``).
        run = min(run, len(last.strip()) - 1)
    again = _closers_after(ctx)
    if not run or not again or _COMMENT.search(last):
        return text
    above_text, below = _window(ctx, STRAY_LINES)
    above = read_above(above_text, ctx)
    best, best_cost = text, _shown_cost(text, ctx, above, below)
    own = _opened_in(text, above)
    for cut in range(1, run + 1):
        kept = text[:-cut]
        if not kept.strip() or not set(text[-cut:]) <= again:
            break
        if _opened_in(kept, above) > own:
            continue
        kept_cost = _shown_cost(kept, ctx, above, below)
        if kept_cost < best_cost:
            best, best_cost = kept, kept_cost
    return best


def _opened_in(text: str, above: Scan) -> int:
    """How many brackets ``text`` opens and leaves open, read after ``above``."""
    scan = _fed_after(above, text)
    return len(scan.stack) - scan.low


def _fed_after(above: Scan, code: str) -> Scan:
    """A copy of ``above`` that has read ``code``, its ``low`` counted from where it began."""
    scan = above.copy()
    scan.low = len(scan.stack)
    return scan.feed(code)


def _closers_after(ctx: Context) -> set[str]:
    """The closers (and their ``;``, ``,``) that the code right after the cursor starts with:
    on the cursor's line, else on the next line with code."""
    rest = ctx.line_suffix.strip()
    if not rest:
        rest = (code_line_below(ctx) or "").strip()
        if rest[:1] in QUOTES:
            return set()  # a line that starts a string (a docstring) brings no closer again
    lead = rest[: len(rest) - len(rest.lstrip(_AGAIN))]
    return set(lead) if _CLOSING.search(lead) else set()


def without_unopened_closers(text: str, ctx: Context, first_only: bool = False) -> str:
    """``text`` without the closers ending a line of code that nothing before them opened
    (``1)))`` after ``x = f(g(``, ``]]`` after ``[1, 2``): the model lost count, and no closer
    after the cursor shows it (:func:`without_stray_closers` judges those).

    The brackets open at the cursor are read from the whole prompt, its comments left out.
    When the prompt is the whole text before the cursor that reading is complete. When
    it was trimmed, what the window starts inside stays unknown: only ``)`` and ``]`` are
    judged then (a class or namespace body spans windows, a call or list rarely), only when
    the window holds a line of code at column 0 (no call or list goes on around it; a long
    list's items are indented), and not in a Lisp, whose forms span windows; and a closer of
    another kind than the innermost bracket the window shows open (a ``}`` with a ``(`` open,
    which must close first) wherever the window starts. In TeX only
    ``}`` is judged, against groups alone (:func:`_bracket_code`), in a trimmed window too: a
    group rarely spans one. A line of closers alone is left to the scope rule, which judges
    it by indentation. In a Lisp, also :func:`_without_closed_parents`. With ``first_only``,
    only the first line is judged (the others still tell a Lisp's indentation).
    """
    if ctx.language in SHELLS and _ANY_CLOSER.search(text):
        return _shell_unopened(text, ctx)
    if ctx.language == "markdown" and _ANY_CLOSER.search(text):
        return _prose_unopened(text, ctx)
    if ctx.language in _UNPAIRED or not _ANY_CLOSER.search(text):
        return text
    line = ctx.line_prefix + text.split("\n", 1)[0]
    port = ctx.language in _VERILOGS and _PORT_ROW.match(line)
    if in_attribute(line, ctx) or port or _sibling_row(line, text, ctx):
        # An attribute's braces, a port connection's parentheses when more follow, a row
        # with a sibling row below, balance on its line, whatever the window starts inside.
        return _first_line_alone(text, ctx)
    whole = ctx.offset == len(ctx.prefix)
    if ctx.language == "latex":
        return _tex_unopened_text(_unopened(text, ctx, "}", first_only), ctx)
    if ctx.language in _TEXT_BRACKETS:
        return text
    if ctx.language in LISPS:
        # Layout first: a line closing its form early, read first, would make the count take
        # the form's real closer further down for one too many.
        laid_out = _without_closed_parents(text, ctx, first_only)
        return _unopened(laid_out, ctx, ")]}", first_only) if whole else laid_out
    if ctx.language == "prolog":
        text = _without_closed_groups(text, ctx, first_only)
    text = _without_closed_above(text, ctx, first_only)
    if whole:
        return _value_braces(_unopened(text, ctx, ")]}", first_only), ctx)
    if not (_TOP_LEVEL_LINE.search(ctx.prefix) or _at_statement_level(ctx)):
        return _unopened(text, ctx, "", first_only, mismatched=")]}")
    if ctx.language in _VALUE_BRACES:
        return _unopened(text, ctx, ")]}", first_only)
    return _value_braces(_unopened(text, ctx, ")]", first_only, mismatched="}"), ctx)


def _sibling_row(line: str, text: str, ctx: Context) -> bool:
    """Whether the cursor's ``line`` (with the answer's first line) is a row of a list or an
    argument list that goes on with a sibling: a line of code ending with ``,`` whose next
    line of code, in the answer or below it, stands at its indentation. The list is still
    open below it, so the row closes only what it opened (``Parameter(typeof(object), out
    var module)),`` over ``Parameter(...)``); or a statement in a block whose next line of
    code at its indentation starts another (:func:`_statement_row`): the block goes on, so
    the line closes only what it opened (``p := []string{}}`` over ``f.Set(&p)``). Not a
    line starting with a closer or a block's ``end`` (``end),`` closing a ``fun(`` above),
    nor a comment line, and not in a Lisp, whose commas unquote."""
    code = without_trailing_comment(line, ctx.language).rstrip()
    if ctx.language in LISPS or _ROW_CLOSES_ABOVE.match(code):
        return False
    if is_comment_line(code, ctx.language):
        return False  # its brackets are prose
    rest = [row for row in text.split("\n")[1:] if not is_blank(row)]
    below = rest[0] if rest else code_line_below(ctx)
    if below is None or _ROW_CLOSES_ABOVE.match(below):
        return False
    if not code.endswith(",") and not _statement_row(line, below, ctx):
        return False
    return ctx.indent(below) == ctx.indent(line)


def _statement_row(line: str, below: str, ctx: Context) -> bool:
    """Whether ``below`` starts a statement in a block: no list or call is open at the
    cursor (a parameter list's rows go on into its ``return`` clause at their indentation),
    nor a string (a docstring's prose). In Tcl, whose braces hold lists as often as blocks,
    only where the innermost brace open at the cursor's ``line`` was opened by a line less
    indented (a body, as ``set result {}}`` over ``foreach d $data {`` is in): a list's row
    may close the row that the line above opened at its own level."""
    scan = at_cursor(ctx)
    if scan.quote or scan.stack[-1:] not in ([], ["{"]):
        return False
    if ctx.language == "tcl":
        opener = innermost_opener(ctx.above_line, ctx)
        if opener is None or opener.char != "{" or opener.indent >= ctx.indent(line):
            return False
    return _STATEMENT_START.match(below) is not None


def _prose_unopened(text: str, ctx: Context) -> str:
    """In Markdown prose, ``text`` without the ``)`` and ``]`` ending its first line (before
    the sentence's punctuation) that the paragraph up to them, counted past its code spans,
    leaves nothing open for, where a pair closed before them (a link's ``[docs](url))``).
    Not after a smiley's ``:`` or ``;``, nor where nothing pairs (a list's ``1)``), nor
    before the cursor, nor in a fenced or indented code block."""
    if ctx.line_prefix.startswith(("    ", "\t")) or in_fenced_block(ctx):
        return text  # code, whose language is not known
    first, newline, rest = text.partition("\n")
    # The paragraph's lines above: a parenthesis may open on one and close on another.
    above = _PARAGRAPH_START.split(ctx.above_line)[-1]
    paragraph = above + ctx.line_prefix + first
    code = _CODE_SPAN.sub(lambda span: "_" * len(span.group()), paragraph)
    found = _PROSE_END.search(code)
    if found is None or code[found.start() - 1 : found.start()] in (":", ";", "-", "="):
        return text
    stack: list[str] = []
    paired = False
    for char in code[: found.start()]:
        if char in "([":
            stack.append(char)
        elif char in ")]" and stack and stack[-1] == CLOSERS[char]:
            stack.pop()
            paired = True
    kept = list(first)
    cursor = len(above) + len(ctx.line_prefix)
    for i in range(found.start(), found.end()):
        char = code[i]
        if stack and stack[-1] == CLOSERS[char]:
            stack.pop()
            paired = True
        elif paired and i >= cursor:
            kept[i - cursor] = ""
    return "".join(kept) + newline + rest


def _value_braces(text: str, ctx: Context) -> str:
    """``text`` without the ``}`` its first line, counted alone, leaves nothing open for
    where a statement's value ends that line (``json a = {1, 2}};``): a block's closer there
    would stand before the ``;``, which no style writes."""
    first = text.split("\n", 1)[0]
    if ctx.language in _CLAUSE_SEMICOLONS or not _ENDS_VALUE.search(first):
        return text
    if (ctx.line_prefix + first).lstrip()[:1] in CLOSERS:
        return text
    return _first_line_alone(text, ctx, judged="}")


def _shell_unopened(text: str, ctx: Context) -> str:
    """In shell, ``text`` without the closers ending its first line that its command leaves
    nothing open for (``$(uname -m)}}``, ``-T))``), but for one ``)`` in a case block, which
    may end an arm's pattern (``-T)``, ``*)``, ``-!(-*)f)``) that nothing opens, unless the
    line starts an array or a command substitution (``COMPREPLY=($(``), which no pattern does.
    The command is read from the line that starts it (:func:`_command_start`): shell's
    brackets rarely span commands, and every case arm of the file leaves a ``)`` unmatched,
    so no count over the prompt is sure."""
    above = ctx.above_line
    start = _command_start(above)
    if start is None:
        return text
    start += ctx.line_prefix
    line = start + text.split("\n", 1)[0]
    spare = _in_case(above) and ";;" not in line and not _SHELL_ASSIGNED.match(line)
    return _first_line_alone(text, ctx, spare=int(spare), start=start)


def _command_start(above: str) -> str | None:
    """The lines ending ``above`` that the cursor's line continues: those that go on into the
    next (``\\``, a pipe, ``&&``, ``arr=(``, ``$(``: :data:`_SHELL_GOES_ON`), or
    ``None`` when the command's start is out of sight: more than :data:`CONTEXT_LINES` lines
    go on, or the first of them closes a group opened above it."""
    lines = recent_lines(above, CONTEXT_LINES + 2).split("\n")[:-1]
    kept = len(lines)
    while kept and _SHELL_GOES_ON.search(lines[kept - 1]):
        kept -= 1
    if kept == 0 and len(lines) > CONTEXT_LINES:
        return None
    if kept < len(lines) and lines[kept].lstrip()[:1] in CLOSERS:
        return None  # ``} 2>/dev/null |`` closes a group opened further up
    return "".join(line + "\n" for line in lines[kept:])


def _first_line_alone(
    text: str, ctx: Context, spare: int = 0, judged: str = ")]}", start: str | None = None
) -> str:
    """``text`` without the ``judged`` closers ending its first line that the cursor's line,
    counted alone (or from ``start``, the code before the cursor it counts from), leaves
    nothing open for (:func:`_unopened_cut`'s ``spare`` ``)`` aside)."""
    start = ctx.line_prefix if start is None else start
    first, newline, rest = text.partition("\n")
    scan = scanner(ctx).feed(start)
    cut = _unopened_cut(first, start, scan, judged, ctx, spare=spare)
    return cut + newline + rest


def _in_case(above: str) -> bool:
    """Whether the code ``above`` the cursor's line leaves a ``case ... in`` open (nested
    ones counted). An arm's end (``;;``) shows one open where the window starts below its
    ``case``."""
    depth = 0
    for mark in _CASE_BLOCK.findall(recent_lines(above, _CASE_LINES)):
        if mark.startswith(";"):
            depth = max(depth, 1)
        else:
            depth = depth + 1 if mark.strip().startswith("case") else max(0, depth - 1)
    return depth > 0


def _at_statement_level(ctx: Context) -> bool:
    """Whether the cursor's line starts with no call or list open around it: a statement in a
    block (``    if (!IsValid(x`` in a method deep in a class), which closes no bracket opened
    above it. The window shows a brace open around the line; or it shows nothing open, and
    the line above does not go on into this one (a list's items end with ``,``: the window
    may start inside a long list); a clause's ``->`` in Elixir and Erlang does not go on.
    Where braces hold values (:data:`_VALUE_BRACES`), only the latter. Not in
    the other languages whose blocks are their indentation: Haskell's and Elm's lists put
    their commas first, so a row's line above does not end going on."""
    if ctx.language in _OFFSIDE and ctx.language != "python":
        return False
    line_start = ctx.above_line
    stack = _prompt_scan(line_start, ctx).stack
    holds = "([{" if ctx.language in _VALUE_BRACES else "(["
    if any(bracket in holds for bracket in stack):
        return False
    if stack:
        return True
    # The line above past comment lines (a doc comment above ``#[inline]``): they go on into
    # nothing.
    above = (line for line in lines_above(ctx) if not is_comment_line(line, ctx.language))
    code = without_trailing_comment(next(filter(str.strip, above), ""), ctx.language).rstrip()
    if ctx.language in _CLAUSE_ARROWS and code.endswith("->"):
        return True
    return bool(code) and not goes_on(code)


def _unopened(text: str, ctx: Context, judged: str, first_only: bool, mismatched: str = "") -> str:
    """``text`` without the ``judged`` closers ending its lines that the prompt and the
    lines before leave nothing open for, and the ``mismatched`` ones that would close another
    kind of bracket the prompt shows open (a ``}`` with a ``(`` open: whatever a trimmed
    window starts inside, that ``(`` must close first)."""
    scan = _prompt_scan(ctx.prefix, ctx).copy()
    lines = text.split("\n")
    for k, line in enumerate(lines[:1] if first_only else lines):
        if k and _CLOSERS_ONLY.fullmatch(line) and _closes_nothing(scan, judged, ctx):
            # A line of closers with nothing at all open: the answer has run past the code.
            return "\n".join(lines[:k])
        start = ctx.line_prefix if k == 0 else ""
        lines[k] = _unopened_cut(line, start, scan, judged, ctx, mismatched)
        scan.feed("\n")
    return "\n".join(lines)


def _tex_unopened_text(text: str, ctx: Context) -> str:
    """In TeX, ``text`` without the ``]`` and ``)`` ending its first line that its paragraph
    leaves nothing open for (``\\ProvidesPackage{x}`` + ``[2021/10/04 v1.0m]]``,
    ``(SPQR))``). Brackets are text there, so ``[`` and ``(`` open either (an interval:
    ``$[0, 1)$``); ``\\[`` and ``\\)`` are control symbols. The paragraph is counted from its
    start, comments left out, only when the prompt shows that start, and only when it closes
    nothing it did not open (a group from a paragraph above): an uncertain count keeps the
    closers. Not a line of closers alone, nor in a comment."""
    first, newline, rest = text.partition("\n")
    closers = _TEX_TEXT_CLOSERS.search(first)
    if closers is None:
        return text
    line = ctx.line_prefix + first
    head = line[: len(line) - len(closers.group())]
    if not head.strip() or head.endswith("\\") or without_trailing_comment(line, "latex") != line:
        return text  # a line of closers, a control symbol (``\\]``), closers in a comment
    above = ctx.above_line
    blocks = _BLANK_LINE.split(above)
    if len(blocks) == 1 and ctx.offset != len(ctx.prefix):
        return text  # the paragraph's start is out of sight
    code = blocks[-1] + ctx.line_prefix + first[: closers.start()]
    depth = 0
    for row in code.split("\n"):
        found = _TEX_TEXT_BRACKETS.findall(without_trailing_comment(row, "latex"))
        for char in filter(None, found):  # a control symbol matches with no bracket
            if char in "([":
                depth += 1
            elif not depth:
                return text
            else:
                depth -= 1
    kept = closers.group()[:depth]
    return first[: closers.start()] + kept + newline + rest


def _closes_nothing(scan: Scan, judged: str, ctx: Context) -> bool:
    """Whether a line of closers can close nothing where ``scan`` stands: in a language whose
    blocks are its indentation (elsewhere the scope rule judges such a line by its level, and
    the count of a Perl or shell file may miss an opener), with the whole prompt read
    (``}`` is judged), and no bracket or string open."""
    if ctx.language not in _OFFSIDE:
        return False
    return "}" in judged and not scan.stack and not scan.quote


def _without_closed_parents(text: str, ctx: Context, first_only: bool) -> str:
    """In a Lisp, ``text`` without the closers ending a line that close a form the next line
    of code is indented into (``nil))`` closing the ``defun`` whose body goes on at column
    2): by the Lisps' indentation a line is inside every form opened at a lower column and
    still open, so the form it is indented into was still open above it. Reads the columns
    from the top-level form's start, or where the prompt does not reach it from the
    outermost form the prompt shows (:func:`lisp_layout_head`): then only a form closed
    early goes, not a closer nothing in sight opened."""
    found = lisp_layout_head(ctx)
    if found is None:
        return text
    head, whole = found
    unseen = None if whole else _out_of_sight(ctx.indent(head))
    return _without_closed_early(
        text, ctx, first_only, head, _inside_form, unopened=whole, unseen=unseen
    )


def _out_of_sight(column: int) -> Opener | None:
    """The form out of the prompt's sight that holds the lines it shows, all at ``column``
    or deeper: by the Lisps' layout it opened further out (``None`` at column 0)."""
    if not column:
        return None
    return Opener(column - 1, True, False, -1, "(", column - 1, True, False)


def _inside_form(opener: Opener, indent: int, next_code: str) -> bool:
    # A line of closers ends forms, the scope rule judges it.
    deeper = _CHILD_INDENT if opener.here and not opener.clause else 1
    return next_code[0] not in CLOSERS and opener.column <= indent - deeper


def _without_closed_groups(text: str, ctx: Context, first_only: bool) -> str:
    """In Prolog, ``text`` without the closers ending a line that close a group standing
    first on its line (``(   Cond``, ``->  (   Cond``) which the next line of code is still
    in: indented deeper than it, or at its column going on with ``->``, ``;`` or ``|``
    (``(   is_true(A))`` then ``    ->  Conj = B``) or closing it with a ``)`` of its own.
    Prolog lays out if-then-else and disjunctions so. Needs the prompt to hold the clause's
    start (a line at column 0)."""
    start = max((found.start() for found in _CLAUSE_START.finditer(ctx.prefix)), default=-1)
    if start < 0:
        return text
    return _without_closed_early(text, ctx, first_only, ctx.prefix[start:], _in_group)


def _in_group(opener: Opener, indent: int, next_code: str) -> bool:
    if not opener.first:
        return False
    return indent > opener.column or (
        indent == opener.column and next_code.startswith(_GROUP_GOES_ON)
    )


def _without_closed_above(text: str, ctx: Context, first_only: bool) -> str:
    """``text`` without the closers ending a line that close a bracket the next line of
    code closes: a line of its own starting with the bracket's closer at the indentation of
    the line that opened it, where that bracket is the outermost one its line left open
    (``t.cast(`` + ``    t.IO[t.Any], f(x))`` over ``)``: the layout closes it there)."""
    lines = [*text.split("\n")[1:], code_line_below(ctx) or ""]
    if not any(line.lstrip()[:1] in CLOSERS for line in lines):
        return text  # no line below starts with a closer: nothing to read the layout from
    return _without_closed_early(
        text, ctx, first_only, _recent_code(ctx), _closed_below, unopened=False
    )


@functools.lru_cache(maxsize=32)  # one read per cursor: the rules run at every streamed line
def _recent_code(ctx: Context) -> str:
    """The last :data:`STRAY_LINES` of the prefix, comment lines emptied."""
    return without_comment_lines(recent_lines(ctx.prefix, STRAY_LINES), ctx.language)


def _closed_below(opener: Opener, indent: int, next_code: str) -> bool:
    return (
        opener.outermost
        and not opener.here
        and indent == opener.indent
        and next_code[:1] == OPENERS[opener.char]
    )


def _without_closed_early(
    text: str,
    ctx: Context,
    first_only: bool,
    head: str,
    inside: Inside,
    unopened: bool = True,
    unseen: Opener | None = None,
) -> str:
    """``text`` (after the code ``head``) without the closers ending a line from the first
    that closes a bracket the next line of code is ``inside``, or, when ``unopened``, that
    ``head`` leaves nothing open for. ``unseen`` is a bracket open around ``head``."""
    lines = text.split("\n")
    below = lines_after_cursor(ctx) if not ctx.line_suffix.strip() else []
    for k, line in enumerate(lines[:1] if first_only else lines):
        following = lines[k + 1 :] + (below if k == len(lines) - 1 else [])
        nxt = next((x for x in following if x.strip() and not is_comment_line(x, ctx.language)), "")
        if not nxt.strip():
            continue
        before = head + "\n".join(lines[:k]) + ("\n" if k else "")
        indent = _column(nxt, len(nxt) - len(nxt.lstrip()), ctx)
        lines[k] = _closed_early_kept(
            before, line, indent, nxt.lstrip(), ctx, inside, unopened, unseen
        )
    return "\n".join(lines)


def _closed_early_kept(
    before: str,
    line: str,
    indent: int,
    next_code: str,
    ctx: Context,
    inside: Inside,
    unopened: bool,
    unseen: Opener | None,
) -> str:
    """``line`` (after the code ``before``) without the closers ending it from the first
    that closes a bracket the next line of code, at ``indent``, is ``inside`` (or, when
    ``unopened``, that closes nothing ``before`` leaves open); ``unseen`` is open around
    ``before``."""
    start = len(before) - before.rfind("\n") - 1
    judged = _bracket_code(before[before.rfind("\n") + 1 :] + line, ctx.language)
    found = _LINE_CLOSERS.search(without_trailing_comment(judged, ctx.language))
    if found is None or found.end() <= start:
        return line
    begin = max(found.start(), start) - start
    openers = _open_brackets(before + line[:begin], ctx)
    if openers is None:
        return line
    if unseen is not None:
        openers.insert(0, unseen)
    for n in range(begin, found.end() - start):
        if not openers:
            return line[:n] + line[found.end() - start :] if unopened else line
        if inside(openers.pop(), indent, next_code):
            return line[:n] + line[found.end() - start :]
    return line


@dataclass(frozen=True, slots=True)
class Opener:
    """A bracket still open: the column it shows at, whether only openers and Prolog's
    branch tokens stand before it on its line (:data:`_GROUP_LEAD`), whether that line
    is the one judged (the last), and where it stands in the code read; the bracket, its
    line's indentation, whether it is the outermost bracket of its line still open, and
    whether a bracket comes right after it (a Lisp's clause or binding: ``((null? x)``)."""

    column: int
    first: bool
    here: bool
    at: int
    char: str
    indent: int
    outermost: bool
    clause: bool


Inside = Callable[[Opener, int, str], bool]


def _open_brackets(code: str, ctx: Context) -> list[Opener] | None:
    """The brackets open at the end of ``code`` (outermost first); ``None`` when it ends in
    a string."""
    return openers_at(code, [len(code)], ctx)[len(code)]


def openers_at(code: str, ends: list[int], ctx: Context) -> dict[int, list[Opener] | None]:
    """The brackets open just before each of ``ends`` (ascending indices of ``code``; the
    outermost first), in one reading; ``None`` for an end inside a string. ``here`` marks
    those on the last line of ``code``."""
    openers = [m.start() for m in _OPENER.finditer(code)]
    stops = sorted({*openers, *(i + 1 for i in openers), *ends})
    quoted: set[int] = set()
    stacks = scanner(ctx).stacks_at(code, stops, quoted)
    found: list[Opener] = []
    last = code.rfind("\n") + 1
    result: dict[int, list[Opener] | None] = {}
    pending = ends[::-1]  # the nearest end last

    def settle(limit: int) -> None:
        while pending and pending[-1] <= limit:
            end = pending.pop()
            result[end] = None if end in quoted else found[: len(stacks[end])]

    for i in openers:
        settle(i)
        depth = len(stacks[i])
        if len(stacks[i + 1]) == depth + 1:
            start = code.rfind("\n", 0, i) + 1
            del found[depth:]
            first = _GROUP_LEAD.fullmatch(code, start, i) is not None
            before = code[start:i]
            indent = _column(before, len(before) - len(before.lstrip(" \t")), ctx)
            outermost = not found or found[-1].at < start
            column = _column(before, i - start, ctx)
            clause = code[i + 1 : i + 2] in ("(", "[")
            found.append(Opener(column, first, i >= last, i, code[i], indent, outermost, clause))
    settle(len(code))
    return result


def innermost_opener(code: str, ctx: Context) -> Opener | None:
    """The innermost bracket open at the end of ``code`` (the prompt's code read leniently),
    ``None`` when none is or ``code`` ends in a string."""
    openers = _open_brackets(code, ctx)
    return openers[-1] if openers else None


def _column(line: str, i: int, ctx: Context) -> int:
    """The column ``line[i]`` shows at, tabs going to the file's tab stops."""
    return len(line[:i].expandtabs(ctx.tab_width))


def _unopened_cut(
    line: str,
    start: str,
    scan: Scan,
    judged: str,
    ctx: Context,
    mismatched: str = "",
    spare: int = 0,
) -> str:
    """``line`` (after ``start``, already read) without its end's ``judged`` closers that
    ``scan`` has nothing open for, and its ``mismatched`` ones that ``scan`` has another
    bracket open for; ``scan`` reads the line as kept. Up to ``spare`` ``)`` that nothing
    opened may stay, less those the line holds before its end (a shell case arm's pattern)."""
    whole = _bracket_code(start + line, ctx.language)  # a literal may start before the cursor
    code, start = whole[len(start) :], whole[: len(start)]
    found = _LINE_CLOSERS.search(without_trailing_comment(start + code, ctx.language))
    if found is None or found.end() <= len(start):
        scan.feed(code)
        return line
    # Closers before the cursor were read with the prompt.
    begin, end = max(found.start(), len(start)) - len(start), found.end() - len(start)
    scan.feed(code[:begin])
    spare -= scan.extra
    # Closers in a string, or after a Lisp's ``;`` (to the line's end, or ``#;`` a datum).
    if scan.quote or (scan.lisp and _LISP_COMMENT.search(code, 0, begin)):
        scan.feed(code[begin:])
        return line
    kept = []
    for char in code[begin:end]:
        # Nothing open for it, or another bracket opened since (``{`` in ``map((d) => {``)
        # that it would leave open.
        top = scan.stack[-1:]
        if char in judged and top != [CLOSERS[char]]:
            if char == ")" and spare > 0:
                spare -= 1
                kept.append(char)
            continue
        if char in mismatched and top and top != [CLOSERS[char]]:
            continue
        scan.feed(char)
        kept.append(char)
    scan.feed(code[end:])
    return line[:begin] + "".join(kept) + line[end:]


def _bracket_code(code: str, language: str) -> str:
    """``code`` as the bracket count reads it: in TeX, what :data:`_TEX_INERT` matches, in a
    Lisp its bracket characters (:data:`_BACKSLASH_CHAR`), in Elixir and Erlang their
    character literals of brackets (:data:`_CHAR_LITERALS`), made name characters (the same
    length, so that indices still point into ``code``; not spaces, as closers after a space
    are no line's end)."""
    if language in _CHAR_LITERALS:
        return _CHAR_LITERALS[language].sub(_inert_bracket, code)
    if language in LISPS:
        inert = _ELISP_CHAR if language == "emacs-lisp" else _BACKSLASH_CHAR
    elif language == "latex":
        inert = _TEX_INERT
    else:
        return code
    return inert.sub(lambda found: "_" * len(found.group()), code)


def tex_group_code(code: str) -> str:
    """TeX ``code`` as its group count reads it, the same length: :func:`_bracket_code`'s
    inert characters, and comments blanked."""
    return _TEX_COMMENT.sub(lambda found: " " * len(found.group()), _bracket_code(code, "latex"))


def _inert_bracket(literal: re.Match[str]) -> str:
    """A character literal of a bracket as name characters of its length; any other as is."""
    text = literal.group()
    return "_" * len(text) if text[-1] in OPENERS or text[-1] in CLOSERS else text


def _prompt_scan(prefix: str, ctx: Context) -> Scan:
    """:func:`_read_prompt` of ``prefix`` (the prompt, or its start) for the cursor's file."""
    flags = scanner(ctx).flags
    return _read_prompt(prefix, ctx.language, flags, window_start_quote(ctx))


@functools.lru_cache(maxsize=4)
def _read_prompt(prefix: str, language: str, flags: Flags, start: str) -> Scan:
    """The scan of the whole prompt, without its comments, read leniently, from inside the
    triple-quoted string ``start`` when the prompt was trimmed inside one
    (:func:`window_start_quote`). Cached: the stream and the final rules judge each
    keystroke's answer after the same prompt."""
    code = start + "\n".join(
        without_trailing_comment(line, language)
        for line in without_comment_lines(prefix, language).split("\n")
    )
    return Scan(*flags).feed(_bracket_code(code, language), lenient=True)


def _shown_cost(text: str, ctx: Context, above: Scan, below: str) -> int:
    """:func:`cost` of the code as the item for ``text`` would leave it."""
    return _cost_after(above, text + ctx.line_suffix[replace_length(text, ctx) :] + below)


def punctuation_tail(ctx: Context) -> str:
    """The rest of the cursor's line when it is only punctuation and closing tags (``)``,
    ``");``, ``"></a>``), or closers, quotes, ``;`` and ``,`` before a comment ending it
    (``; // why``: the ``;``), else ``""``."""
    tail = ctx.line_suffix.rstrip()
    if _PUNCT_TAIL.match(tail):
        return tail
    code = without_trailing_comment(tail, ctx.language)
    return code if code != tail and _CLOSERS_BEFORE_COMMENT.fullmatch(code) else ""


def closes_open_bracket(text: str, ctx: Context) -> bool:
    """Whether ``text`` starts by closing the innermost bracket the recent prefix (its last
    :data:`STRAY_LINES`, as far as a block's opener is looked for) left open."""
    return _closes_innermost(text, at_cursor(ctx).stack)


@functools.lru_cache(maxsize=32)  # one read per cursor: the rules run at every streamed line
def at_cursor(ctx: Context) -> Scan:
    """The scan of the recent prefix (its last :data:`STRAY_LINES`, comment lines left out):
    the brackets and string open at the cursor. Shared, not to be fed."""
    return read_above(_recent_code(ctx), ctx, angles=False)


def _closes_innermost(text: str, stack: list[str]) -> bool:
    """Whether ``text`` starts with the closer of the innermost bracket on ``stack``."""
    return bool(stack) and text[:1] in CLOSERS and stack[-1] == CLOSERS[text[0]]


def closes_bracket_ending_its_line(text: str, ctx: Context) -> bool:
    """Whether ``text`` starts by closing the innermost bracket the recent prefix leaves open
    (as :func:`closes_open_bracket`) and that bracket ends the line it opens on (``foo(``,
    then an argument a line): the file puts such a closer on a line of its own, not after the
    last argument."""
    head = ctx.above_line
    recent = without_comment_lines(recent_lines(head, STRAY_LINES), ctx.language)
    scan = scanner(ctx)
    ends: list[bool] = []  # for each bracket open, whether it ended its line
    for line in [*recent.split("\n"), ctx.line_prefix]:
        scan.low = len(scan.stack)
        scan.feed(line + "\n", lenient=True)
        del ends[scan.low :]
        opened = len(scan.stack) - scan.low
        last = without_trailing_comment(line, ctx.language).rstrip()[-1:]
        ends += [False] * (opened - 1) + [last in OPENERS] if opened else []
    return _closes_innermost(text, scan.stack) and ends[-1]


def closes_block_by_indentation(text: str, ctx: Context) -> bool:
    """Whether ``text`` is a closer on a line of its own (the cursor's blank line, or the line
    below the cursor's) that ends the block its indentation says it does: the nearest code
    line above at its column or left of it opens that bracket, however far up (the bracket
    scan sees only :data:`STRAY_LINES`, and may start inside a raw string)."""
    if text.startswith("\n") and not text.startswith("\n\n"):
        line, nearest = text[1:], [ctx.line_prefix + ctx.line_suffix]
    elif not ctx.line_prefix.strip() and not text.startswith("\n"):
        line, nearest = ctx.line_prefix + text, []
    else:
        return False
    opener = CLOSERS.get(line.strip()[:1], "")
    column = ctx.indent(line)
    for above in itertools.chain(nearest, lines_above(ctx)) if opener else ():
        if not is_blank(above) and ctx.indent(above) <= column:
            return ctx.indent(above) == column and above.rstrip().endswith(opener)
    return False


def replace_length(text: str, ctx: Context) -> int:
    """How many characters after the cursor the suggestion should replace (0: insert).

    Only a line tail of punctuation (``)``, ``")``, ``]);``) of at most
    :data:`MAX_REPLACED_TAIL` characters is ever replaced, and only a part the suggestion types
    itself, in order (``printf("|");`` + ``%d items", n);`` replaces ``");``). Each candidate
    (insert, or replace the first ``k`` characters) is judged by how unbalanced the code around
    the cursor comes out: the lines above, the suggestion, what is left of the tail, and the
    lines below. The most balanced wins (see :func:`_best` for ties).
    ``print(|)`` + ``x)`` replaces the ``)``; ``f(|)`` + ``g(x)`` does not. When the lines
    around do not read cleanly (the window starts inside a docstring, say), only the cursor's
    line is judged.
    """
    tail = punctuation_tail(ctx)
    if not tail or not text or len(tail) > MAX_REPLACED_TAIL:
        return 0
    form = lisp_form(ctx)
    above, below = form or _lines_around(ctx, CONTEXT_LINES)
    if not (_reads_cleanly(above, ctx) and _reads_cleanly(below, ctx)):
        above, below = ctx.line_prefix, ""
    elif form is None and ctx.language in LISPS:
        closed = _closed_beyond(text, tail, above, ctx)
        if closed is not None:
            return closed
    return _best(text, tail, above, below, ctx)


def _closed_beyond(text: str, tail: str, above: str, ctx: Context) -> int | None:
    """In a Lisp whose top-level form ends out of sight, the tail's closers ``text`` closes
    again: as many as it closes beyond its own brackets, when it types them. Over a window
    that cuts the form, the brackets left open below make keeping the tail look the better
    fit; but the code as it stands balances (an editor closes what the user opens), so the
    answer must not change its count. ``None`` when ``text`` leaves a bracket open."""
    scan = scanner(ctx).feed(text)
    if scan.stack or scan.quote:
        return None
    closers = len(tail) - len(tail.lstrip(")]}"))
    size = min(scan.extra, closers)
    typing = Typing.of(text, tail, read_above(above, ctx))
    return size if not size or _types(text, tail[:size], typing) else None


def _best(text: str, tail: str, above: str, below: str, ctx: Context) -> int:
    """The replacement length whose code comes out most balanced, the longest among equals.
    Insert (0) unless a replacement beats it, or ties with it while the suggestion ends with
    what it replaces: balance cannot tell ``items.length;`` + ``;`` or ``"app",`` + ``,`` (no
    bracket in the tail) from one copy, nor ``Widget>();`` + ``>();`` in a language without
    type arguments, and the suggestion ending that way says it brings its own."""
    inserted = cost(text + tail + below, ctx, above)
    best, best_cost = 0, inserted
    typing = Typing.of(text, tail, read_above(above, ctx))
    for size in range(1, len(tail) + 1):
        if not _types(text, tail[:size], typing):
            continue
        replaced = cost(text + tail[size:] + below, ctx, above)
        tie = replaced == best_cost and (replaced < inserted or text.endswith(tail[:size]))
        if replaced < best_cost or tie:
            best, best_cost = size, replaced
    return best


def _types(text: str, part: str, typing: Typing) -> bool:
    """Whether ``text`` types the characters of ``part`` (a start of the tail) in order, not
    necessarily together: ``%d items\n", n);`` types ``");`` as it closes the string, then the
    call."""
    found = 0
    for i, stack in typing.stacks.items():
        if text[i] == part[found] and stack == typing.own[found]:
            found += 1
            if found == len(part):
                return True
    return False


@dataclass(frozen=True)
class Typing:
    """Where ``text`` may type the tail's characters: a character counts only outside the
    brackets ``text`` opens itself (besides those of the tail it types). In
    ``isNotEmpty() == true)`` the call's own ``)`` and the space after it type nothing of a
    ``) {`` after the cursor; in ``init();\n})();`` the ``(`` typed opens the ``)`` after it.
    ``stacks`` maps each index of ``text`` holding a tail character to the brackets open
    there, ``own`` each start of the tail to the brackets it leaves open."""

    stacks: dict[int, list[str]]
    own: list[list[str]]

    @classmethod
    def of(cls, text: str, tail: str, above: Scan) -> Typing:
        """Where ``text``, read after the lines ``above``, may type the characters of ``tail``."""
        stacks = above.copy().stacks_at(text, [i for i, char in enumerate(text) if char in tail])
        own = [above.copy().feed(tail[:size], lenient=True).stack for size in range(len(tail))]
        return cls(stacks, own)


def _reads_cleanly(lines: str, ctx: Context) -> bool:
    """No string left open at a line end or at the end: the scan can be trusted here."""
    scan = scanner(ctx).feed(lines, lenient=True)
    return not scan.open_strings and not scan.quote


def _window(ctx: Context, count: int) -> tuple[str, str]:
    """The code an answer's brackets are judged in: the last ``count`` lines above the cursor's
    line with the line's text before the cursor, and the :data:`CONTEXT_LINES` below it. In a
    Lisp, the whole top-level form around the cursor when the prompt holds it
    (:func:`lisp_form`): every bracket there is a ``(``, so a stray ``)`` closes an outer form
    as readily as its own, and with the form's end out of sight the brackets still open make
    it look the better fit; over the whole form the balance is exact."""
    return lisp_form(ctx) or _lines_around(ctx, count)


def _lines_around(ctx: Context, count: int) -> tuple[str, str]:
    """The last ``count`` lines above the cursor's line with the line's text before the
    cursor, and the :data:`CONTEXT_LINES` below it."""
    head = ctx.above_line
    return (
        recent_lines(head, count) + ctx.line_prefix,
        _first_lines(ctx.suffix[len(ctx.line_suffix) :]),
    )


def lisp_form(ctx: Context) -> tuple[str, str] | None:
    """In a Lisp, the top-level form around the cursor, as its code before the cursor and its
    lines after the cursor's line: from the nearest line above that starts with ``(`` at
    column 0 to the next one below (as Emacs finds a defun; docstrings escape such a paren).
    ``None`` elsewhere, and when the prompt holds no such line above or below."""
    head = lisp_head(ctx)
    if head is None:
        return None
    rest = ctx.suffix[len(ctx.line_suffix) :]
    end = rest.find("\n(")
    return (head, rest[:end]) if end >= 0 else None


def lisp_head(ctx: Context) -> str | None:
    """In a Lisp, the code before the cursor from the start of the top-level form it is in
    (see :func:`lisp_form`); ``None`` elsewhere and when the prompt holds no such start."""
    if ctx.language not in LISPS:
        return None
    start = ctx.prefix.rfind("\n(") + 1
    if not start and not ctx.prefix.startswith("("):
        return None
    return ctx.prefix[start:]


@functools.lru_cache(maxsize=32)  # one reading per cursor: the rules ask at every line
def lisp_layout_head(ctx: Context) -> tuple[str, bool] | None:
    """In a Lisp, the code before the cursor whose layout tells which forms a line closes,
    and whether it starts where the top-level form does (:func:`lisp_head`). Where the
    prompt does not reach back that far (a ``library`` or ``class`` form hundreds of lines
    long), from the last line that starts a form at the least indentation of the prompt's
    lines above the cursor's: the forms open around it stay unknown."""
    head = lisp_head(ctx)
    if head is not None:
        return head, True
    if ctx.language not in LISPS:
        return None
    start = _outermost_form_start(ctx.above_line, ctx)
    return None if start is None else (ctx.prefix[start:], False)


def _outermost_form_start(text: str, ctx: Context) -> int | None:
    """Where the last line of ``text`` starts that opens a form at the least indentation of
    its lines of code (``None`` when none does)."""
    found = list(_LINE_CODE.finditer(text))
    if not found:
        return None
    least = min(ctx.indent(m.group(1)) for m in found)
    line = next(m for m in reversed(found) if ctx.indent(m.group(1)) == least)
    return line.start() if line.group(2) in "([" else None


def _first_lines(text: str) -> str:
    """The first :data:`CONTEXT_LINES` lines of ``text``, from its line break on."""
    end = 0
    for _ in range(CONTEXT_LINES):
        end = text.find("\n", end + 1)
        if end < 0:
            return text
    return text[:end]
