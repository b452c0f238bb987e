"""A Markdown code fence around the answer: a model that slips into chat form (```` ```python
````, the code, ```` ``` ````) while the file is code, where a fence line is a syntax error, or
Markdown where it cannot have a fence."""

from __future__ import annotations

import re

from codestral_lsp.context import Context
from codestral_lsp.languages import BACKQUOTE_STRINGS, LISPS, LONG_ONE_QUOTE
from codestral_lsp.postprocess.brackets import (
    closes_bracket_ending_its_line,
    is_comment_line,
    scanner,
    without_comment_lines,
)
from codestral_lsp.postprocess.embedded import FENCE_LINE, in_fenced_block
from codestral_lsp.postprocess.heredocs import recent_code
from codestral_lsp.postprocess.lines import (
    SHELLS,
    STYLE_SHEETS,
    goes_on,
    is_closer,
    recent_lines,
    uses_allman,
)

# Files in which a fence is text the user may well want.
FENCED_LANGUAGES = frozenset({
    "", "markdown", "mdx", "quarto", "rmd", "plaintext", "text", "restructuredtext", "rst",
    "asciidoc", "org",
})  # fmt: skip
# Markdown's own kinds, where a fence is the user's text unless Markdown cannot have one there
# (:func:`_markdown_wrapper`).
_MARKDOWN = frozenset({"markdown", "mdx", "quarto", "rmd"})
# TeX sources, where a fence is text only inside an environment that keeps text as it is.
_TEX = frozenset({"latex"})
# A TeX command's name (``\\newcommand``), which starts a line after one whose groups closed.
_CONTROL_WORD = re.compile(r"\\[A-Za-z@]+")
_FIRST_NAME = re.compile(r"[A-Za-z_]\w*\b")
# The end of a TeX line's last token: a control word, a number or a dimension (``0mu``).
_TEX_TOKEN_END = re.compile(r"\\[A-Za-z@]+\Z|\d(?:[a-z]{2})?\Z")
_TEX_VERBATIM = re.compile(
    r"\\(begin|end)\{(verbatim\*?|Verbatim|lstlisting|minted|markdown|comment|filecontents\*?)\}"
)
# How far up an open string or docstring around the cursor is looked for.
STRING_LINES = 80
# The opening fence on the answer's first line, with an optional language tag.
_OPENING = re.compile(r"[ \t]*\n?[ \t]*(`{3,}|~{3,})[\w#+.-]*[ \t]*\n")
# A comment line's marker with no text after it yet (``/// ``, `` * ``, ``# ``).
_MARKER_ONLY = re.compile(r"[ \t]*(?:/\*+!?|\*+|//[/!]?|#+|--+|;+|%+)?[ \t]*$")
_BACKQUOTE_FENCE_LINE = re.compile(r"^[ \t]*`{3,}.*$", re.MULTILINE)
# A fence line with no language tag: a closing one, or an opening one without a tag.
_LONE_FENCE = re.compile(r"^[ \t]*`{3,}[ \t]*$", re.MULTILINE)
_QUOTED = re.compile(r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'""")
# After a closing quote no name goes on the same line (after ``]``, ``)`` or ``}`` one may:
# Go's ``[]byte``, ``}else{``).
_CLOSING = frozenset("\"'")
_NAME_START = re.compile(r"[^\W\d_]")
# Languages where no name follows a ``)`` or ``]`` on its line (C's and Java's casts do,
# ``(int)x``; Go's ``[]byte`` and shell's ``$(cmd)text`` do): there, a name after a line that
# ends with one and leaves no bracket open starts the next statement (in CMake, the next
# command: ``endif()``, ``set(X)``).
_NO_NAME_AFTER_BRACKET = frozenset({
    "python", "javascript", "javascriptreact", "typescript", "typescriptreact", "ruby",
    "kotlin", "swift", "rust", "lua", "php", "dart", "scala", "cmake",
})  # fmt: skip
# A function definition's head at column 0: a return type and name, then its parameters.
_FUNCTION_HEAD = re.compile(r"([A-Za-z_]\w*)\b[\w:<>,*&\s]*\([^;{}]*\)\s*(?:const\s*)?$")
_CONTROL_WORDS = frozenset({"if", "for", "while", "switch", "do", "else", "return"})
_HEAD_BRACE = re.compile(r"^[A-Za-z_].*\)\s*\{\s*$", re.MULTILINE)
# Languages with C's preprocessor, whose directives (``#define``, ``#endif``) start a line.
_DIRECTIVES = frozenset({"c", "cpp", "cuda", "objective-c", "objective-cpp", "csharp"})
_DIRECTIVE = re.compile(r"#\s*[a-z]+\b")
# A whole directive line, after which nothing more goes on that line: a conditional or an
# include with its argument, or one that takes none (``#define`` goes on with its body).
_WHOLE_DIRECTIVE = re.compile(
    r"#\s*(?:(?:if|ifdef|ifndef|elif|undef|pragma)\s+(?:\S.*)?[\w)](?<!\bdefined)|else|endif"
    r"|(?:include|import)\s*(?:<[^<>]+>|\"[^\"]+\"))"
)
# Objective-C's directives that start a line of their own (not ``@selector(…)``, ``@"…"``).
_OBJC = frozenset({"objective-c", "objective-cpp"})
_OBJC_DIRECTIVE = re.compile(
    r"@(?:interface|implementation|end|protocol|property|class|synthesize|dynamic|optional"
    r"|required|private|public|protected|package|import)\b"
)
_OBJC_CLASS = re.compile(r"@(?:interface|implementation)\b")
_OBJC_CLASS_BRACE = re.compile(r"^@(?:interface|implementation)\b.*\{\s*$", re.MULTILINE)
# Verilog's compiler directives, each on a line of its own (a backtick and ``ifdef``,
# ``endif``, ``define``...; not a macro's use, a backtick and ``WIDTH``), and an attribute
# alone on its line (``(* abc9_box *)``), which decorates the item below it.
_VERILOGS = frozenset({"verilog", "systemverilog"})
_VERILOG_DIRECTIVE = re.compile(
    r"`(?:ifdef|ifndef|elsif|else|endif|define|undef|include|timescale|default_nettype"
    r"|resetall|celldefine|endcelldefine|pragma)\b"
)
_VERILOG_ATTRIBUTE = re.compile(r"\(\*.*\*\)")
# A shell function's head alone on its line (``prereqs()``), and one with its ``{``.
_SHELL_HEAD = re.compile(r"[ \t]*(?:function[ \t]+)?[\w.:-]+[ \t]*\(\)")
_SHELL_HEAD_BRACE = re.compile(r"^[ \t]*(?:function[ \t]+)?[\w.:-]+[ \t]*\(\)[ \t]*\{", re.M)
# OCaml's and F#'s ``match ... with`` or ``function`` ending a line: its cases start lines.
_ML_CASES = frozenset({"ocaml", "fsharp"})
_CASES_OPENER = re.compile(r"\b(?:with|function)\Z")
# Quotes that may open a string over lines, after the code before them and a string prefix.
_STRING_OPENING = re.compile(r"(.*?)[rRbBuUfF]{0,2}(?:\"\"\"|'''|`)")
# What starts a statement after one a ``;`` ended: a name, a deref, a message, a cast, a
# variable (``$x``), a directive (``@end``), an Objective-C method (``- (void)``), or the
# closing tag of the script element around it (``</script>``).
_STATEMENT_START = re.compile(r"[^\W\d]|[@$*\[(]|[-+](?: |\()|</")
# A line that is an attribute or decorator (``#[derive(Debug)]``, ``@app.route("/")``), not
# a Ruby instance variable being assigned (``@io = io``) or called (``@items.``).
_ATTRIBUTE = re.compile(r"#!?\[.*\]|@\w+(?:\.\w+)*(?:\(.*\))?")
# Files of one entry a line (``key = value``, ``[table]``), where a line that leaves no bracket
# open and has its value is complete.
_ENTRY_LINES = frozenset({"toml", "ini", "properties"})
# How a Makefile line starts (a name, Automake's ``?COND?`` and ``%VAR%``, a silent recipe's
# ``@``), not how a value goes on (``/bin``, ``.o``, ``-O2``).
_MAKE_LINE_START = re.compile(r"[A-Za-z_?%@]")
# Two characters of one Makefile name (``n-`` in ``clean`` + ``-libtool``).
_MAKE_NAME = re.compile(r"[\w.%$-]{2}")
# A whole Makefile line: an Automake ``?COND?`` or ``%VAR%``, a directive, or a rule's head or
# an assignment (``.PHONY: all``, ``CFLAGS += -O2``).
_MAKE_WHOLE_LINE = re.compile(
    r"\?!?[\w-]+\?|%[?\w-]+%|(?:endif|else|ifn?eq|ifn?def|-?include|define|endef|export)\b"
    r"|\.?[\w.$()%/-]+[ \t]*(?::|[:+?!]?=)"
)
# What a line starts with: its first word or mark, and the space after it.
_HEAD = re.compile(r"[^\s\w]*\w*\s")
# The word a line ends with and the one code starts with.
_LAST_WORD = re.compile(r"\w+\Z")
# A heading's underline or a rule (rST's marks, Markdown's ``---`` and ``===``; not ``...``,
# an ellipsis, nor ``***`` or ``\"\"\"``, which close what a line opened), and a line ending
# with a word (:data:`_TEXT_END`).
_UNDERLINE = re.compile(r"([-=~^#+_])\1{2,}[ \t]*")
_FIRST_WORD = re.compile(r"\w+")
# Markup and prose, whose words are no keywords (``a special case`` + ``with``).
_PROSE = _MARKDOWN | {"html", "xml", "plaintext", "text", "restructuredtext", "latex"}
# A Markdown line that starts a block: a list item, a heading, a quote.
_MARKDOWN_BLOCK = re.compile(r"(?:[*+-]|\d{1,3}[.)]|#{1,6}|>)[ \t]")
# A sentence's first word; and a line's text ending (a word, its punctuation, a table row).
_SENTENCE = re.compile(r"[A-Z][a-z]")
_TEXT_END = re.compile(r"\w[^\s\w]{0,2}\Z|\|\Z")
_MARKUP = frozenset({"html", "xml"})
# An apostrophe inside a word of text (``you're``), which opens no string.
_APOSTROPHE = re.compile(r"(?<=[^\W\d_])'(?=[^\W\d_])")
# A whole tag: whether it closes, its name, whether it is empty (``<br/>``).
_TAG = re.compile(r"<(/?)([A-Za-z][\w:.-]*)[^<>]*?(/?)>")
# HTML's elements that have no closing tag.
_VOID = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
})  # fmt: skip
# Words after which code goes on on the same line (an operand, a name is due).
_WANTS_MORE = frozenset({
    "return", "import", "from", "in", "not", "and", "or", "if", "elif", "while", "yield",
    "await", "new", "throw", "raise", "case", "of", "is", "as", "def", "class", "fn", "func",
    "function", "let", "const", "var", "typedef", "struct", "enum", "echo", "then", "do",
})  # fmt: skip


