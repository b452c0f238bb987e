"""Where a multi-line suggestion should end: a blank line, a new top-level definition, the
end of the cursor's scope by indentation, or (in a Lisp) the end of the cursor's top-level
form."""

from __future__ import annotations

import functools
import itertools
import re

from codestral_lsp.context import GNU_TAB_WIDTH, Context
from codestral_lsp.languages import BACKQUOTE_STRINGS, LISPS, SINGLE_TRIPLES
from codestral_lsp.postprocess.brackets import (
    CLOSERS,
    GENERICS,
    Scan,
    at_cursor,
    is_comment_line,
    lisp_head,
    lisp_layout_head,
    openers_at,
    read_above,
    scanner,
    tex_group_code,
    without_trailing_comment,
)
from codestral_lsp.postprocess.equations import EQUATION_LANGUAGES
from codestral_lsp.postprocess.lines import (
    GOES_ON,
    SHELLS,
    STYLE_SHEETS,
    code_line_below,
    enclosing_lines,
    goes_on,
    is_blank,
    is_closer,
    lines_above,
    lines_after_cursor,
    recent_lines,
    unix_breaks,
    uses_allman,
)

# Lines at column 0 that begin a new top-level item: the suggestion has run past its own.
_TOP_LEVEL: dict[str, tuple[str, ...]] = {
    "python": ("def ", "async def ", "class ", "@", "if __name__"),
    "rust": ("fn ", "pub ", "impl ", "impl<", "struct ", "enum ", "trait ", "mod ", "#["),
    "go": ("func ", "type "),
    "javascript": ("function ", "async function ", "class ", "export "),
    "typescript": ("function ", "async function ", "class ", "export ", "interface "),
    "java": ("public class ", "class ", "interface "),
    "nim": ("proc ", "func ", "method ", "iterator ", "template ", "macro ", "converter "),
    # Pascal's words are any case; these are the two its code is written in.
    "pascal": tuple(
        case(word)
        for word in (
            *("procedure ", "function ", "constructor ", "destructor ", "operator "),
            *("initialization", "finalization"),
        )
        for case in (str.lower, str.capitalize)
    ),
    "ada": (
        *("procedure ", "function ", "package ", "overriding ", "not overriding ", "generic"),
        *("task ", "protected ", "separate "),
    ),
    "vhdl": (
        *("entity ", "architecture ", "package ", "configuration "),
        *("function ", "procedure ", "pure function ", "impure function "),
    ),
    "verilog": ("module ", "macromodule ", "primitive ", "`timescale"),
    "proto": ("message ", "enum ", "service ", "extend "),
}
_TOP_LEVEL["systemverilog"] = (*_TOP_LEVEL["verilog"], "interface ", "package ", "class ")
_TOP_LEVEL["javascriptreact"] = _TOP_LEVEL["javascript"]
_TOP_LEVEL["typescriptreact"] = _TOP_LEVEL["typescript"]
_GENERIC = ("def ", "class ", "fn ", "func ", "function ")
# A shell function's head (``cleanup() {``, ``prereqs()``), which starts with no keyword.
_SHELL_FUNCTION = re.compile(r"[\w.:-]+[ \t]*\(\)")
# Markup, data and prose hold no definitions: a line starting "function " there is text.
_NO_DEFINITIONS = frozenset({
    "html", "xml", "markdown", "plaintext", "text", "json", "jsonc", "yaml", "toml", "css",
    "scss", "less", "restructuredtext", "latex",
})  # fmt: skip
# Text whose next line at the same indentation goes on with the same thing, not past a block:
# the next list item or table row, a query's next clause.
FLAT_LANGUAGES = frozenset({"markdown", "plaintext", "sql"})
# Codestral's multi-file prompt marks files with this line; echoing it means the answer is over.
FILE_MARK = "+++++ "
_OPENER = re.compile(r"(?:[{(\[:]|->|=>)\s*$")
# Lines of prose: comments, and the `` * `` lines of a block comment (not ``*args``).
_COMMENT = ("#", "//", "/*", "* ", "*/")
# How far above the cursor a statement split over lines is looked for.
STATEMENT_LINES = 12
# How far up the prompt is read for arrows that end lines of one level (:func:`_arrow_goes_on`).
ALIGNED_LINES = 200
_ARROW = re.compile(r"(?:->|=>)\s*$")
_CLOSE_AND_REOPEN = re.compile(r"^\s*[)\]}].*[{(\[:]\s*$")
_DO_WHILE_END = re.compile(r"^\s*\}\s*while\b")
# A clause that goes on with the statement whose ``}`` is on the line above (Allman style).
_ALLMAN_CLAUSE = re.compile(r"\s*(?:else|catch|finally)\b")
# How a block's head ends before such a brace: its parameters or condition, or a word
# (``class Person``, ``else``, ``try``).
_HEAD_END = re.compile(r"[)\w]$")
# A line that goes on with the head above it (``interface A`` / ``  extends B {}``, Rust's and
# Haskell's ``where``, Java's ``throws``): no statement of its own.
_HEAD_CLAUSE = re.compile(r"\s*(?:extends|implements|throws|where)\b(?![\s]*[:=(])")
# The closing brackets a line starts with.
_LEADING_CLOSERS = re.compile(r"\s*([)\]]+)")
# Languages whose triple-quoted strings run over lines, their lines text at any indentation
# (as backquoted ones do in :data:`BACKQUOTE_STRINGS`; elsewhere a backquote is TeX's or
# shell's).
_TRIPLE_QUOTED = SINGLE_TRIPLES | {"kotlin", "swift", "scala", "java", "julia", "csharp"}
# Ruby and Crystal open a block with a line's first word (``def``, ``class``, ``if``...; not a
# one-liner that ends it, nor an endless or abstract ``def``) or its last ``do |args|``.
_RUBY_OPENER = re.compile(
    r"^\s*(?:(?:private|protected|public)\s+)?"
    r"(?:def|class|module|struct|enum|lib|union|macro|if|unless|while|until|case|begin|for)\b"
    r"(?!.*(?:\bend|;)\s*$)(?!\s+[\w.?!]+(?:\([^)]*\)\s*|\s+)=[^=~])"
    r"|\bdo(?:\s*\|[^|]*\|)?$"
)
# Verilog opens with ``begin`` (maybe labelled) or ``fork`` at a line's end; the bodies of
# ``module``, ``case`` and ``generate`` often sit at their head's own level.
_VERILOG_OPENER = re.compile(r"\bbegin(?:\s*:\s*\w+)?$|\bfork$")
_VERILOG_REOPENER = re.compile(r"\s*(?:end\s+)?else\b")
# CMake opens a block with a command of its own (``if(...)``, ``foreach(...)``), goes on
# with ``else()`` and ``elseif(...)`` at its level, and ends it with ``endif()`` and kin.
_CMAKE_OPENER = re.compile(
    r"^\s*(?:if|elseif|else|foreach|while|function|macro|block)\s*\(.*\)$", re.IGNORECASE
)
_CMAKE_REOPENER = re.compile(r"\s*(?:else|elseif)\s*\(", re.IGNORECASE)
_CMAKE_END_LINE = re.compile(
    r"^\s*end(?:if|foreach|while|function|macro|block)\s*\([^()]*\)\s*(?:#.*)?$", re.IGNORECASE
)
# Elixir opens a block with ``do`` at a line's end (``def f(x) do``, ``case x do``), and goes
# on at its level with ``else``, ``rescue``, ``catch`` and ``after`` (``fn x ->`` and a
# clause's ``->`` are arrows).
_ELIXIR_OPENER = re.compile(r"\bdo$|^\s*(?:else|rescue|catch|after)$")
_ELIXIR_REOPENER = re.compile(r"\s*(?:else|rescue|catch|after)\b")
# Languages that open blocks with words. Ada at a line's end (``is``, ``begin``, ``then``,
# ``loop``), going on at the block's own level with others (``else``, ``begin`` after the
# declarations, ``exception``: :data:`_WORD_REOPENER`): those lines close and reopen, as
# ``} else {`` does. (Not Pascal, whose ``begin`` often sits at its body's level.)
_WORD_OPENER = {
    "ada": re.compile(
        r"\b(?:is|begin|then|else|loop|declare|record|do|private|select)$", re.IGNORECASE
    ),
    # Not ``is``: ``type T is`` puts its ``record`` at its own level, a function's ``is`` its
    # ``begin``.
    "vhdl": re.compile(r"\b(?:begin|then|else|loop|generate)$", re.IGNORECASE),
    "verilog": _VERILOG_OPENER,
    "systemverilog": _VERILOG_OPENER,
    "ruby": _RUBY_OPENER,
    "crystal": _RUBY_OPENER,
    "cmake": _CMAKE_OPENER,
    "elixir": _ELIXIR_OPENER,
}
_RUBY_REOPENER = re.compile(r"\s*(?:else|elsif|when|in|rescue|ensure)\b")
# The heads of the Python statements a clause may go on with at their level (an ``if``, a
# loop, a ``try``, or one of their own clauses).
_PYTHON_CLAUSE_HEAD = re.compile(r"\s*(if|elif|else|for|async\s+for|while|try|except)\b")
# A Python clause, and the heads of the statements each may go on with at its level.
_PYTHON_CLAUSE = re.compile(r"\s*(elif|else|except|finally)\b")
_PYTHON_CLAUSE_AFTER = {
    "elif": ("if", "elif"),
    "else": ("if", "elif", "for", "while", "except"),
    "except": ("try", "except"),
    "finally": ("try", "except", "else"),
}
_PYTHON_REOPENER = re.compile(r"\s*(?:elif\b.*|else|except\b.*|finally):\s*(?:#.*)?$")
_WORD_REOPENER = {
    "python": _PYTHON_REOPENER,
    "ada": re.compile(r"\s*(?:else|elsif|begin|exception)\b", re.IGNORECASE),
    "vhdl": re.compile(r"\s*(?:else|elsif|begin)\b", re.IGNORECASE),
    "verilog": _VERILOG_REOPENER,
    "systemverilog": _VERILOG_REOPENER,
    "ruby": _RUBY_REOPENER,
    "crystal": _RUBY_REOPENER,
    "cmake": _CMAKE_REOPENER,
    "elixir": _ELIXIR_REOPENER,
}
# An opening tag ending a line (``<div className="card">``), not a self-closing one.
_OPEN_TAG = re.compile(r"<([A-Za-z][\w.:-]*)(?:\s[^<>]*)?(?<!/)>\s*$")
# A Pascal unit's sections, which also follow a routine's ``end;`` (``var`` inside a routine
# comes before its ``begin``, so it is no definition in general).
_PASCAL_SECTION = re.compile(
    r"(?:var|type|const|resourcestring|threadvar|initialization|finalization|implementation"
    r"|uses)\b",
    re.IGNORECASE,
)
# Languages whose blocks end with the word ``end`` (Ruby's ``end``, Elixir's ``end)``, Erlang's
# ``end.``, Pascal's ``end;``, fish's ``end``), and such a line.
END_LANGUAGES = frozenset({
    "ruby", "crystal", "elixir", "lua", "julia", "erlang", "matlab", "pascal", "ada", "fish",
    "vhdl", "verilog", "systemverilog", "cmake",
})  # fmt: skip
# Vim script ends each block with its own word (``endfunction``, ``endif``, ``endfor``, and
# their short forms ``endf``, ``en``), maybe followed by a name or a comment.
_CODE_FENCE = re.compile(r"^\s*(?:`{3,}|~{3,})\s*$")
_VIM_END_LINE = re.compile(r"^\s*en(?:d\w*)?\b")
_END_LINE = re.compile(
    r"^\s*end\b[)\]}]*(?:\(\))?[;,.]?\s*$"
    r"|^\s*end(?:\.\w+[!?]?(?:\([^()]*\))?)+[;,]?\s*$"  # a method called on it: end.freeze
)
# Ada names what its ``end`` closes: ``end if;``, ``end loop;``, ``end Ada.Containers;``.
_ADA_END_LINE = re.compile(r"^\s*end\b(?:\s+[\w.]+)?\s*;\s*$", re.IGNORECASE)
# A one-line item's own end: ``...; endmodule``, Ruby's ``def x; end``.
_ENDS_ON_ITS_LINE = re.compile(r";\s*end\w*$")
# VHDL's context clause, which leads into the design unit below it.
_VHDL_CONTEXT = re.compile(r"\s*(?:library|use|context)\s", re.IGNORECASE)
# VHDL's ``end;``, ``end if;``, ``end process p1;``, ``end function "?=";``.
_VHDL_END_LINE = re.compile(r"^\s*end\b(?:\s+(?:[\w.]+|\"[^\"]*\"))*\s*;\s*$", re.IGNORECASE)
# Verilog's ``end``, ``endmodule``, ``endcase``, ``join_any``..., maybe labelled (``end : blk``).
_VERILOG_END_LINE = re.compile(r"^\s*(?:end\w*|join\w*)(?:\s*:\s*\w+)?\s*(?://.*)?$")
_END_LINES = {
    "ada": _ADA_END_LINE,
    "vhdl": _VHDL_END_LINE,
    "verilog": _VERILOG_END_LINE,
    "systemverilog": _VERILOG_END_LINE,
    "cmake": _CMAKE_END_LINE,
}
# A method called on what a closer line closed (Ruby's ``}.freeze``).
_CALLED_AFTER = re.compile(r"(?<=[)\]}])(?:\.\w+(?:\(\))?)+(?=[;,]?\s*$)")
# The start of a line comment, or a block comment's `` * `` line: a comment on the cursor's line
# goes on with lines that start the same way (a doc comment's paragraph or fenced example).
_COMMENT_LEAD = re.compile(r"[ \t]*(?:///?!?|#+|--|;+|%|\*(?!/))(?=[ \t]|$)")
# Markup that holds scripts, and a line of markup at column 0 (a tag but the script's own
# closing one, a Svelte block: ``{#if}``, ``{:else}``, ``{/each}``).
_SCRIPT_HOSTS = frozenset({"html", "vue", "svelte"})
_MARKUP_LINE = re.compile(r"<(?!/script\b)[A-Za-z/!]|\{[#:/]")
# Markup files holding one document: its start (a prolog, a doctype, the root) and its end.
_DOCUMENTS = frozenset({"html", "xhtml", "xml"})
_DOCUMENT_START = re.compile(r"\s*(<!doctype\b|<\?xml\b|<html\b)", re.IGNORECASE)
_DOCUMENT_END = re.compile(r"\s*</html>\s*$", re.IGNORECASE)
# TeX stops reading a file at ``\endinput`` on a line of its own at column 0, and a document
# at ``\end{document}``.
_TEX_END = re.compile(r"\\(?:endinput|end\{document\})\s*(?:%.*)?$")
# The end of a line after which an SQL statement begins: its statement's end, a PL/pgSQL
# block's opening line, or (for a schema statement) a function body's opening quote.
_SQL_BLOCK = r"\b(?:BEGIN|THEN|LOOP|ELSE|DECLARE)"
_SQL_BOUNDARY = re.compile(rf"(?:;|{_SQL_BLOCK})\s*(?:--.*)?$", re.IGNORECASE)
_SQL_STATEMENT_END = re.compile(rf"(?:;|{_SQL_BLOCK}|\$\w*\$)\s*(?:--.*)?$", re.IGNORECASE)
# A statement's own end, and a dollar quote's (PL/pgSQL bodies: ``$$``, ``$body$``).
_SQL_END = re.compile(r";\s*(?:--.*)?$")
_SQL_DOLLAR = re.compile(r"\$\w*\$")
_SQL_SCHEMA_STATEMENT = re.compile(
    r"\s*(?:CREATE|ALTER|DROP|GRANT|REVOKE|COMMENT\s+ON)\b", re.IGNORECASE
)
_JSX_LANGUAGES = frozenset({"typescriptreact", "javascriptreact"})
# A line starting a top-level statement: a word at column 0 (``export function``, ``const``).
_TOP_LEVEL_LINE = re.compile(r"^(?=[A-Za-z_$@])", re.MULTILINE)
# A TeX line defining a command, an environment, an option or a key at column 0
# (``\\long\\def\\x``, ``\\newcommand``, ``\\DeclareOption``, ``\\cs_new_protected:Npn``,
# ``\\define@key``).
_TEX_DEFINING = (
    r"(?:\\(?:long|protected|global|outer)\s*)*\\(?:(?:[gex]?def|let|(?:re)?new(?:command|"
    r"environment)|providecommand|Declare[A-Za-z]+|New[A-Za-z]*Command|define@key)"
    r"(?![a-zA-Z@])|cs_(?:new|g?set)\w*:)"
)
_TEX_DEFINITION = re.compile(_TEX_DEFINING)
_TEX_TOP_DEFINITION = re.compile(rf"^(?={_TEX_DEFINING})", re.MULTILINE)
# A line that goes on with an expression above (a ternary's ``? a`` / ``: b``, a chained
# ``.then(``, an ``&&`` operand): it starts no statement.
_CONTINUED_LEAD = re.compile(r"[ \t]*[?:.|&]")
# A JSX tag opened on a line whose attributes go on below (``<Provider``).
_JSX_TAG_START = re.compile(r"<[A-Za-z][\w.]*(?:\s[^<>]*)?$")
# A line of code a bracket's layout judges: not led by a closer or a ``case`` label.
_JSX_LAID_OUT = re.compile(r"[ \t]*(?![)\]}>]|/>|</|(?:case|default)\b)\S")
# A Lisp line whose start shows where it stands in the forms around it: not a comment, a
# reader conditional, nor closers.
_LISP_LAID_OUT = re.compile(r"[ \t]*(?![;)\]}]|#[|;_+-])\S")
# Racket's at-expressions (``@racket[x]``, ``@{text}``), not an unquote-splice (``,@``).
_AT_EXPRESSION = re.compile(r"(?<![,\w])@[\w{\[]")
# Lines that open a block with a word, by language: TeX's ``\\else`` (its ``\\if`` heads hold
# their test, where the branch starts is unclear), Vim script's statements (not a one-liner
# that ends its block after a ``|``); and the lines that end such a block or go on with it.
_BLOCK_LINE_OPENER = {
    "latex": re.compile(r"\\else\s*$"),
    "vim": re.compile(
        r"^\s*(?:if|elseif|else|for|while|fu(?:nction)?!?|def|try|catch|finally)\b"
        r"(?!.*\|\s*end\w*\s*$)"
    ),
    # A logic block's tag alone at the line's end (``{#if open}``, ``{:else}``), the block
    # not closed on the line.
    "svelte": re.compile(r"^\s*\{[#:][a-z]+\b(?!.*\{/)[^\n]*\}\s*$"),
}
# A Vim script heredoc's start (``python3 << EOF``, ``let x =<< trim END``).
_VIM_HEREDOC = re.compile(r"<<\s*(?:trim\s+)?[A-Za-z_]*\s*$", re.MULTILINE)
_BLOCK_LINE_END = {
    "latex": re.compile(r"\s*\\(?:fi|else|or)(?![a-zA-Z@])"),
    "vim": re.compile(r"\s*(?:en(?:d\w*)?|else|elseif|catch|finally)\b"),
    "svelte": re.compile(r"\s*\{[/:]"),
}
# A TeX conditional's start (``\\ifx``, ``\\if@tempswa``; not ``\\newif\\iffoo``, which
# defines one) or end.
_TEX_CONDITIONAL = re.compile(r"(?<!\\newif)\\(if)[a-zA-Z@]*|\\fi(?![a-zA-Z@])")
# A CMake bracket comment's start (``#[[``, ``#[==[``), and a line calling a command at
# column 0: the whole call alone, or its arguments going on (``find_path(X x.h``); not a
# signature with placeholders (``<var>``, ``file1 ... fileN``).
_CMAKE_BRACKET_COMMENT = re.compile(r"#\[(=*)\[")
_CMAKE_CALL_LINE = re.compile(r"[A-Za-z_]\w*\((?!.*\.\.\.)[^()<>]*\)?\s*$")
# A comment after an Erlang line's code (no quote in it, so not inside a string).
_TRAILING_COMMENT = re.compile(r"%[^\"']*$")
# A line ending with a word that opens a block: shell's ``then`` and ``do``, Pascal's
# ``begin``, Ada's ``is`` and ``loop``, OCaml's ``of``.
_BLOCK_WORD_END = re.compile(r"\b(?:then|do|else|begin|is|loop|of)$")
# A line that closes a block with a word: shell's ``fi``, ``done``, ``esac``; ``end``...
_CLOSING_WORD = re.compile(r"\s*(?:fi|done|esac|end\w*)\b")
# Markup, data and prose have no statements to continue; SQL has its own rule.
_STATEMENTS_ELSEWHERE = frozenset({
    "html", "xml", "markdown", "latex", "json", "jsonc", "yaml", "toml", "sql", "plaintext",
    "css", "scss", "less", "vue", "svelte",
})  # fmt: skip
_CASE_LABEL = re.compile(r"^\s*(?:case\b.*|default\s*):\s*$")
_SWITCH = re.compile(r"\b(?:switch|select)\b.*\{\s*$")


