"""Pure text rules that turn raw model output into a suggestion worth showing.

Every function takes plain strings (or a :class:`~codestral_lsp.context.Context`) and returns a
plain value; nothing here does I/O, so each rule is tested on golden cases (``tests/golden``).

The pipeline, in order (:func:`clean`):

1. line endings to ``\\n``; a control token the model leaked and what follows it
   (``markers``); a Markdown fence around the answer (``fences``); a copy of the
   cursor line's code the answer starts with (``repeats``); Codestral's stray leading newline
   and leading space (``spacing``);
2. single-line mode keeps the first line, unless it loops (``repeats``); multi-line mode cuts
   at the first line that ends the answer: a blank line, a new top-level definition, the end
   of the cursor's scope by indentation or of a Lisp's top-level form (``scope``), a line
   defining another name in Haskell or Prolog (``equations``), the next statement after the
   one the cursor's line left open (``scope``), the next item right under one the answer
   closed in C and its kin (``items``), the start of a re-typing of
   the code below the cursor (``overlap``), or a repeated line or block (``repeats``);
3. lines indented with spaces in a file indented with tabs get tabs (``spacing``); within the
   line, the re-typed rest of the line is removed (``overlap``);
4. trailing whitespace is trimmed and too-small output dropped (``spacing``).

Auto-closed punctuation after the cursor is not cut but replaced through the item's range:
:func:`replace_length` (``brackets``). The cuts of step 2 also run on the stream
(:func:`should_stop`), so the upstream generation stops as soon as the answer is decided.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import replace

from codestral_lsp.context import Context, with_answer_tabs
from codestral_lsp.languages import LONG_ONE_QUOTE
from codestral_lsp.postprocess import (
    brackets,
    embedded,
    equations,
    fences,
    items,
    markers,
    overlap,
    preprocessor,
    repeats,
    scope,
    spacing,
)
from codestral_lsp.postprocess.brackets import (
    OPENERS,
    at_cursor,
    lisp_layout_head,
    read_above,
    scanner,
    without_stray_closers,
    without_unopened_closers,
)
from codestral_lsp.postprocess.lines import (
    code_lines_above,
    goes_on,
    unix_breaks,
    without_push_down,
    without_torn_line,
)

__all__ = [
    "breaks_line",
    "clean",
    "first_line_done",
    "front_undecided",
    "in_front_of_code",
    "replace_length",
    "should_stop",
    "wants_multiline",
    "without_push_down",
    "without_torn_line",
]

_WORD = re.compile(r"\w")
_STATEMENT_END = re.compile(r"[\w;)\]}]$")
_CLOSERS = ")]}"


def wants_multiline(ctx: Context, mode: str) -> bool:
    """Line policy: ``always``/``never`` win. ``auto`` is single-line when word characters
    follow the cursor on its line (the user is editing inside a line); multi-line at an empty
    line, after a block opener (``:``, ``{``, ``(``, ...) and at the end of a line; single-line
    in the remaining case, mid-line before punctuation only (inside ``print("|")``)."""
    ctx = embedded.code_block(ctx)
    if mode == "always":
        return True
    if mode == "never":
        return False
    if _WORD.search(ctx.line_suffix):
        return False
    return (
        not ctx.line_prefix.strip()
        or scope.opens_block(ctx.line_prefix, ctx.language)
        or (not ctx.line_suffix.strip())
    )


def in_front_of_code(text: str, ctx: Context) -> Context | None:
    """For an answer that starts a new line while code follows the cursor on its line (the user
    writing in front of existing code): the context with that code moved below the cursor, to
    judge the new lines against as a multi-line answer. ``None`` for any other answer, and when
    the line before the cursor plainly goes on (``result = |value``) or is only indentation.
    A bracket opened right before the cursor and closed right after it
    (``useEffect(() => {|}, [id]);``) does not go on: the new lines are its body. Nor is there
    a place for new lines inside a string that ends on the cursor's line."""
    ctx = embedded.code_block(ctx)
    if not text.startswith("\n") or not ctx.line_suffix.strip():
        return None
    head = ctx.line_prefix.rstrip()
    if not head or (goes_on(head) and not _pair(ctx)) or _in_one_line_string(ctx):
        return None
    return replace(ctx, line_suffix="", suffix="\n" + ctx.suffix)


def _in_one_line_string(ctx: Context) -> bool:
    """Whether the cursor is inside a string that ends on its line (``input('|')``): a line
    break there would tear it in two."""
    quote = at_cursor(ctx).quote
    spans = scope.spans_lines(quote, ctx.language) or ctx.language in LONG_ONE_QUOTE
    return bool(quote) and not spans


def _pair(ctx: Context) -> bool:
    """Whether the cursor sits between a bracket and its closer (``{|}``, ``(|)``)."""
    closer = OPENERS.get(ctx.line_prefix.rstrip()[-1:], "")
    return bool(closer) and ctx.line_suffix.lstrip().startswith(closer)


# At most this many lines are written in front of the code on the cursor's line.
MAX_FRONT_LINES = 8


def _at_indentation_before_code(ctx: Context) -> bool:
    return not ctx.line_prefix.strip() and bool(ctx.line_suffix.strip())


def lines_in_front(text: str, ctx: Context) -> str | None:
    """For the cursor at a line's indentation with code after it (``    |return total``), an
    answer of whole lines (``total.sort()\n    ``: what makes prefix + answer + suffix read
    right) is lines written in front of that code: the first group of complete lines that
    balances and does not open a block, then a line break and the line's indentation, so the
    code moves down a line as it was. ``""`` when the answer has no such group (it runs into a
    copy of the code, or past :data:`MAX_FRONT_LINES`); ``None`` while it may still come."""
    rest = ctx.line_suffix.strip()
    lines = text.split("\n")[:-1]  # after the last break: the code's indentation, or a copy
    scan = scanner(ctx)
    for count, line in enumerate(lines[:MAX_FRONT_LINES], start=1):
        if line.strip() == rest or (count > 1 and not line.strip()):
            return ""
        scan.feed(line if count == 1 else "\n" + line)
        opens = scope.opens_block(line, ctx.language)
        if not (scan.stack or scan.quote or scan.extra or opens):
            return "\n".join(lines[:count]) + "\n" + ctx.line_prefix
    return "" if len(lines) >= MAX_FRONT_LINES else None


def _in_front(text: str, ctx: Context) -> str:
    """At the line's indentation before code: a line that leads into that code stays in front
    of it on its line (``const x = `` before ``foo();``, ``render`` before ``();``); a whole
    statement, and an answer of whole lines, are lines written above it
    (:func:`lines_in_front`), not glued to its first word (``total *= 2return total``);
    nothing for a ``return`` above the code's own (:func:`overlap.terminal_twice`)."""
    if overlap.terminal_twice(text.split("\n", 1)[0], ctx.line_suffix):
        return ""
    if _goes_on_into_code(text):
        text = text[:-1]
    if "\n" not in text:
        if not _whole_statement(text, ctx):
            return "" if _looping(text, ctx) else text
        text += "\n"
    return lines_in_front(text, ctx) or ""


def _goes_on_into_code(text: str) -> bool:
    """Whether ``text`` is one line that plainly goes on (``const c = range.``) and a line
    break: the break is the model's habit, the line leads into the code after the cursor."""
    return text.endswith("\n") and text.count("\n") == 1 and goes_on(text[:-1].rstrip())


def _whole_statement(text: str, ctx: Context) -> bool:
    """Whether a one-line ``text`` written at the line's indentation is a statement of its own
    in front of the code there (``total *= 2`` before ``return total``), not the start of that
    code's line: it leaves nothing open, ends as a statement does (a word, ``;`` or a closer;
    not ``let g:`` before ``name``, ``return $`` before ``sum``) where a word starts, and does
    not type that code again (``self.s[2] ^= t`` before ``s[2] ^= t;``)."""
    if not _STATEMENT_END.search(text) or not _WORD.match(ctx.line_suffix):
        return False
    if overlap.within_line(text, ctx) != text:
        return False  # it types that code again: its words go in front of it on its line
    scan = scanner(ctx).feed(text)
    return not (scan.stack or scan.quote or scan.extra)


def _words_in_front(text: str, ctx: Context) -> bool:
    """Whether the answer's first line ends by typing the code after the cursor again, after
    words of its own (``    |data.items;`` + ``return data.items;``): those words go in
    front of that code on its line, not new lines above it."""
    first = text.split("\n", 1)[0].rstrip()
    rest = ctx.line_suffix.strip()
    return len(first) > len(rest) and first.endswith(rest)


def front_undecided(text: str, ctx: Context) -> bool:
    """Whether a single-line answer must be read on: lines in front of the code on the
    cursor's line (:func:`lines_in_front`) whose group is not complete yet."""
    ctx = embedded.code_block(ctx)
    if text.startswith("\n") or "\n" not in text or not _at_indentation_before_code(ctx):
        return False
    return not _words_in_front(text, ctx) and lines_in_front(text, ctx) is None


def first_line_done(text: str) -> bool:
    """True once a single-line suggestion is complete: a newline after some real content."""
    return "\n" in text.lstrip("\n")


def clean(text: str, ctx: Context, multiline: bool, asked: bool = False) -> str:
    """Apply the rules in order; an empty result means "show nothing". A tiny answer (a lone
    ``;``) is noise as ghost text nobody asked for, but what the model said when the user
    ``asked`` (an invoked request)."""
    ctx = with_answer_tabs(embedded.code_block(ctx), text)
    text = _normalize(text, ctx)
    text = _multi_line(text, ctx) if multiline else single_line(text, ctx)
    text = spacing.tab_indentation(text, ctx)
    text = spacing.space_indentation(text, ctx)
    text = overlap.within_line(text, ctx)
    text = spacing.trailing_space(text, ctx)
    text = without_unopened_closers(without_stray_closers(text, ctx), ctx)
    if not text.strip() or (not asked and spacing.too_small(text, ctx)):
        return ""
    if scope.closed_again(text, ctx):
        return ""
    return spacing.closer_below(text, ctx)


def should_stop(text: str, ctx: Context, multiline: bool) -> bool:
    """Whether the stream so far already decides the answer, so upstream can stop.

    Single-line: the first line is complete. Multi-line: a complete line is one that
    :func:`clean` would cut at (the answer ends before it whatever follows).
    """
    ctx = with_answer_tabs(embedded.code_block(ctx), text)
    if markers.leaked(text, ctx):
        return True
    if fences.awaits_closing_fence(text, ctx):
        return False
    if not multiline:
        below = in_front_of_code(text, ctx)
        if below is None:
            # A fence line alone is no first line: the code is what follows it.
            body = _normalize(text, ctx)
            return first_line_done(body) and not front_undecided(body, ctx)
        ctx = below
    body = _normalize(text, ctx)
    ctx = _code_moved_down(body, ctx) or ctx
    complete = body[: body.rfind("\n") + 1]
    if not complete.strip():
        return False
    lines = _full_lines(complete[:-1], ctx)
    return _cut_index(lines, ctx, final=False) is not None


def replace_length(text: str, ctx: Context) -> int:
    """How many characters after the cursor the suggestion replaces
    (:func:`brackets.replace_length`)."""
    return brackets.replace_length(text, with_answer_tabs(embedded.code_block(ctx), text))


def breaks_line(delta: str) -> bool:
    """Whether a streamed ``delta`` may change what :func:`should_stop` says. It judges the
    complete lines, so only a line break can (a CR too: :func:`unix_breaks` makes it one);
    checking on every delta re-read the whole answer each time, and an endpoint streaming
    one character per event made that cost grow with the square of the answer's length."""
    return "\n" in delta or "\r" in delta


def single_line(text: str, ctx: Context) -> str:
    """Keep only the first line, nothing when it ends by looping (``, 0, 0, 0, 0, 0``) or
    starts by typing again the word the cursor is inside (:func:`overlap.retypes_word`).

    At the line's indentation before code, an answer of whole lines is lines written in front
    of that code (:func:`lines_in_front`). A suggestion that starts with a line break after
    code on the cursor's line is one new
    line at the line's end (``multiline: never``). With code after the cursor too, it is new
    lines in front of that code (:func:`in_front_of_code`): they end where the multi-line rules
    end a block, or where a line re-types that code; the answer is dropped when the line before
    the cursor plainly goes on (``result = |value``) or is only indentation.
    """
    if not text.startswith("\n"):
        if overlap.retypes_word(text, ctx):
            return ""
        if _at_indentation_before_code(ctx) and not _words_in_front(text, ctx):
            return _in_front(text, ctx)
        line = text.split("\n", 1)[0]
        return "" if _looping(line, ctx) else line
    rest = ctx.line_suffix.strip()
    if not rest:
        line = text.lstrip("\n").split("\n", 1)[0]
        if not ctx.line_prefix.strip():
            return line  # a blank cursor line: the line goes there
        return "\n" + line if line.strip() else ""  # after code: on the next line
    below = in_front_of_code(text, ctx)
    if below is None:
        return ""
    kept: list[str] = []
    for line in _cut(text, below).split("\n")[1:]:
        if line.rstrip().endswith(rest):
            break
        kept.append(line)
    return "\n" + "\n".join(kept) if kept else ""


def _multi_line(text: str, ctx: Context) -> str:
    """The answer as the multi-line rules cut it. At the line's indentation before code (a
    closing ``}`` at column 0 under ``{``, or any code with ``multiline: always``), an answer
    that does not lead into that code on its line is lines written in front of it, as in
    single-line mode (:func:`_in_front`) but cut as a block above that code (where a line
    copies it, at whatever indentation), then a line break and the line's indentation, so
    the code stays on a line of its own as it was (not ``return 0;}``)."""
    below = _code_moved_down(text, ctx)
    if below is None:
        return _cut(text, ctx)
    if "\n" not in text or _goes_on_into_code(text):
        return _in_front(text, ctx)
    lines = _cut(text, below).rstrip().split("\n")
    rest = ctx.line_suffix.strip()
    kept = "\n".join(itertools.takewhile(lambda line: line.strip() != rest, lines))
    return kept + "\n" + ctx.line_prefix if kept.strip() else ""


def _code_moved_down(text: str, ctx: Context) -> Context | None:
    """At the line's indentation before code, for an answer that does not end by typing that
    code (:func:`_words_in_front`) nor start inside its word: the context with that code a line
    down, where the answer's lines leave it. ``None`` otherwise."""
    if text.startswith("\n") or not _at_indentation_before_code(ctx):
        return None
    if _words_in_front(text, ctx) or overlap.retypes_word(text, ctx):
        return None
    return replace(ctx, line_suffix="", suffix="\n" + ctx.line_prefix + ctx.suffix)


def _looping(line: str, ctx: Context) -> bool:
    """Whether the answer's line ends by looping on a short pattern (a model stuck until its
    token limit), judged as multi-line mode judges an answer's last line."""
    return repeats.looping_end_cut([ctx.line_prefix + line], len(ctx.line_prefix)) is not None


def _normalize(text: str, ctx: Context) -> str:
    text = markers.without_leaked_token(unix_breaks(text), ctx)
    text = fences.without_fence(spacing.without_invisible_start(text), ctx)
    text = markers.without_placeholders(text, ctx)
    text = repeats.without_tail_again(repeats.without_line_start(text, ctx.line_prefix), ctx)
    text = spacing.leading_space(spacing.leading_newline(text, ctx), ctx)
    text = spacing.under_indented_body(text, ctx)
    # Closers the answer starts with decide how the cut rules read the cursor's line (a call
    # over-closed before a line break reads as a statement going on), and so do a Lisp's
    # first line's (a form closed early ends the answer there); the rest is counted after
    # the cuts, as a line that copies one above must still read as a copy.
    if text[:1] in _CLOSERS or _lisp_goes_on(text, ctx):
        return without_unopened_closers(text, ctx, first_only=True)
    return text


def _lisp_goes_on(text: str, ctx: Context) -> bool:
    """Whether a Lisp answer goes on after its first line with another line whose layout
    tells which forms the first closed early: at the first line's column or deeper (a line
    further out may be a run-on past the forms it closed), not that line again (a loop), and
    not after a first line that ends the top-level form, where what follows is a run-on;
    unless the cursor stood right in that form and the line below is indented under it:
    then the line closed the form once too often (``'((t :foreground "Green")))`` over
    ``  "Face for good revisions."`` in a ``defface``). Where the prompt does not reach the
    top-level form's start, the outermost form it shows stands for it
    (:func:`brackets.lisp_layout_head`), but not for that last reading."""
    found = lisp_layout_head(ctx)
    first, *rest = text.split("\n")
    nxt = next((line for line in rest if line.strip()), "")
    if found is None or not nxt or nxt.strip() == first.strip():
        return False
    head, whole = found
    if ctx.indent(nxt) < ctx.indent(ctx.line_prefix + first):
        return False
    # The lines above are read once per cursor (cached), as the Lisp scope rules read them.
    above = read_above(head[: len(head) - len(ctx.line_prefix)], ctx)
    read = above.copy().feed(ctx.line_prefix + first)
    if read.stack:
        return True
    if not whole:
        # Closing past the forms in sight, while the next line is indented as deep as the
        # lines in sight, inside the form out of sight that holds them.
        return read.extra > above.extra and ctx.indent(nxt) >= ctx.indent(head)
    right_in = len(above.copy().feed(ctx.line_prefix).stack) == 1
    return right_in and rest[0] == nxt and ctx.indent(nxt) > 0


def _full_lines(text: str, ctx: Context) -> list[str]:
    """The suggestion's lines, the first one preceded by the cursor line's text."""
    lines = text.split("\n")
    lines[0] = ctx.line_prefix + lines[0]
    return lines


def _cut(text: str, ctx: Context) -> str:
    lines = _full_lines(text, ctx)
    cut = _cut_index(lines, ctx, final=True)
    if cut is not None:
        lines = lines[:cut]
    if not lines:
        return ""
    retyped = _at_blank_line(ctx) and repeats.retyped_above(
        lines, code_lines_above(ctx, len(lines))
    )
    if retyped:
        rest = "\n".join(lines[retyped:])
        return rest[len(ctx.line_prefix) :] if rest.startswith(ctx.line_prefix) else ""
    return "\n".join(lines)[len(ctx.line_prefix) :]


def _at_blank_line(ctx: Context) -> bool:
    return not ctx.line_prefix.strip() and not ctx.line_suffix.strip()


def _first_retyped(lines: list[str], ctx: Context) -> int:
    """The first answer line that may re-type the code below: the first, at a blank line or
    when with the cursor line's code it makes a whole line; else the second (the first only
    ends the user's line)."""
    return int(not (_at_blank_line(ctx) or overlap.completes_line_below(lines, ctx)))


def _cut_index(lines: list[str], ctx: Context, final: bool) -> int | None:
    """The first line the answer must not include, by any multi-line rule. ``final`` says the
    lines are the whole answer, not a stream that may go on. An answer that closes the
    Markdown code block it is written in ends with that fence: the rules judge the lines
    before it, the block's code (as a rule would take the fence for code out of scope)."""
    fence = embedded.closing_fence(lines, ctx)
    if fence is not None:
        inner = _rule_cut(lines[:fence], ctx, final=True)
        return inner if inner is not None and inner < fence else fence + 1
    cut = _rule_cut(lines, ctx, final)
    if cut == len(lines) and not final and embedded.in_markdown_block(ctx):
        return None  # the stream's next line may be that fence
    return cut


def _rule_cut(lines: list[str], ctx: Context, final: bool) -> int | None:
    head = scope.new_definition(lines, ctx)
    owed = preprocessor.owed_endifs(lines, ctx)
    cuts = (
        scope.blank_line_cut(lines, ctx),
        scope.stop_word_cut(lines, ctx, head, final),
        scope.scope_cut(lines, ctx, head, final),
        scope.tag_cut(lines, ctx),
        scope.script_cut(lines, ctx),
        scope.form_end_cut(lines, ctx),
        scope.inner_form_cut(lines, ctx),
        scope.outdented_line_cut(lines, ctx),
        scope.jsx_outdented_cut(lines, ctx),
        scope.tex_outdented_cut(lines, ctx),
        scope.indented_block_cut(lines, ctx),
        scope.doc_block_cut(lines, ctx),
        scope.period_form_cut(lines, ctx),
        scope.indented_after_clause_cut(lines, ctx),
        equations.equation_cut(lines, ctx),
        scope.document_cut(lines, ctx),
        scope.sibling_cut(lines, ctx, final),
        scope.statement_cut(lines, ctx),
        scope.declaration_cut(lines, ctx),
        preprocessor.directive_end_cut(lines, ctx),
        preprocessor.copied_endif_cut(lines, ctx, final),
        items.next_item_cut(lines, ctx),
        items.objc_type_cut(lines, ctx),
        scope.continued_statement_cut(lines, ctx),
        overlap.suffix_line_cut(lines, ctx, _first_retyped(lines, ctx), final, owed),
        overlap.closer_again_cut(lines, ctx, final),
        overlap.terminal_cut(lines, ctx),
        repeats.repeated_line_cut(lines, final, ctx, owed),
        repeats.repeated_block_cut(lines, final),
        repeats.defined_again_cut(lines, ctx),
        repeats.looping_end_cut(lines, len(ctx.line_prefix)) if final else None,
    )
    found = [cut for cut in cuts if cut is not None]
    return min(found) if found else None