def without_fence(text: str, ctx: Context) -> str:
    """The code inside a fence the answer opens with, when the cursor is in a code file's code
    (not in a comment, a docstring, a string that may hold the fence, or a fenced example), or
    in Markdown where a fence cannot be the user's (:func:`_markdown_wrapper`). The
    code's first line loses the cursor line's indentation it repeats, or goes below the cursor
    line's code (:func:`_below`); the closing fence and what follows it go."""
    opening = _OPENING.match(text)
    if opening is None:
        return _without_closing_fence(text, ctx)
    own_line = "\n" in text[: opening.start(1)]
    if ctx.language in FENCED_LANGUAGES:
        if not (ctx.language in _MARKDOWN and _markdown_wrapper(text, opening, own_line, ctx)):
            return text
    elif _in_prose(ctx, own_line) and not _wraps_comment(
        text[opening.end() :], opening.group(1), ctx, own_line
    ):
        return text
    body = _fenced_code(text[opening.end() :], opening.group(1))
    if ctx.language in _MARKDOWN and _fenced_block_open(ctx):
        body = _with_block_closed(text[opening.end() :], body, opening.group(1))
    if not ctx.line_prefix.strip():
        body = body.removeprefix(ctx.line_prefix)
    elif not ctx.line_suffix.strip() and _below(body, ctx):
        body = "\n" + body
    return body