def blank_line_cut(lines: list[str], ctx: Context) -> int | None:
    """Index of the first blank line that follows some code of the answer (multi-line answers
    end there). Blank lines between a finished cursor line and the answer's first code are a
    paragraph break the model chose (the imports after a module docstring), not its end; so
    is one inside a string the answer opened and has not closed yet (a docstring's
    paragraphs), or inside a bracket it opened when the next code line is deeper than the
    line that opened it (an object's groups of keys, a method's paragraphs): ending there
    would leave it open."""
    seen_code = _adds_to_line(lines, ctx) and not is_blank(lines[0])
    scan = at_cursor(ctx).copy()
    floor, outer = len(scan.stack), scan.quote  # what the prompt left open at the cursor
    opened: list[int] = []  # the indentation of the lines that opened the answer's brackets
    for i, line in enumerate(lines):
        in_string = bool(scan.quote) and not outer
        if i and not is_blank(line):
            seen_code = True
        elif i and seen_code and not in_string and not _inside(lines, i, opened, ctx):
            return i
        scan.feed(_code(line[len(ctx.line_prefix) :] if i == 0 else line, ctx), lenient=True)
        outer = outer and scan.quote
        floor = min(floor, len(scan.stack))
        del opened[len(scan.stack) - floor :]
        opened += [ctx.indent(line)] * (len(scan.stack) - floor - len(opened))
    return None