def _without_closing_fence(text: str, ctx: Context) -> str:
    """A code file's answer without the fence line that ends it and what follows, when no
    fence opened it (the model's chat form, its opening fence left out): ``console.log(y);``
    then ```` ``` ````. Not where a fence may be text: in prose and Markdown-like files, in a
    string or comment the answer or the code before it leaves open."""
    found = _LONE_FENCE.search(text)
    if found is None or ctx.language in FENCED_LANGUAGES or _in_prose(ctx, own_line=True):
        return text
    before = text[: found.start()]
    lines = before.rstrip("\n").split("\n")
    if is_comment_line(lines[-1], ctx.language):
        return text
    if scanner(ctx).feed(ctx.line_prefix + before, lenient=True).quote:
        return text
    return before.removesuffix("\n")


def _markdown_wrapper(text: str, opening: re.Match[str], own_line: bool, ctx: Context) -> bool:
    """Whether the fence a Markdown answer opens with is the model's wrapper, where Markdown
    has no fence: right after text on the cursor's line (a fence starts its line), closed by
    a fence less indented than the cursor (a block opened in a list item's text closes
    there, not further out), or with a language tag inside a fenced block still open (a
    closing fence has none)."""
    if not own_line and ctx.line_prefix.strip():
        return True
    if not own_line and _closed_further_out(text[opening.end() :], opening.group(1), ctx):
        return True
    tagged = opening.group().strip() != opening.group(1)
    return tagged and _fenced_block_open(ctx)