def _inside(lines: list[str], i: int, opened: list[int], ctx: Context) -> bool:
    """Whether the code after the blank ``lines[i]`` goes on inside the innermost bracket the
    answer left open: deeper than the line that opened it (or not come yet)."""
    if not opened:
        return False
    after = next((line for line in lines[i + 1 :] if not is_blank(line)), None)
    return after is None or ctx.indent(after) > opened[-1]


def _code(line: str, ctx: Context) -> str:
    """A line's code for :func:`blank_line_cut`'s count, its comment left out (``# see (1``),
    with its line break (which ends a one-quote string). Prose has no pairs to count."""
    if ctx.language in FLAT_LANGUAGES or is_comment_line(line, ctx.language):
        return "\n"
    return without_trailing_comment(line, ctx.language) + "\n"


def stop_word_cut(
    lines: list[str], ctx: Context, head: int | None, final: bool = True
) -> int | None:
    """Index of the first line after the first that starts a new top-level definition (other
    than ``head``, the one the answer itself begins with, see :func:`new_definition`). Not
    ``final``, attributes at the end may still lead into one more line of a list."""
    for i in range(1, len(lines)):
        line = lines[i]
        if head is not None and i == head:
            head = i + 1 if _preamble(line) else None  # decorators, then their def
            continue
        if line.startswith(FILE_MARK):
            return i
        if (
            is_definition(line, ctx.language)
            and not _list_goes_on(lines, i, final)
            and not _context_clause(lines[i - 1], ctx.language)
        ):
            return i
    return None


def _context_clause(line: str, language: str) -> bool:
    """Whether ``line`` is VHDL's ``library``/``use`` clause, part of the design unit below."""
    return language == "vhdl" and _VHDL_CONTEXT.match(line) is not None


def _list_goes_on(lines: list[str], i: int, final: bool) -> bool:
    """Whether the top-level item at ``lines[i]`` (after its attributes) is a one-line
    declaration right below another (``mod graph;`` below ``mod flat_set;``, ``export const``
    lines, ``use`` lines): the answer goes on with a list, not past its own definition. On
    the stream, attributes with no item after them yet may lead into one."""
    item = next((j for j in range(i, len(lines)) if not _preamble(lines[j])), None)
    before = next((line for line in reversed(lines[:i]) if not _preamble(line)), "")
    if item is None:
        return not final and one_line_item(before)
    return one_line_item(lines[item]) and one_line_item(before)


def one_line_item(line: str) -> bool:
    """A whole top-level declaration on one line, no block: ``pub use a::b;``, ``mod x;``, or
    an item whose block opens and ends on it (Verilog's ``module m(...); ...; endmodule``)."""
    code = line.rstrip()
    balanced = all(code.count(o) == code.count(c) for o, c in ("{}", "()", "[]"))
    whole = code.endswith(";") or _ENDS_ON_ITS_LINE.search(code) is not None
    return bool(code) and not code[:1].isspace() and whole and balanced


def new_definition(lines: list[str], ctx: Context) -> int | None:
    """Index of the answer's first code line when the answer is a new top-level definition:
    below a finished or blank cursor line, after a blank line (the next function once the
    cursor's one is done). Such an answer is the definition, not a run-on into it."""
    if not ctx.line_prefix and not ctx.line_suffix.strip() and _preamble(lines[0]):
        # At a blank line at the top level, a decorator, attribute or doc comment leads into
        # the definition the answer writes (what follows it is that definition's head).
        return 1
    if _adds_to_line(lines, ctx) or (lines[0].strip() and opens_block(lines[0], ctx.language)):
        return None
    first = next((i for i in range(1, len(lines)) if not is_blank(lines[i])), None)
    if first is None or (first == 1 and not _finished_top_level(lines[0])):
        return None  # no blank line between the cursor's code and the definition
    return first if is_definition(lines[first], ctx.language) else None


def is_definition(line: str, language: str) -> bool:
    """Whether ``line`` begins a definition at its own level (at column 0: a new top-level
    one): a definition word of its language (``def``, ``fn``), or in shell a function's
    ``name()``."""
    if language in _NO_DEFINITIONS:
        return False
    if language in SHELLS and _SHELL_FUNCTION.match(line):
        return True
    return line.startswith(_TOP_LEVEL.get(language, _GENERIC))


def _finished_top_level(line: str) -> bool:
    """Whether the cursor's line is a whole top-level line that a definition may follow right
    below: blank, an attribute, decorator or comment leading into it (``#[test]``,
    ``@Component``), or a finished statement at column 0 (``use std::fmt;``, ``class A;``).
    Below an indented line the body it ends goes on; a definition there is a run-on."""
    if not line.strip():
        return True
    return not line[:1].isspace() and (_preamble(line) or not GOES_ON.search(line.rstrip()))