def _closed_further_out(body: str, fence: str, ctx: Context) -> bool:
    """Whether the fence closing ``body`` stands left of the cursor, whose line is only
    indentation: the opening fence there is inside a list item, which such a fence ends."""
    closing = _closing_fence(body, fence)
    return closing is not None and len(closing.group(1)) < len(ctx.line_prefix)


def _closing_fence(body: str, fence: str) -> re.Match[str] | None:
    """The line of ``body`` that closes ``fence`` (its indentation is the match's group 1)."""
    return re.search(rf"^([ \t]*){re.escape(fence)}[ \t]*$", body, re.MULTILINE)


def _fenced_block_open(ctx: Context) -> bool:
    """Whether an odd number of fence lines before the cursor leaves a fenced block open. In
    code, backquote fences only: a docstring's examples use them, while a line of tildes there
    is reStructuredText's underline (``requests.compat`` / ``~~~~~~~~~~~~~~~``)."""
    if ctx.language in FENCED_LANGUAGES:
        return in_fenced_block(ctx)
    return len(_BACKQUOTE_FENCE_LINE.findall(ctx.prefix)) % 2 == 1


def _fenced_code(body: str, fence: str) -> str:
    """The code of ``body`` (what follows the opening ``fence``'s line): up to the closing
    fence, or while the stream has not brought it, up to a last line that may be it arriving
    (```` `` ````). The line break before the closing fence is the fence's; until it comes, the
    last break may be it: taken as the code's, it read as a whole line written in front of
    the code after the cursor (``console.`` above ``warn(``)."""
    closing = _closing_fence(body, fence)
    if closing is not None:
        return body[: closing.start()].removesuffix("\n")
    start = body.rfind("\n") + 1
    tail = body[start:].strip(" \t")
    return (body[:start] if tail and fence.startswith(tail) else body).removesuffix("\n")


def _with_block_closed(rest: str, body: str, fence: str) -> str:
    """``body`` with the fence line that closes it when a second one follows right after:
    in a Markdown block the cursor is in, the first closes the user's block (the answer
    finishes it) and the second the model's wrapper (```` ``` ```` + ``x = 1`` + ```` ``` ````
    + ```` ``` ````)."""
    closing = _closing_fence(rest, fence)
    if closing is None:
        return body
    after = rest[closing.end() :]
    wrapper = _closing_fence(after, fence)
    if wrapper is None or after[: wrapper.start()].strip():
        return body
    return rest[: closing.end()]


def _below(body: str, ctx: Context) -> bool:
    """Whether the fenced code goes below the cursor line's code rather than after it on the
    line (the fence took away the line break the model put before it). Below when:

    - it is indented, or starts with a heading's underline or a rule after a word
      (:func:`_underlines`);
    - the line left no bracket open, and the code is a closer line (``return res;`` then
      ``}``), a ``{`` alone where the file puts braces below their heads, or follows a
      finished line (:func:`_finished`) or a whole TOML or INI entry (:func:`_entry_done`);
    - it is a C preprocessor directive (``#define``), an Objective-C one (``@end``) or a
      Verilog one (a backtick and ``ifdef``), which must start a line, or follows a whole
      directive (:func:`_after_directive`);
    - in OCaml and F#, it starts with a case's ``|`` after a line ending with ``with`` or
      ``function``;
    - it starts with a name right after a closing quote (``license = "MIT"`` then
      ``repository = ...``), or with a word that run into the line's last one makes a word
      the document never uses (:func:`_new_word`);
    - in HTML or XML, the line ends with a tag and closes every element it opens
      (:func:`_tags_closed`), or it starts with an element right after a word
      (:func:`_element_after_word`).

    In a Lisp, whose closers end the last line and whose ``'`` quotes the name after it, only
    a form after a line of whole forms (``(require 'cl-lib)`` then ``(require 'subr-x)``),
    and in a docstring prose's next line (:func:`_new_word`'s prose mode).
    In Markdown a fence line, which starts its line, and after text a block's start
    (:func:`_starts_block`)."""
    if body[:1] in (" ", "\t") or _underlines(ctx.line_prefix, body):
        return True
    if ctx.language in _MARKDOWN and (
        _LONE_FENCE.match(body) or _starts_block(ctx.line_prefix, body)
    ):
        return True
    line = ctx.line_prefix
    first = body.split("\n", 1)[0]
    if is_comment_line(line, ctx.language) and is_comment_line(first, ctx.language):
        return True  # a comment's line goes below another's: run together they make none
    read = _APOSTROPHE.sub("", line) if ctx.language in _MARKUP else line
    scan = scanner(ctx).feed(read, lenient=True)
    if ctx.language in LISPS:
        if _in_string(ctx):  # a docstring's prose: its line and the next are words
            return _new_word(line, body, ctx, prose=True)
        forms = line.lstrip().startswith("(") and not (scan.stack or scan.quote)
        return forms and body.startswith("(")
    if scan.quote and ctx.language not in _MARKDOWN:
        return False  # the quote before the cursor opens a string (in prose: an apostrophe)
    if not scan.stack and (
        is_closer(first)
        or _entry_done(line, body, ctx)
        or _finished(line, body, ctx)
        or _sibling(line, first)
        or (first.strip() == "{" and (uses_allman(ctx) or _function_head(line, ctx)))
        or closes_bracket_ending_its_line(first, ctx)
    ):
        return True  # it closes a block, not a bracket the line left open; or goes on below
    if ctx.language in _DIRECTIVES and (_DIRECTIVE.match(first) or _after_directive(line, body)):
        return True
    if ctx.language in _OBJC and _OBJC_DIRECTIVE.match(first):
        return True
    if ctx.language in _VERILOGS and _VERILOG_DIRECTIVE.match(first):
        return True
    if ctx.language in _ML_CASES and _CASES_OPENER.search(line) and body.startswith("|"):
        return True  # ``match r with`` then ``| Ok v -> ...``
    if ctx.language in _MARKUP and (_tags_closed(line) or _element_after_word(line, first)):
        return True
    return (line[-1:] in _CLOSING and bool(_NAME_START.match(body))) or _new_word(line, body, ctx)