def scope_cut(lines: list[str], ctx: Context, head: int | None, final: bool = True) -> int | None:
    """Index of the first line that leaves the cursor's scope, by indentation.

    ``lines`` are full lines: the first one starts with the cursor line's text. On a blank
    cursor line, code at that indentation or deeper is in scope. When the suggestion continues
    a line with text, or the line opens a block, only lines deeper than the statement the line
    belongs to are (the block's body; a continuation line is measured by the statement's first
    line).
    After a finished line the answer may start below it at any level inside the top-level
    definition around the cursor (the code after an ``if`` whose body ends with a ``raise``,
    an ``else:`` two levels up, the next method); what follows stays at that first line's level
    or deeper. An answer that is a new top-level definition (``head``, see
    :func:`new_definition`) has no indentation limit. A line that closes and reopens
    (``} else {``, Python's ``else:``, an Allman ``else`` under its ``}``) stays in scope, and
    the lines deeper than it are its body, however the model indented them. The closer lines
    at the boundary whose blocks the code below the cursor leaves open are kept
    (:func:`_closing_run`), and one that a clause goes on from; in a stream that may go on
    (``final`` false) their run is undecided while it reaches the last line, unless that line
    is at column 0.
    """
    limit = 0 if head is not None else _scope_limit(lines, ctx)
    labels = _opens_switch(ctx)
    comment = _comment_lead(ctx.line_prefix)
    inner = -1  # the level of a clause the answer went on with (``} else {``)
    for i in range(1, len(lines)):
        line = lines[i]
        if comment and _comment_lead(line) == comment:
            continue  # the cursor's comment goes on
        comment = ""
        if is_blank(line) or ctx.indent(line) >= limit or _in_clause(lines[i], inner, ctx):
            continue
        if head is None and _ends_head(lines, i, ctx):
            continue  # its body follows within the limit
        if head is None and _leaves_filled_block(lines, i, ctx):
            return i  # left of the statement: a clause there (``elseif``) is another's
        if _goes_on_as_clause(lines, i, ctx):
            inner = ctx.indent(line)
            continue
        if _starts_in_string(lines, i, ctx) or _allman_body(lines, i, ctx):
            continue
        if labels and _CASE_LABEL.match(line) and ctx.indent(line) == statement_indent(ctx):
            continue  # Go's and Swift's case labels sit at their switch's own level
        if i + 1 < len(lines) and _goes_on_as_clause(lines, i + 1, ctx) and not _clause_below(ctx):
            continue  # the statement goes on (Allman ``}`` then ``else``)
        if closes(line, ctx.language) and not _closed_below(ctx, limit, line):
            end = _closing_run(lines, i, ctx)
            return end if final or end < len(lines) or not ctx.indent(lines[end - 1]) else None
        return i
    return None


def _leaves_filled_block(lines: list[str], i: int, ctx: Context) -> bool:
    """Whether ``lines[i]`` (not inside a string) stands left of the cursor's statement while
    that statement opens a block whose body is below (:func:`_opens_filled_block`)."""
    if ctx.indent(lines[i]) >= statement_indent(ctx) or not _opens_filled_block(lines, ctx):
        return False
    return not _starts_in_string(lines, i, ctx)


def _opens_filled_block(lines: list[str], ctx: Context) -> bool:
    """Whether the cursor's line, with the answer's first line, opens a block whose body the
    code below already holds (:func:`_body_below`): the answer goes in before that body, so
    none of its lines may go left of the statement (``if(`` + ``x)`` then an outer
    ``elseif(y)`` would hand the body below to it). A clause at the statement's own level may
    own that body (Ada's ``is`` then ``begin``)."""
    if not ctx.line_prefix.strip() or ctx.language in FLAT_LANGUAGES:
        return False
    if not _opens_own_block(lines[0], ctx):
        return False
    return _body_below(ctx, statement_indent(ctx)) is not None


def _ends_head(lines: list[str], i: int, ctx: Context) -> bool:
    """Whether ``lines[i]`` closes the brackets the head of the cursor's statement left open
    and opens its block (Black's ``):`` under ``def f(`` and its parameters, ``) -> int:``,
    ``) {``), not less indented than the statement: the head ends there, and its body
    follows."""
    line = lines[i]
    lead = _LEADING_CLOSERS.match(line)
    if lead is None or ctx.language in FLAT_LANGUAGES or ctx.indent(line) < statement_indent(ctx):
        return False
    if not opens_block(line, ctx.language):
        return False
    above, start = _lines_before(ctx), _statement_start(ctx)
    statement = "" if start is None else "\n".join(above[start:]) + "\n"
    scan = scanner(ctx).feed(statement + "\n".join(lines[:i]) + "\n", lenient=True)
    if not scan.stack or scan.quote:
        return False
    scan.feed(lead.group(1))
    return not scan.stack and not scan.extra


def _starts_in_string(lines: list[str], i: int, ctx: Context) -> bool:
    """Whether ``lines[i]`` starts inside a string running over lines (a Python
    triple-quoted one, a JavaScript template), read from the cursor's line on. Read only for
    a line that leaves the scope's level, which ends the answer but for such a string."""
    quote = scanner(ctx).feed("\n".join(lines[:i])).quote
    return spans_lines(quote, ctx.language)


def spans_lines(quote: str, language: str) -> bool:
    """Whether a string opened by ``quote`` may run over lines in ``language``."""
    if quote == "`":
        return language in BACKQUOTE_STRINGS
    return quote in ('"""', "'''") and language in _TRIPLE_QUOTED


def _allman_body(lines: list[str], i: int, ctx: Context) -> bool:
    """Whether ``lines[i]`` is the brace of a block whose head the line before it ends, alone
    on its line at the statement's level, in a file of code that sets its braces so
    (``public Person(string name, int |`` + ``age)`` then ``    {``)."""
    before = lines[i - 1].rstrip()
    return (
        lines[i].strip() == "{"
        and ctx.language not in _NO_DEFINITIONS
        and ctx.indent(lines[i]) >= statement_indent(ctx)
        and _HEAD_END.search(before) is not None
        and uses_allman(ctx)
    )


def closes(line: str, language: str) -> bool:
    """Whether ``line`` only ends blocks: closing brackets (``}``, ``});``, ``}()``, a type's
    ``>;`` where ``<>`` hold type arguments), maybe with a method called on what they close
    (``}.freeze``), or ``end`` in the languages that end blocks with it (Ada's ``end if;``
    and ``end Name;``, VHDL's ``end function "?=";``, Verilog's ``endmodule``, Vim script's
    ``endfunction``, ``endif``...)."""
    end_line = _END_LINES.get(language, _END_LINE)
    if language in END_LANGUAGES and end_line.match(line):
        return True
    if language == "vim" and _VIM_END_LINE.match(line):
        return True
    if language == "markdown" and _CODE_FENCE.match(line):
        return True  # the end of a fenced example
    if language in GENERICS:
        line = line.replace(">", ")")
    return is_closer(_CALLED_AFTER.sub("", line, count=1))


def _closing_run(lines: list[str], first: int, ctx: Context) -> int:
    """Index after the closer lines from ``first`` on that the answer keeps: ``first``, then
    each next closer less indented than the one before whose block the code below leaves open
    (the end of a file whose outer blocks are still open: a JSON array's ``]``, then ``}``)."""
    end = first + 1
    while (
        end < len(lines)
        and closes(lines[end], ctx.language)
        and ctx.indent(lines[end]) < ctx.indent(lines[end - 1])
        and not _closed_below(ctx, ctx.indent(lines[end - 1]))
    ):
        end += 1
    return end


def _comment_lead(line: str) -> str:
    """The indentation and marker a comment line starts with (``"    # "`` gives ``"    #"``),
    ``""`` for a line that is not a comment."""
    found = _COMMENT_LEAD.match(line)
    return found.group() if found else ""


def sibling_cut(lines: list[str], ctx: Context, final: bool = True) -> int | None:
    """Index of a definition the answer starts right after its own closer of the cursor's
    block, at that closer's level (Ruby's next ``def`` after ``end``, CSS's next rule after
    ``}``): one definition is one answer, and the next is a run-on even without a blank line.

    Not where the code below is that definition's body (the answer wrote the new head over
    code the user had kept): then cutting would leave that body under the closed block."""
    level = statement_indent(ctx)
    for i in range(1, len(lines) - 1):
        line = lines[i]
        if ctx.indent(line) > level or not closes(line, ctx.language):
            continue
        after = next((j for j in range(i + 1, len(lines)) if not is_blank(lines[j])), None)
        if after is None or ctx.indent(lines[after]) != ctx.indent(line):
            continue
        if not _starts_definition(lines[after], ctx.language):
            return None
        body = _body_below(ctx, ctx.indent(line))
        if body is None:
            return after
        return None if not final or _leads_into(lines[-1], body, ctx) else i
    return None


def _body_below(ctx: Context, level: int) -> str | None:
    """The first code line below the cursor when it is body code deeper than ``level`` (not
    a closer), else ``None``."""
    below = code_line_below(ctx)
    if below is None or ctx.indent(below) <= level or closes(below, ctx.language):
        return None
    return below


def _leads_into(last: str, below: str, ctx: Context) -> bool:
    """Whether the code ``below`` goes on from the answer's ``last`` line: at its level, or
    deeper after a line that opens a block or begins a definition (Ruby's ``def name``)."""
    if ctx.indent(below) == ctx.indent(last):
        return True
    opens = opens_block(last, ctx.language) or _starts_definition(last, ctx.language)
    return ctx.indent(below) > ctx.indent(last) and opens


def _starts_definition(line: str, language: str) -> bool:
    if language in STYLE_SHEETS:
        return line.rstrip().endswith("{")
    if language == "pascal" and _PASCAL_SECTION.match(line.lstrip()):
        return True  # after a routine's ``end;``, its unit's next section
    return is_definition(line.lstrip(), language)


def form_end_cut(lines: list[str], ctx: Context) -> int | None:
    """In a Lisp, with the cursor inside a top-level form, index of the line after the one
    that closes that form: what follows is the next form (a run-on), whatever its
    indentation; or of a line that opens a form at column 0 before then, which by the Lisps'
    own convention starts a top-level form (a docstring escapes such a paren): the answer
    left its form unfinished and wrote the next. ``None`` elsewhere, and when the prompt
    holds no start of the form."""
    above = _lisp_above(ctx)
    if above is None or not above.copy().feed(ctx.line_prefix).stack:
        return None  # between forms: an answer may write several (``(require ...)`` lines)
    scan = above.copy()
    for i, line in enumerate(lines):
        if i and line.startswith("(") and not scan.quote:
            return i
        scan.feed(line + "\n")
        if not scan.stack and not scan.quote and i < len(lines) - 1:
            return i + 1
    return None


def inner_form_cut(lines: list[str], ctx: Context) -> int | None:
    """In a Lisp, index of the line after the one whose closers leave the cursor's scope:
    the form the cursor's line leaves open (the body after ``(let ((x 1))``, the rest of a
    call), or, after a line that leaves none, the form around it. A Lisp closes forms at a
    line's end, where indentation does not show it; what follows is out of scope as lines
    after a dedent are elsewhere. ``None`` elsewhere, and when the prompt holds no start of
    the top-level form."""
    above = _lisp_above(ctx)
    if above is None:
        return None
    scan = above.copy()
    base = len(scan.stack)
    floor = base if len(scan.copy().feed(ctx.line_prefix).stack) > base else base - 1
    for i, line in enumerate(lines[:-1]):
        scan.feed(line + "\n")
        if not scan.quote and len(scan.stack) - scan.extra <= floor:
            return i + 1
    return None


def outdented_line_cut(lines: list[str], ctx: Context) -> int | None:
    """In a Lisp, index of an answer line whose code starts at or left of the paren of a
    form still open that starts its own line: a form's lines stand right of its paren, so
    the answer went on with other code there (``(unless (procedure-arity? arity)`` then
    ``  (define (normalize-singleton-arity arity)``, the ``define`` it is in left open).
    Not a line in a string or a comment, a reader conditional's (``#+sbcl`` at column 0),
    nor one led by closers (a style lines them up under their opener); nor in Racket's text
    (``@{...}``), whose parens are prose. The forms read are those from the start
    :func:`lisp_layout_head` finds."""
    found = lisp_layout_head(ctx) if len(lines) > 1 else None
    if found is None:
        return None
    code, starts = _with_answer(found[0][: len(found[0]) - len(ctx.line_prefix)], lines)
    if ctx.language == "racket" and _AT_EXPRESSION.search(code):
        return None
    openers = openers_at(code, starts, ctx)
    for i, start in enumerate(starts, 1):
        open_here, line = openers[start], lines[i]
        if open_here is None or not _LISP_LAID_OUT.match(line):
            continue
        # Lisp files take Emacs's tab of 8 where they hold one.
        column = _widest_indent(line)
        if any(opener.first and opener.column >= column for opener in open_here):
            return i
    return None


def jsx_outdented_cut(lines: list[str], ctx: Context) -> int | None:
    """In TSX and JSX, index of an answer line of code at or left of the line that opened
    the bracket still open around it: ``useEffect(() => {`` back at the level of the
    ``return (`` whose markup the answer was writing. The layout these files keep
    (Prettier's) puts a bracket's contents deeper than its line and its closer at that
    line's level. Not a line led by a closer, a comment or a ``case`` label. The code is
    read from the last top-level statement's start (a line at column 0)."""
    if ctx.language not in _JSX_LANGUAGES or len(lines) < 2:
        return None
    code, starts = _with_answer(_jsx_above(ctx), lines)
    openers = openers_at(code, starts, ctx)
    for i, start in enumerate(starts, 1):
        open_here, line = openers[start], lines[i]
        if not open_here or not _JSX_LAID_OUT.match(line) or is_comment_line(line, ctx.language):
            continue
        opener = open_here[-1]
        if ctx.indent(line) <= opener.indent and _ends_own_line(code, opener.at):
            return i
    return None


def tex_outdented_cut(lines: list[str], ctx: Context) -> int | None:
    """In TeX, index of an answer line defining something (``\\def``, ``\\newcommand``,
    ``\\define@key``...) at column 0 inside a group still open whose ``{`` ends a line at
    column 0 and whose body stands deeper: the answer left the definition it was writing
    open and went on with the next one. A body laid out at column 0 (a line of it there
    before) is not judged. The code is read from the last definition at column 0 above."""
    if ctx.language != "latex" or len(lines) < 2:
        return None
    code, starts = _with_answer(_tex_above(ctx), lines)
    code = tex_group_code(code)
    openers = openers_at(code, starts, ctx)
    for i, start in enumerate(starts, 1):
        open_here = openers[start]
        if not open_here or not _TEX_DEFINITION.match(lines[i]):
            continue
        opener = open_here[-1]
        end = code.find("\n", opener.at)
        body = [line for line in code[end + 1 : start].splitlines() if line.strip()]
        if (
            opener.indent == 0
            and not code[opener.at + 1 : end].strip()
            and body
            and all(ctx.indent(line) > 0 for line in body)
        ):
            return i
    return None


@functools.lru_cache(maxsize=32)  # one read per cursor: the rules run at every streamed chunk
def _tex_above(ctx: Context) -> str:
    """The prompt above the cursor's line from the last definition at column 0 (none if no
    line starts one)."""
    above = ctx.above_line
    found = [m.start() for m in _TEX_TOP_DEFINITION.finditer(above)]
    return above[found[-1] :] if found else ""


def _with_answer(above: str, lines: list[str]) -> tuple[str, list[int]]:
    """The code above the cursor's line followed by the answer's lines (the first with the
    cursor line's text), and where each line after the first starts in it."""
    code = above + lines[0]
    starts = []
    for line in lines[1:]:
        starts.append(len(code) + 1)
        code += "\n" + line
    return code, starts


@functools.lru_cache(maxsize=32)  # one read per cursor: the rules run at every streamed chunk
def _jsx_above(ctx: Context) -> str:
    """The prompt above the cursor's line from the last line starting a top-level
    statement (all of it if none does)."""
    above = ctx.above_line
    found = [m.start() for m in _TOP_LEVEL_LINE.finditer(above)]
    return above[found[-1] :] if found else above


def _ends_own_line(code: str, at: int) -> bool:
    """Whether the bracket at ``at`` ends its line and that line starts a statement or an
    attribute (the line above ends one, a block's start or a tag, or opens a tag):
    ``return (`` after ``const x = 1;``, ``values={[`` under ``<Provider``; not the ``{``
    of an interface's ``extends A {`` line, nor ``{cond ||``, nor a line going on with an
    expression (a return type's ``: never {`` under ``? AsyncRouteComponent<P>``)."""
    end = code.find("\n", at)
    if code[at + 1 : end if end >= 0 else len(code)].strip():
        return False
    if _CONTINUED_LEAD.match(code, code.rfind("\n", 0, at) + 1):
        return False
    above = code[: max(0, code.rfind("\n", 0, at))].rstrip()
    line_above = above[above.rfind("\n") + 1 :].lstrip()
    ends = above.endswith((";", "{", "}", ">"))
    return not above or ends or _JSX_TAG_START.match(line_above) is not None


def indented_block_cut(lines: list[str], ctx: Context) -> int | None:
    """After a cursor's line that opens a block with a word (TeX's ``\\else``; Vim script's
    ``if``, ``for``, ``function``...; Svelte's ``{#if …}``, ``{:else}``) whose body the
    answer indents (its first line of code deeper), index of the first line of code back at
    that line's level or further out that neither ends the block nor goes on with it
    (``\\fi``, ``endif``, ``{/if}``; ``else``, ``{:else}``): a run-on past the block. Where
    the answer ends the block (in TeX also with a ``\\fi`` on a line of the branch), the
    other rules judge the rest. A body written at the opener's own level is not judged, nor
    are comment lines."""
    opener = _BLOCK_LINE_OPENER.get(ctx.language)
    if opener is None or not opener.search(without_trailing_comment(lines[0], ctx.language)):
        return None
    if ctx.language == "vim" and (_heredoc_above(ctx) or _VIM_HEREDOC.search("\n".join(lines))):
        return None  # a heredoc's lines are another language's (``python << EOF``)
    level = ctx.indent(lines[0])
    code = [(i, line) for i, line in enumerate(lines) if i and _is_code_line(line, ctx)]
    if not code or _widest_indent(code[0][1]) <= level:
        return None
    depth = 1  # the block itself, then TeX's conditionals it opens
    for i, line in code:
        if _widest_indent(line) <= level:
            return None if _BLOCK_LINE_END[ctx.language].match(line) else i
        if ctx.language == "latex":
            for found in _TEX_CONDITIONAL.finditer(without_trailing_comment(line, "latex")):
                depth += 1 if found.group(1) else -1
                if not depth:
                    return None
    return None