def _underlines(line: str, body: str) -> bool:
    """Whether ``body`` starts with a line of one punctuation mark repeated (``-----``,
    ``=====``, ``^^^^``) after a line ending with a word: a heading's underline or a rule,
    which is a line of its own (a comment's ruler after its marker alone stays on the
    line)."""
    first = body.split("\n", 1)[0]
    return _UNDERLINE.fullmatch(first) is not None and _TEXT_END.search(line) is not None


def _starts_block(line: str, body: str) -> bool:
    """Whether Markdown's ``body`` starts a line of its own after ``line``'s text: a heading,
    quote or list item (``foo`` + ``# Bar`` would be neither), a table row after a whole
    row, or a sentence after one that ended."""
    if not _TEXT_END.search(line):
        return False  # a line of markers (``##``, ``<!-``) or one the answer goes on after
    if _MARKDOWN_BLOCK.match(body):
        return True
    if _SENTENCE.match(body):
        return line[-1:] in ".!?:"
    row = line.lstrip().startswith("|") and line.endswith("|")
    return row and body.startswith("|")


def _tags_closed(line: str) -> bool:
    """Whether a line of markup ends with a whole tag and closes every element it opens
    (``<li><a href="x">X</a></li>``, ``text<br>``, ``</p>``; not ``</dd><dt>``)."""
    tags = list(_TAG.finditer(line))
    if not tags or tags[-1].end() != len(line):
        return False
    opened: list[str] = []
    for tag in tags:
        closing, name, empty = tag.groups()
        if closing and name in opened:
            del opened[len(opened) - 1 - opened[::-1].index(name) :]
        elif not (closing or empty or name.lower() in _VOID):
            opened.append(name)
    return not opened


def _element_after_word(line: str, first: str) -> bool:
    """Whether markup's code starts with an element's opening tag (not a void one, such as
    ``<br>``) and the line ends with a word: glued to it, the element's text would run into
    that word (``to the`` + ``<code>ffi_type</code>``)."""
    opening = _TAG.match(first)
    if opening is None or opening.group(1) or opening.group(2).lower() in _VOID:
        return False
    return _LAST_WORD.search(line) is not None