@functools.lru_cache(maxsize=32)  # one read per cursor: the rules run at every streamed chunk
def _heredoc_above(ctx: Context) -> bool:
    """Whether the prompt holds a Vim script heredoc's start."""
    return _VIM_HEREDOC.search(ctx.prefix) is not None


def _is_code_line(line: str, ctx: Context) -> bool:
    if is_blank(line) or is_comment_line(line, ctx.language):
        return False
    # Vim script's comments (``"``, Vim9's ``#``) and continued lines (``\\``).
    return not (ctx.language == "vim" and line.lstrip().startswith(('"', "#", "\\")))


def _widest_indent(line: str) -> int:
    """``line``'s indentation with a tab at its widest (8): where the file's own tab is
    narrower, the line stands further right than read, never further left."""
    return len(line[: len(line) - len(line.lstrip())].expandtabs(GNU_TAB_WIDTH))


def doc_block_cut(lines: list[str], ctx: Context) -> int | None:
    """In CMake, with the cursor inside a bracket comment (a module's ``#[==[.rst:``
    documentation), index of an answer line that calls a command at column 0 before the
    comment's end (``find_path(PHYSFS_INCLUDE_DIR physfs.h``): the model left the text for
    the module's code. The text's own examples stand indented; a whole call with text after
    it (``include(X), it will...``) or ending a sentence is prose, and one with placeholders
    a signature."""
    if ctx.language != "cmake":
        return None
    opened = _open_bracket_comment(ctx)
    if opened is None:
        return None
    for i in range(1, len(lines)):
        if opened in lines[i]:
            return None
        if _CMAKE_CALL_LINE.match(lines[i]):
            return i
    return None


@functools.lru_cache(maxsize=32)  # one read per cursor: the rules run at every streamed chunk
def _open_bracket_comment(ctx: Context) -> str | None:
    """The closing bracket (``]==]``) of a CMake bracket comment open at the cursor, if any."""
    starts = list(_CMAKE_BRACKET_COMMENT.finditer(ctx.prefix))
    if not starts:
        return None
    found = starts[-1]  # they do not nest
    closer = "]" + found.group(1) + "]"
    return None if closer in ctx.prefix[found.end() :] else closer


def _lisp_above(ctx: Context) -> Scan | None:
    """In a Lisp, the scan of the top-level form around the cursor up to the cursor's line
    (shared, not to be fed); ``None`` elsewhere and when the prompt holds no start of it."""
    head = lisp_head(ctx)
    return None if head is None else read_above(head[: len(head) - len(ctx.line_prefix)], ctx)


def period_form_cut(lines: list[str], ctx: Context) -> int | None:
    """In Erlang, whose top-level forms end with ``.``: index of a line at column 0 that
    starts a form after one the answer ended, when the answer already went on with a form
    (the cursor's unfinished one, or one it began after a finished line). Attributes such as
    ``-spec`` lead into the form they precede."""
    if ctx.language != "erlang":
        return None
    ended = _ends_form(lines[0])
    busy = not ended  # the answer goes on with the cursor's form
    for i in range(1, len(lines)):
        line = lines[i]
        if is_blank(line) or line.lstrip().startswith("%"):
            continue
        if ended and not line[:1].isspace():
            if busy:
                return i
            busy = not line.startswith("-")
        ended = _ends_form(line)
    return None


def indented_after_clause_cut(lines: list[str], ctx: Context) -> int | None:
    """In Prolog, whose clauses end with ``.``: index of an indented line of code right under
    a line ending one. The next clause starts at column 0; code indented there is a piece of
    something else the model ran on with (a clause body's goals, a licence's numbered item).
    After a blank line, a file may indent its helper clauses. Not in a block comment, whose
    sentences end with ``.`` too. (Not Erlang: its strings run over lines, and in its real
    files one such pair in 80 is a usage text's.)"""
    if ctx.language != "prolog":
        return None
    in_comment = _in_comment_after(ctx.prefix, False, len(ctx.prefix) - len(ctx.line_prefix))
    ended = False
    for i, line in enumerate(lines):
        was_in_comment, in_comment = in_comment, _in_comment_after(line, in_comment)
        if was_in_comment or in_comment or is_blank(line):
            ended = False
        elif is_comment_line(line, ctx.language):
            continue
        elif i and ended and line[:1].isspace():
            return i
        else:
            ended = _ends_form(without_trailing_comment(line, ctx.language))
    return None


def _in_comment_after(text: str, inside: bool, end: int | None = None) -> bool:
    """Whether a block comment is open after ``text`` (up to ``end``), given whether it was
    before."""
    opening, closing = text.rfind("/*", 0, end), text.rfind("*/", 0, end)
    return inside if opening == closing else opening > closing


def _ends_form(line: str) -> bool:
    """Whether an Erlang or Prolog line ends a form (a ``.`` after its code, not ``..`` nor
    Prolog's character code ``0'.``; blank counts as between forms)."""
    code = _TRAILING_COMMENT.sub("", line).rstrip()
    return not code or (code.endswith(".") and not code.endswith(("..", "0'.")))


def document_cut(lines: list[str], ctx: Context) -> int | None:
    """In an HTML or XML file, index of the line after the one that closes the document
    (``</html>``), or of a line that starts it again (``<!DOCTYPE``, ``<?xml``, ``<html``
    where the prompt or the answer already has one): a model at a document's end may go on
    with another document. In TeX, index of the line after ``\\endinput`` or
    ``\\end{document}``."""
    if ctx.language == "latex":
        return next((i for i in range(1, len(lines)) if _TEX_END.match(lines[i - 1])), None)
    if ctx.language not in _DOCUMENTS:
        return None
    for i in range(1, len(lines)):
        if _DOCUMENT_END.match(lines[i - 1]):
            return i
        start = _DOCUMENT_START.match(lines[i])
        if start is None:
            continue
        again = re.compile(re.escape(start.group(1)), re.IGNORECASE)
        if again.search(ctx.prefix) or any(again.search(line) for line in lines[:i]):
            return i
    return None


def script_cut(lines: list[str], ctx: Context) -> int | None:
    """In markup (HTML, Vue, Svelte) with the cursor inside a ``<script>`` element, index of
    the first line after the first that starts markup at column 0 (a tag but ``</script>``,
    a Svelte block's ``{#if}``): the answer left the script without closing it."""
    if ctx.language not in _SCRIPT_HOSTS:
        return None
    opened, closed = ctx.prefix.rfind("<script"), ctx.prefix.rfind("</script")
    if opened < 0 or closed > opened:
        return None
    return next((i for i in range(1, len(lines)) if _MARKUP_LINE.match(lines[i])), None)


def tag_cut(lines: list[str], ctx: Context) -> int | None:
    """Index where the answer ends when the cursor's line ends by opening an element
    (``<main>``): its line that closes that element (``</main>``, at any indentation: models
    indent markup their own way), or the line after it when the code below does not close the
    element itself. Elements of the same name opened inside the answer are counted."""
    found = _OPEN_TAG.search(ctx.line_prefix)
    if found is None or ctx.line_suffix.strip():
        return None
    name = found[1]
    closing, opening = f"</{name}>", re.compile(f"<{re.escape(name)}(?=[\\s>])(?![^<>]*/>)")
    depth = 0
    for i in range(1, len(lines)):
        line = lines[i]
        if line.strip() == closing and depth == 0:
            return i if _tag_closed_below(ctx, closing) else i + 1
        depth += len(opening.findall(line)) - line.count(closing)
    return None


def _tag_closed_below(ctx: Context, closing: str) -> bool:
    """Whether the first line below the cursor that is not nested deeper than the cursor's
    line closes the element (``</main>``) at that line's level: less indented, it closes an
    element around it."""
    level = ctx.indent(ctx.line_prefix)
    for below in lines_after_cursor(ctx):
        if not is_blank(below) and ctx.indent(below) <= level:
            return below.strip() == closing and ctx.indent(below) == level
    return False


def _scope_limit(lines: list[str], ctx: Context) -> int:
    """The least indentation an answer's line may have and stay in the cursor's scope (the
    answer is not a new top-level definition)."""
    if not ctx.line_prefix.strip():
        return ctx.indent(ctx.line_prefix)
    own = statement_indent(ctx)
    if ctx.language in FLAT_LANGUAGES:
        return own
    continued = _adds_to_line(lines, ctx) and not _terminates(lines[0], ctx)
    if continued or _opens_own_block(lines[0], ctx):
        return own + 1
    first = next((line for line in lines[1:] if not is_blank(line)), None)
    if first is None or ctx.indent(first) >= own:
        return own
    return max(ctx.indent(first), _definition_floor(ctx))


def _opens_own_block(line: str, ctx: Context) -> bool:
    """Whether the cursor's ``line`` (with the answer's first line) opens a block of its own:
    its body is one level in (not an arrow a signature goes on from at its level)."""
    return opens_block(line, ctx.language) and not _arrow_goes_on(line, ctx)


def _arrow_goes_on(line: str, ctx: Context) -> bool:
    """Whether ``line`` ends with an arrow (``->``, ``=>``) that the prompt shows going on at
    its own level: a line ending with it right above a line as deep (a type signature's
    parameters one a line, ``Int ->`` over ``String ->``). There the next line is the
    signature's, not a body one level in."""
    arrow = _ARROW.search(without_trailing_comment(line, ctx.language))
    return arrow is not None and arrow.group() in _aligned_arrows(ctx)


@functools.lru_cache(maxsize=32)  # one scan per cursor: the rules run at every streamed chunk
def _aligned_arrows(ctx: Context) -> frozenset[str]:
    """The arrows that, in the prompt's last lines above the cursor, end a line followed by a
    code line at the same indentation."""
    found: set[str] = set()
    for below, line in itertools.pairwise(itertools.islice(lines_above(ctx), ALIGNED_LINES)):
        arrow = _ARROW.search(without_trailing_comment(line, ctx.language))
        if arrow and not is_blank(below) and ctx.indent(below) == ctx.indent(line):
            found.add(arrow.group())
    return frozenset(found)


def opens_block(line: str, language: str) -> bool:
    """Whether ``line`` ends by opening a block (a bracket, ``:``, ``->``, ``=>``, Ada's
    words: :data:`_WORD_OPENER`), a comment after its opener aside."""
    code = without_trailing_comment(line, language)
    if language in _WORD_OPENER and _WORD_OPENER[language].search(code.rstrip()):
        return True
    return _OPENER.search(code) is not None


def _in_clause(line: str, inner: int, ctx: Context) -> bool:
    """Whether ``line`` is the body of a clause the answer went on with at level ``inner``
    (``-1`` for none): deeper than it, or its brace on a line of its own."""
    if inner < 0:
        return False
    indent = ctx.indent(line)
    return indent > inner or (indent == inner and line.strip() == "{")


def _goes_on_as_clause(lines: list[str], i: int, ctx: Context) -> bool:
    """Whether ``lines[i]`` goes on with the statement above it: it closes and reopens
    (``} else {``, a Python clause with its statement above), or in Allman style it is an
    ``else``, ``catch`` or ``finally`` right under that statement's closer, at its level."""
    line = lines[i]
    if _reopens(line, ctx.language):
        return _clause_fits(lines, i, ctx)
    before = lines[i - 1]
    return (
        _ALLMAN_CLAUSE.match(line) is not None
        and closes(before, ctx.language)
        and ctx.indent(before) == ctx.indent(line)
    )


@functools.lru_cache(maxsize=32)  # one read per cursor: the rules run at every streamed chunk
def _clause_below(ctx: Context) -> bool:
    """Whether the code below the cursor goes on with a clause itself (``else version (X)``
    below a D ``version`` block): an answer's own closer then ends it, as a clause after it
    would type that code again."""
    below = code_line_below(ctx) or ""
    return _ALLMAN_CLAUSE.match(below) is not None or _reopens(below, ctx.language)


def _clause_fits(lines: list[str], i: int, ctx: Context) -> bool:
    """Whether a Python clause (``else:``, ``except E:``) has the statement it goes on with
    above it at its level: the nearest code line there, in the answer or the prompt, heads
    one the clause may follow (an ``except`` a ``try`` or an ``except``, not the ``if`` a
    run-on left: ``if TYPE_CHECKING:`` then ``except FileNotFoundError:``). Other
    languages' reopeners need none."""
    if ctx.language != "python":
        return True
    level = ctx.indent(lines[i])
    clause = _PYTHON_CLAUSE.match(lines[i])
    above = itertools.chain(reversed(lines[:i]), lines_above(ctx))
    for line in above:
        if is_blank(line) or ctx.indent(line) > level:
            continue
        head = _PYTHON_CLAUSE_HEAD.match(line)
        if ctx.indent(line) != level or head is None:
            return False
        return clause is None or head.group(1).split()[-1] in _PYTHON_CLAUSE_AFTER[clause[1]]
    return False


def _reopens(line: str, language: str) -> bool:
    """Whether ``line`` closes a block and opens the next at the same level (``} else {``,
    Ada's ``begin`` after a routine's declarations)."""
    if language in _WORD_REOPENER and _WORD_REOPENER[language].match(line):
        return True
    return _CLOSE_AND_REOPEN.match(line) is not None


@functools.lru_cache(maxsize=32)  # one scan per cursor: the rules run at every streamed chunk
def statement_indent(ctx: Context) -> int:
    """Indentation of the line that began the statement the cursor's line belongs to. A line
    continued from above (a backslash, or a call's or list's bracket still open innermost) is
    measured by that first line: the body of ``for x in \\`` / ``        items():`` is one
    level below the ``for``."""
    above = _lines_before(ctx)
    start = _statement_start(ctx)
    if start is not None:
        return ctx.indent(above[start])
    if ctx.language == "sql":
        return _sql_statement_indent(above, ctx)
    return ctx.indent(ctx.line_prefix)


@functools.lru_cache(maxsize=32)
def _statement_start(ctx: Context) -> int | None:
    """Index in :func:`_lines_before` of the line that began the statement the cursor's line
    continues; None when the cursor's line begins its own."""
    above = _lines_before(ctx)
    # Braces hold statements in most languages (a block, not a continued line); in Python
    # they are a dict or set, like any other bracket.
    holds = "([{" if ctx.language == "python" else "(["
    scan, start, continued = scanner(ctx, lisp=False), None, False
    # The start in effect when each open bracket was opened: a line that closes a block back
    # into a call (JSX's ``})}`` ending an attribute's object) goes on with that call's
    # statement, not a statement of its own.
    owners: list[int | None] = []
    for i, line in enumerate(above):
        if line.lstrip().startswith(_COMMENT) and not scan.quote:
            continue  # a bracket in prose opens nothing
        depth = len(scan.stack) if scan.quote else _depth_after_closers(scan.stack, line)
        if depth < len(scan.stack) and depth and scan.stack[depth - 1] in holds:
            start = owners[depth - 1]
        elif not (_open_in(scan, holds) or scan.quote or continued or _HEAD_CLAUSE.match(line)):
            start = i
        scan.low = len(scan.stack)
        scan.feed(line + "\n", lenient=True)
        owners = owners[: min(scan.low, len(owners))]
        owners += [start] * (len(scan.stack) - len(owners))
        continued = line.endswith("\\")
    if start is None or scan.quote:
        return None
    if not (_open_in(scan, holds) or continued or _HEAD_CLAUSE.match(ctx.line_prefix)):
        return None
    return start


@functools.lru_cache(maxsize=32)
def _lines_before(ctx: Context) -> list[str]:
    """The lines above the cursor's, up to :data:`STATEMENT_LINES`, in order."""
    head = unix_breaks(ctx.above_line)
    return recent_lines(head[:-1], STATEMENT_LINES).split("\n")


def declaration_cut(lines: list[str], ctx: Context) -> int | None:
    """Index of a definition the answer starts at the cursor statement's level once a ``;``
    outside brackets ended a statement, when the cursor's line leaves unfinished the head of
    a definition (Ada's or Pascal's ``procedure Set (X : Integer;`` + ``Y : Integer);``,
    then the next ``procedure``; a trait's ``fn`` signature, then the next): one declaration
    is one answer, as one definition is after its closer (:func:`sibling_cut`)."""
    code = without_trailing_comment(ctx.line_prefix, ctx.language).strip()
    if not code or code.endswith(";") or ctx.line_suffix.strip():
        return None
    above, start = _lines_before(ctx), _statement_start(ctx)
    head = ctx.line_prefix if start is None else above[start]
    attribute = _preamble(head) or head.lstrip().startswith("#[")  # it leads into the item
    if attribute or not is_definition(head.lstrip(), ctx.language):
        return None
    level = ctx.indent(head)
    statement = "" if start is None else "\n".join(above[start:]) + "\n"
    scan = scanner(ctx).feed(statement + ctx.line_prefix, lenient=True)
    ended = False
    for i, line in enumerate(lines):
        at_level = i > 0 and not is_blank(line) and ctx.indent(line) <= level
        if ended and at_level and is_definition(line.lstrip(), ctx.language):
            return i
        scan.feed((line[len(ctx.line_prefix) :] if i == 0 else line) + "\n", lenient=True)
        code = without_trailing_comment(line, ctx.language).rstrip()
        ended = ended or (not scan.stack and not scan.quote and code.endswith(";"))
    return None


def _sql_statement_indent(above: list[str], ctx: Context) -> int:
    """In SQL a statement runs over lines, its clauses (``FROM``, ``WHERE``, ``SET``) at its
    first line's level, up to its ``;``: the first line after a ``;``, a blank line or a
    PL/pgSQL block's opening line above, or the document's first, when it is in sight."""
    starts = [i + 1 for i, line in enumerate(above) if is_blank(line) or _SQL_BOUNDARY.search(line)]
    if len(above) < STATEMENT_LINES:  # ``above`` holds the document's first line
        starts.insert(0, 0)
    if not starts:
        return ctx.indent(ctx.line_prefix)
    first = above[starts[-1]] if starts[-1] < len(above) else ctx.line_prefix
    return min(ctx.indent(first), ctx.indent(ctx.line_prefix))