def _finished(line: str, body: str, ctx: Context) -> bool:
    """Whether the line (whose brackets all closed) is finished and code goes on below it: a
    statement ended by ``;`` (not in shell, where ``; then`` and ``; do`` go on) before code
    that starts a statement (``$b = 2;``, ``- (void) run;``); or, before a name: where no name
    follows one, a ``)`` or ``]`` (``require('./a')``), or an attribute or decorator
    (``#[derive(Debug)]``, ``@Component``) not followed by a space, which leaves room for
    what it decorates (``@Override public``, Objective-C's ``@class Name;``), or before
    another attribute. In a style sheet, any code goes below a declaration's ``;`` or a
    rule's ``}``. After a line ending with no space, a word the file writes only at its
    lines' starts (:func:`_line_word`). In TeX, a command after a line ending with a group
    or an optional argument, or after one ending with a control word or a number, a command
    the file only writes at its lines' starts (:func:`_tex_line_command`)."""
    code = line.strip()
    if ctx.language in STYLE_SHEETS:
        return code.endswith((";", "}"))
    if ctx.language in _TEX:
        if _CONTROL_WORD.match(body) is None:
            return False
        return code.endswith(("}", "]")) or (
            _TEX_TOKEN_END.search(code) is not None and _tex_line_command(body, ctx)
        )
    if ctx.language == "sql" and code.endswith(")"):
        return _starts_lines(body, ctx)
    if code.endswith(";") and ctx.language not in SHELLS and _STATEMENT_START.match(body):
        return True
    # Right after the bracket: a space after it leaves room for an operator word
    # (``Options['key'] extends true``, ``foo() if ready``).
    ended = line.endswith((")", "]")) and ctx.language in _NO_NAME_AFTER_BRACKET
    verilog = ctx.language in _VERILOGS and _VERILOG_ATTRIBUTE.fullmatch(code) is not None
    attribute = line == line.rstrip() and (_ATTRIBUTE.fullmatch(code) is not None or verilog)
    if attribute and _ATTRIBUTE.match(body):
        return True  # a stack of them, one a line (``@Documented`` then ``@Retention(...)``)
    if line[-1:].strip() and _line_word(body, ctx):
        return True
    return bool(_NAME_START.match(body)) and (ended or attribute)


def _tex_line_command(body: str, ctx: Context) -> bool:
    """Whether the code's first control word starts lines of the prompt and stands nowhere
    else in it: a command the file writes a line for (``\\newif``, ``\\mathchardef``), not
    one that also goes on a line's code (``\\relax``)."""
    word = _CONTROL_WORD.match(body)
    return word is not None and _only_at_line_starts(word.group(), ctx, 1)


def _line_word(body: str, ctx: Context) -> bool:
    """Whether the code starts with a word the prompt writes at the start of two or more of
    its lines and nowhere else (OCaml's ``external``, Perl's ``use``, Verilog's ``assign``):
    the word of a line of its own."""
    word = _FIRST_NAME.match(body)
    return word is not None and _only_at_line_starts(word.group(), ctx, 2)


def _only_at_line_starts(word: str, ctx: Context, least: int) -> bool:
    """Whether ``word`` starts at least ``least`` lines of the prompt and stands nowhere else
    in it (a TeX control word may follow another: ``\\expandafter\\newif``)."""
    name = re.escape(word)
    tex = word.startswith("\\")
    start, end = ("", r"(?![A-Za-z@])") if tex else (r"(?<![\w.])", r"\b")
    leading = len(re.findall(rf"^[ \t]*{name}{end}", ctx.prefix, re.M))
    anywhere = len(re.findall(rf"{start}{name}{end}", ctx.prefix))
    return leading >= least and leading == anywhere


def _starts_lines(body: str, ctx: Context) -> bool:
    """Whether the code's first word starts lines of the prompt (SQL's ``RETURNS`` or ``FROM``
    where the file puts each clause on a line of its own)."""
    word = _FIRST_WORD.match(body)
    return word is not None and re.search(rf"^{word.group()}\b", ctx.prefix, re.M) is not None


def _after_directive(line: str, body: str) -> bool:
    """Whether the line is a whole preprocessor directive (``#if defined(__cplusplus)``,
    ``#endif``) and the code, starting a statement, goes below it. A name right after the
    line's last word may finish that word (``#if HAVE_`` + ``DECL``): :func:`_new_word` tells."""
    if _WHOLE_DIRECTIVE.fullmatch(line.strip()) is None or line != line.rstrip():
        return False
    in_word = bool(_LAST_WORD.search(line)) and bool(_FIRST_WORD.match(body))
    return not in_word and bool(_STATEMENT_START.match(body))


def _function_head(line: str, ctx: Context) -> bool:
    """Whether the line is a C or C++ function definition's head at column 0 (``int
    main(void)``), an Objective-C class's (``@interface Task : NSObject``) or a shell
    function's (``prereqs()``), whose ``{`` every C style from K&R's on, and the shell
    scripts that write such a head alone, put on the next line, unless the prompt shows
    such a head with its ``{`` (``int add(int a) {``, ``usage() {``)."""
    if ctx.language in _OBJC and _OBJC_CLASS.match(line):
        return not ctx.shows(_OBJC_CLASS_BRACE)
    if ctx.language in SHELLS:
        return _SHELL_HEAD.fullmatch(line) is not None and not ctx.shows(_SHELL_HEAD_BRACE)
    if ctx.language not in _DIRECTIVES or ctx.language == "csharp":
        return False
    found = _FUNCTION_HEAD.match(line)
    if found is None or found.group(1) in _CONTROL_WORDS:
        return False
    return not ctx.shows(_HEAD_BRACE)