def statement_cut(lines: list[str], ctx: Context) -> int | None:
    """In SQL, index of a line that begins a schema statement (``CREATE``, ``ALTER``,
    ``DROP``, ``GRANT``, ``REVOKE``, ``COMMENT ON``) at the cursor statement's level or less
    while the statement before it is unfinished (no ``;`` yet): no such statement goes inside
    another, so the answer has run on past the end of its own. When the cursor's line leaves
    its statement unfinished, also of any line at that level or less after the ``;`` that the
    answer ends it with: one statement is one answer, as one block is elsewhere (the ``;`` of
    a dollar-quoted body's statements do not count)."""
    if ctx.language != "sql":
        return None
    level = statement_indent(ctx)
    unfinished = bool(lines[0].strip()) and not _SQL_STATEMENT_END.search(lines[0])
    own = _sql_own_end(lines, ctx)
    for i in range(1, len(lines)):
        line = lines[i]
        if unfinished and ctx.indent(line) <= level and _SQL_SCHEMA_STATEMENT.match(line):
            return i
        if own is not None and i > own and line.strip() and ctx.indent(line) <= level:
            return i
        if line.strip():
            unfinished = not _SQL_STATEMENT_END.search(line)
    return None


def continued_statement_cut(lines: list[str], ctx: Context) -> int | None:
    """Index of the first line at the cursor statement's level or less after the answer ended
    the statement the cursor's line leaves open (``p <- ggplot(df) +``, ``int f(char *s,``),
    when the code below the cursor goes on at that level already: the statement is the
    answer, and one more there a run-on (SQL's own is :func:`statement_cut`). Not after a line
    that opens a block (its body is the answer); the closers and reopeners of enclosing
    blocks (``}``, ``fi``, ``else``) are no statements."""
    language = ctx.language
    if language in _STATEMENTS_ELSEWHERE or language in LISPS or language in EQUATION_LANGUAGES:
        return None  # equations have their own rule, with the file's habit
    head = ctx.line_prefix.rstrip()
    if ctx.line_suffix.strip() or not goes_on(head) or opens_block(head, language):
        return None
    if is_comment_line(head, language):
        return None  # prose: its end is no operator
    level = statement_indent(ctx)
    below = code_line_below(ctx)
    if below is None or ctx.indent(below) > level:
        return None  # the statement goes on below the cursor
    scan = scanner(ctx, lisp=False)
    start = _statement_start(ctx)
    for line in _lines_before(ctx)[start:] if start is not None else []:
        scan.feed(line + "\n", lenient=True)
    ended = False
    for i, line in enumerate(lines):
        if is_blank(line):
            continue
        if i and ended and ctx.indent(line) <= level and not _encloses(line, ctx):
            return i
        scan.feed(line + "\n", lenient=True)
        ended = not (scan.stack or scan.quote or goes_on(line.rstrip())) and not (
            opens_block(line, language) or _BLOCK_WORD_END.search(line.rstrip())
        )
    return None


def _encloses(line: str, ctx: Context) -> bool:
    """Whether ``line`` closes or reopens an enclosing block rather than starting a statement."""
    language = ctx.language
    return closes(line, language) or _reopens(line, language) or bool(_CLOSING_WORD.match(line))


def _sql_own_end(lines: list[str], ctx: Context) -> int | None:
    """Index of the line whose ``;`` ends the statement the cursor's line leaves unfinished,
    outside a dollar-quoted body (PL/pgSQL's ``$$``, ``$body$``); ``None`` when the cursor's
    line is blank or ends its statement, or is inside such a body."""
    code = ctx.line_prefix.strip()
    if not code or _SQL_STATEMENT_END.search(code):
        return None
    quoted = len(_SQL_DOLLAR.findall(ctx.prefix)) % 2 == 1
    if quoted:
        return None
    for i, line in enumerate(lines):
        text = line[len(ctx.line_prefix) :] if i == 0 else line
        quoted ^= len(_SQL_DOLLAR.findall(text)) % 2 == 1
        if not quoted and _SQL_END.search(line):
            return i
    return None


def _opens_switch(ctx: Context) -> bool:
    """Whether the cursor is at the end of a line opening a ``switch`` or ``select`` block."""
    return not ctx.line_suffix.strip() and bool(_SWITCH.search(ctx.line_prefix))


def _terminates(first: str, ctx: Context) -> bool:
    """Whether the answer's first line only ends the cursor line's statement or item (``,``
    after the last value, ``;``), a line that begins its own (not an argument continued inside
    an open call): the line is then finished, and its siblings may follow."""
    added = first[len(ctx.line_prefix) :].strip()
    return added in (",", ";") and statement_indent(ctx) == ctx.indent(ctx.line_prefix)


def _preamble(line: str) -> bool:
    """A line that leads into a definition: a decorator, an attribute, a comment."""
    return line.lstrip().startswith(("@", *_COMMENT))


def _depth_after_closers(stack: list[str], line: str) -> int:
    """How many of ``stack``'s brackets stay open once the closers ``line`` starts with are
    read (as many as match)."""
    depth = len(stack)
    for char in line.lstrip():
        if not depth or CLOSERS.get(char) != stack[depth - 1]:
            break
        depth -= 1
    return depth


def _open_in(scan: Scan, brackets: str) -> bool:
    """Whether the innermost open bracket is one of ``brackets``: inside a ``{`` opened within
    a call (``items.forEach((item) => {``) the lines are statements of that block again."""
    return bool(scan.stack) and scan.stack[-1] in brackets


def _definition_floor(ctx: Context) -> int:
    """The least indentation of a line that stays inside the top-level definition (function,
    class) around the cursor: 1 inside one, 0 in top-level code, and the outermost level the
    prompt shows when its window starts inside a block."""
    level, outermost = ctx.indent(ctx.line_prefix), ""
    for line in enclosing_lines(ctx):
        level, outermost = ctx.indent(line), line
    if level == 0 and is_definition(outermost, ctx.language):
        return 1
    return level


def _adds_to_line(lines: list[str], ctx: Context) -> bool:
    """Whether the answer continues the cursor line's text (rather than starting below it)."""
    return lines[0].rstrip() != ctx.line_prefix.rstrip()


def _closed_below(ctx: Context, limit: int, closer: str = "") -> bool:
    """Whether the code below the cursor already closes the cursor's block: the first code line
    below that leaves it (indented less than ``limit``) is a closer at the level of the line
    that opened the block. The lines before it are the rest of the block (``cleanup()`` before
    its ``}``); a closer at another level closes an outer block. Measured by the document's
    lines, not the answer's closer: a model indenting by 2 in a file indented by 4 or by tabs
    puts its ``}`` at a level the file never uses. A closing word other than the answer's
    ``closer`` closes another block (Verilog's ``endmodule`` below an ``always`` block's
    ``end``, both at column 0)."""
    opener = _opener_indent(ctx, limit)
    for below in lines_after_cursor(ctx):
        if not is_blank(below) and ctx.indent(below) < limit:
            if ctx.indent(below) != opener:
                return False
            if closes(below, ctx.language):
                return not closer or _first_word(below) == _first_word(closer)
            # A bracket that closes the block and goes on (``} else {``, ``} while (x);``).
            lead = below.lstrip()[:1]
            goes_on = _CLOSE_AND_REOPEN.match(below) or _DO_WHILE_END.match(below)
            return bool(goes_on) and closer.lstrip()[:1] in (lead, "")
    return False


def closed_again(text: str, ctx: Context) -> bool:
    """Whether ``text``, closers alone at a blank cursor line in a block's body, closes the
    block the code below the cursor already closes (``}`` above the function's own ``};``).
    Below a deeper line it closes the block the cursor's indentation came back out of (an
    ``if``'s ``}`` or ``end``), and below a line at its level that opens a block, that one."""
    if ctx.line_prefix.strip() or ctx.line_suffix.strip() or "\n" in text.strip():
        return False
    level = ctx.indent(ctx.line_prefix)
    above = next((line for line in lines_above(ctx) if not is_blank(line)), None)
    if above is None or ctx.indent(above) > level:
        return False
    if opens_block(above, ctx.language) and ctx.indent(above) == level:
        return False  # it closes the block that line opened, below which the editor stayed
    return closes(text.strip(), ctx.language) and _closed_below(ctx, level, text)


def _first_word(line: str) -> str:
    """The word a closer line starts with (``end``, ``endmodule``), ``""`` for brackets."""
    found = re.match(r"\s*([A-Za-z]\w*)", line)
    return found.group(1).lower() if found else ""


def _opener_indent(ctx: Context, limit: int) -> int | None:
    """Indentation of the line that opened the block the answer's lines below ``limit`` are
    in: the nearest code line, from the cursor's up, indented less than ``limit``."""
    own = ctx.line_prefix
    if not is_blank(own) and ctx.indent(own) < limit:
        return ctx.indent(own)
    return next(
        (ctx.indent(line) for line in enclosing_lines(ctx) if ctx.indent(line) < limit), None
    )