def _sibling(line: str, first: str) -> bool:
    """Whether the code's first line starts as the cursor's line does (``| None -> 0`` after
    ``| Some v -> v``, ``#define B 2`` after ``#define A 1``, ``let b =`` after ``let a =``):
    the next line of a run of alike lines. On one line, a second head right after a whole one
    is no code."""
    head = _HEAD.match(line.lstrip())
    return head is not None and first.startswith(head.group()) and not goes_on(line.rstrip())


def _entry_done(line: str, body: str, ctx: Context) -> bool:
    """In a file of one entry a line (TOML, INI), whether the line (whose brackets all closed)
    is a whole entry: a table, or a key with its value. In a Makefile, whether the line ends
    with a whole variable reference (``$(INSTALL_DATA)``) and the code starts as a line does
    (a name, an Automake ``?COND?`` or ``%VAR%``, a recipe's ``@``), or the code is a whole
    line (:data:`_MAKE_WHOLE_LINE`: ``?HOST?host = @host@`` then ``?TARGET?target = ...``),
    since a Makefile's line ends at its line break unless a backslash continues it."""
    code = line.strip()
    if ctx.language == "makefile":
        if line.endswith(")") and _MAKE_LINE_START.match(body) is not None:
            return True
        # Not after a space (the code may go on on the line) or a backslash (the line goes
        # on below), nor where the code may finish the line's last name (``clean`` +
        # ``-libtool:``).
        if line[-1:].isspace() or line.endswith("\\") or _MAKE_NAME.match(line[-1:] + body):
            return False
        return _MAKE_WHOLE_LINE.match(body) is not None
    if ctx.language not in _ENTRY_LINES:
        return False
    return code.startswith("[") or ("=" in code and not code.endswith("="))


def _in_string(ctx: Context) -> bool:
    """Whether the cursor is inside a string, read from the prompt's recent lines as they
    are: unlike :func:`_in_prose`, whose read drops comment and fence lines, a Lisp's
    docstring may hold lines that look like them (`` * item``, ``// path``), and the Lisp
    scanner reads ``;`` comments itself (dropping them lost an Emacs Lisp case)."""
    code = recent_code(ctx.prefix, STRING_LINES, ctx)
    return bool(scanner(ctx).feed(code, lenient=True).quote)


def _new_word(line: str, body: str, ctx: Context, prose: bool = False) -> bool:
    """Whether the word the line ends with and the one the code starts with, run together,
    make a word found nowhere in the prompt (``sighup`` + ``exit``: the model's next line;
    ``proce`` + ``ss``, which makes ``process``, finishes the line's word), and the line's
    word is no keyword that an operand follows (``return`` + ``x``). In ``prose`` (a
    docstring) each must be a word the prompt writes (``in``, ``the``), so that neither is a
    word split in two (``it`` + ``s``); keywords are words there."""
    last, head = _LAST_WORD.search(line), _FIRST_WORD.match(body)
    if last is None or head is None:
        return False
    if prose:
        before = ctx.above_line
        if not all(re.search(rf"\b{re.escape(w.group())}\b", before) for w in (last, head)):
            return False
    elif ctx.language not in _PROSE and last.group() in _WANTS_MORE:
        return False
    word = re.compile(rf"\b{re.escape(last.group() + head.group())}\b")
    return not ctx.shows(word)


def _in_prose(ctx: Context, own_line: bool) -> bool:
    """Whether the cursor is where a fence may be the user's text: in a comment line with no
    text before the cursor or the fence on a line of its own (a doc comment's example), after
    an odd number of fence lines (an example still open), or in a docstring or a string that
    may hold lines (Markdown held in code) where the fence would start its line."""
    if _in_comment(ctx, own_line) or _fenced_block_open(ctx):
        return True
    if ctx.language in _TEX:
        return _in_verbatim(ctx.prefix)
    if not own_line and ctx.line_prefix.strip() and not _text_starts_here(ctx):
        # A fence starts its line: after text on the cursor's line (``console.error(`|``,
        # a docstring's ``\"\"\"|``) it is the model's wrapper, not the Markdown a string holds.
        return False
    recent = recent_lines(ctx.prefix, STRING_LINES)
    if _open_backquote(recent, ctx.language):
        return True
    # A fence in a doc comment (Rust's ``///`` examples, a JSDoc block's lines with no star)
    # opens no triple-quoted string.
    code = without_comment_lines(
        FENCE_LINE.sub("", recent_code(ctx.prefix, STRING_LINES, ctx)), ctx.language
    )
    quote = scanner(ctx).feed(code, lenient=True).quote
    return len(quote) > 1 or (bool(quote) and own_line and ctx.language in LONG_ONE_QUOTE)


def _in_comment(ctx: Context, own_line: bool) -> bool:
    """Whether the fence may open the example of the comment the cursor is in: the fence on a
    line of its own, or no text before the cursor (after its text, a fence cannot start)."""
    if not is_comment_line(ctx.line_prefix, ctx.language):
        return False
    return own_line or _MARKER_ONLY.match(ctx.line_prefix) is not None


def _wraps_comment(body: str, fence: str, ctx: Context, own_line: bool) -> bool:
    """Whether a fence that may open a comment's example (:func:`_in_comment`) is closed on a
    bare line after lines that are each a comment's (`` * The contents``, ``# Side
    effects:``): the example's own closing fence would carry the comment's marker too; this
    one wraps what the model wrote."""
    if not _comment_example(ctx, own_line):
        return False
    closing = _closing_fence(body, fence)
    if closing is None:
        return False
    kinds = _line_kinds(body[: closing.start()], ctx)
    return kinds == {True} or (_line_comment(ctx) and kinds == {False})


def _line_comment(ctx: Context) -> bool:
    """Whether the cursor's line is a line comment's (``//``, ``#``, ``;``...), which a line
    without its marker leaves; not a block comment's (`` * ``, ``/*``), whose lines may go
    without one (a JSDoc example)."""
    code = ctx.line_prefix.lstrip()
    return not code.startswith(("/*", "*")) and is_comment_line(ctx.line_prefix, ctx.language)


def awaits_closing_fence(text: str, ctx: Context) -> bool:
    """Whether the answer opens with a fence that may be the comment's example and has
    written only the comment's lines so far, or after a line comment's marker none yet or
    only lines without it: its closing fence decides (:func:`_wraps_comment`), so the
    stream goes on to it."""
    opening = _OPENING.match(text)
    if opening is None or ctx.language in FENCED_LANGUAGES:
        return False
    if not _comment_example(ctx, "\n" in text[: opening.start(1)]):
        return False
    body = text[opening.end() :]
    if _closing_fence(body, opening.group(1)) is not None:
        return False
    kinds = _line_kinds(body[: body.rfind("\n") + 1], ctx)
    return kinds == {True} or (_line_comment(ctx) and kinds <= {False})


def _comment_example(ctx: Context, own_line: bool) -> bool:
    """Whether the fence may open the example of the comment the cursor is in, not inside
    an example already open."""
    return _in_comment(ctx, own_line) and not _fenced_block_open(ctx)


def _line_kinds(text: str, ctx: Context) -> set[bool]:
    """Whether each of ``text``'s lines but blank ones is a comment line: ``{True}`` when all
    are (the comment's own lines), ``{False}`` when none is (after a line comment's marker,
    the comment's text the model wrapped, ``// `` + ``write logic``; an example's lines
    would carry the marker), empty when it has none."""
    return {is_comment_line(line, ctx.language) for line in text.split("\n") if line.strip()}


def _text_starts_here(ctx: Context) -> bool:
    """Whether the cursor follows a string's opening quotes after code (``md = \"\"\"``, a
    template literal's backquote) with nothing after it on the line: the string's text starts
    here, and Markdown may start with a fence. Not a docstring's quotes, alone on their line."""
    found = _STRING_OPENING.fullmatch(ctx.line_prefix)
    return found is not None and bool(found.group(1).strip()) and not ctx.line_suffix.strip()


def _in_verbatim(prefix: str) -> bool:
    """Whether the TeX before the cursor leaves a verbatim-like environment open (its last
    ``\\begin`` or ``\\end`` of one is a ``\\begin``)."""
    ends = [found.group(1) for found in _TEX_VERBATIM.finditer(prefix)]
    return bool(ends) and ends[-1] == "begin"


def _open_backquote(recent: str, language: str) -> bool:
    """Whether a template literal or Go raw string is open at the cursor: the scan ends every
    one-quote string at its line's end, but these run on, so an odd number of backquotes in the
    code above (not in fence lines, comment lines or other strings: ``"`"``, `` `code` `` in a
    doc comment) is one still open. Only where backquotes quote strings over lines."""
    if language not in BACKQUOTE_STRINGS:
        return False
    code = _QUOTED.sub("", without_comment_lines(FENCE_LINE.sub("", recent), language))
    return code.count("`") % 2 == 1
