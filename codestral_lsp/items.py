"""Suggestion text to LSP items, with ranges in the client's position units."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lsprotocol import types

from codestral_lsp.candidates import distinct
from codestral_lsp.context import Context, Selection
from codestral_lsp.postprocess import replace_length

_BACKQUOTES = re.compile(r"`+")

ToPosition = Callable[[int], types.Position]


@dataclass(frozen=True, slots=True)
class ItemCaps:
    """What the client declared it can render in completion items."""

    snippets: bool = False
    markdown: bool = False
    # Honours insertTextMode asIs; when not, snippet engines (Neovim's) re-indent lines.
    as_is: bool = False
    # Applies the part of an edit's range after the cursor. Neovim's menu inserts the text at
    # the cursor and leaves the rest of the line as it was.
    range_end: bool = True
    # Inline items replace the whole cursor line (Neovim: see :func:`_whole_line`).
    whole_line: bool = False

    @classmethod
    def of(cls, caps: types.ClientCapabilities, client: types.ClientInfo | None = None) -> ItemCaps:
        """Read the item capabilities of a client (and the quirks of the two it names)."""
        name = client.name.lower() if client else ""
        neovim = name == "neovim"
        completion = caps.text_document and caps.text_document.completion
        item = completion and completion.completion_item
        if not item:
            return cls(range_end=not neovim, whole_line=neovim)
        formats = item.documentation_format or []
        modes = item.insert_text_mode_support.value_set if item.insert_text_mode_support else []
        # Helix declares no documentation format yet renders a plain string as Markdown: the
        # suggestion's `# comment` lines became headings and `__init__` bold.
        return cls(
            snippets=bool(item.snippet_support),
            markdown=types.MarkupKind.Markdown in formats or name == "helix",
            as_is=types.InsertTextMode.AsIs in modes,
            range_end=not neovim,
            whole_line=neovim,
        )


ACCEPT_COMMAND = "codestral.didAcceptCompletion"


def inline_items(
    text: str,
    ctx: Context,
    to_position: ToPosition,
    command: Callable[[str], types.Command],
    alternatives: Sequence[str] = (),
    selection: Selection | None = None,
    whole_line: bool = False,
) -> types.InlineCompletionList:
    """Ghost-text items at the cursor: the suggestion, then any distinct ``alternatives``, each
    carrying the ``command`` that reports its acceptance (made from the suggestion).
    Each replaces the auto-closed punctuation after the cursor that it types itself (so
    ``print(|)`` + ``x)`` does not end as ``print(x))``); one that would only re-type that
    punctuation is no item.

    With a ``selection`` (the completion widget's item; ``ctx`` is then the context with it
    accepted), each item starts with the item's text and replaces its range too, as LSP
    requires for the ghost text to show beside the widget. With ``whole_line`` each item
    replaces the cursor's whole line with the line it makes (see :func:`_whole_line`)."""
    found = []
    for candidate in distinct(text, alternatives):
        replaced = replace_length(candidate, ctx)
        if _changes_nothing(candidate, ctx, replaced):
            continue
        if whole_line and selection is None:
            insert, start, end = _whole_line(candidate, ctx, replaced)
        else:
            lead = selection.text if selection else ""
            # Offsets in the document as it is: the selection's range starts where ``lead`` does.
            start = ctx.offset - len(lead)
            spanned = selection.before + selection.after if selection else 0
            insert, end = lead + candidate, start + spanned + replaced
        found.append(
            types.InlineCompletionItem(
                insert_text=insert,
                range=types.Range(start=to_position(start), end=to_position(end)),
                command=command(candidate),
            )
        )
    return types.InlineCompletionList(items=found)


def _changes_nothing(text: str, ctx: Context, replaced: int) -> bool:
    """Whether ``text`` only re-types the auto-closed tail it replaces (``new List<|>();`` +
    ``>();``): an item for it would leave the line as it is."""
    return replaced == len(text) and ctx.line_suffix.startswith(text)


def _whole_line(candidate: str, ctx: Context, replaced: int) -> tuple[str, int, int]:
    """The item as the cursor's whole line made new: its text before the cursor, the
    suggestion, the rest of the line it does not replace; from the line's start to its end.
    Neovim draws a suggestion from its range's start without checking that the line is still
    that long (a Backspace right after a suggestion showed raised a Lua error at every key),
    and accepts it at that range however the line changed since: a range on the whole line
    keeps the first valid and lets a client re-apply the second to the line as it is now."""
    start = ctx.offset - len(ctx.line_prefix)
    end = ctx.offset + len(ctx.line_suffix)
    return ctx.line_prefix + candidate + ctx.line_suffix[replaced:], start, end


def completion_list(
    text: str,
    ctx: Context,
    to_position: ToPosition,
    caps: ItemCaps,
    command: Callable[[str], types.Command],
) -> types.CompletionList:
    """A completion item whose edit starts at the start of the word being typed, carrying the
    ``command`` that reports its acceptance (made from the text it inserts).

    Editors filter items by the text between the edit's start and the cursor; starting the
    edit at the word start and beginning ``newText``/``label`` with that word keeps the item
    visible and avoids ``retreturn``-style doubling in Neovim and Emacs. The edit ends after
    the auto-closed punctuation the suggestion types itself, as in :func:`inline_items`; for a
    client that ignores that part of the range, the suggestion leaves it out instead
    (:func:`without_tail`).
    For snippet engines that re-indent, the suggestion ends before a line they cannot place
    (:func:`reindentable`).
    """
    if caps.snippets and not caps.as_is:
        text = reindentable(text, ctx.line_prefix)
    replaced = replace_length(text, ctx)
    if not text or _changes_nothing(text, ctx, replaced):
        return types.CompletionList(is_incomplete=True, items=[])
    if replaced and not caps.range_end:
        text, replaced = without_tail(text, ctx.line_suffix[:replaced]), 0
        if not text.strip():
            return types.CompletionList(is_incomplete=True, items=[])
    word = ctx.word_before
    new_text = word + text
    edit_range = types.Range(
        start=to_position(ctx.offset - len(word)),
        end=to_position(ctx.offset + replaced),
    )
    item = types.CompletionItem(
        label=label(word, text),
        kind=types.CompletionItemKind.Text,
        label_details=types.CompletionItemLabelDetails(description="Codestral"),
        detail="Codestral",
        documentation=(
            types.MarkupContent(kind=types.MarkupKind.Markdown, value=fenced(new_text, ctx))
            if caps.markdown
            else new_text
        ),
        filter_text=new_text,
        sort_text="0",
        preselect=True,
        text_edit=types.TextEdit(range=edit_range, new_text=edit_text(new_text, ctx, caps)),
        insert_text_format=(
            types.InsertTextFormat.Snippet if caps.snippets else types.InsertTextFormat.PlainText
        ),
        insert_text_mode=types.InsertTextMode.AsIs,
        command=command(new_text),
    )
    return types.CompletionList(is_incomplete=True, items=[item])


def fenced(text: str, ctx: Context) -> str:
    """``text`` as a Markdown code block in the cursor's language, its fence longer than any
    run of backquotes in it (a Markdown answer's own ```` ``` ```` would end a shorter one)."""
    fence = "`" * max(3, 1 + max((len(run) for run in _BACKQUOTES.findall(text)), default=0))
    return f"{fence}{ctx.language}\n{text}\n{fence}"


def without_tail(text: str, tail: str) -> str:
    """``text`` to insert in front of the auto-closed ``tail`` it types itself, for clients that
    cannot replace it: the same line when ``text`` ends with it, else the part before ``text``
    starts typing it (``%d items\n", n);`` before ``");`` gives ``%d items\n``, which still
    reads right)."""
    if text.endswith(tail):
        return text[: len(text) - len(tail)]
    # A space the tail starts with (``{ | }``) is typed by any suggestion with a word break.
    mark = tail.lstrip()[:1]
    cut = text.find(mark) if mark else -1
    if cut < 0:
        return text
    return text[:cut].rstrip(" \t") if tail[0] in " \t" else text[:cut]


def label(word: str, text: str) -> str:
    """What the menu shows: the word and the suggestion's first line, or its first line of code
    when the suggestion starts on a new line (``getcwd ⏎ print(value)``: a bare ``getcwd``
    would look like any identifier completion and hide the new line), at most 80 characters."""
    first, _, rest = text.partition("\n")
    shown = (word + first).strip()
    if not first.strip() and rest.strip():
        code = rest.strip().split("\n", 1)[0].strip()
        shown = f"{shown} ⏎ {code}" if shown else code
    return shown if len(shown) <= 80 else shown[:79] + "…"


def reindentable(text: str, line_prefix: str) -> str:
    """``text`` before its first line indented less than the cursor's line. Snippet engines
    that indent each continuation line by the cursor line's indentation (Helix's, Neovim's)
    cannot place such a line (the statement after a ``raise``, an ``else:`` two levels up):
    it would land that much deeper than suggested."""
    indent = _indentation(line_prefix)
    lines = text.split("\n")
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() and not line.startswith(indent):
            return "\n".join(lines[:i]).rstrip()
    return text


def edit_text(new_text: str, ctx: Context, caps: ItemCaps) -> str:
    """The ``textEdit.newText``: plain, or an escaped snippet re-indented for the client.

    Snippet engines of clients that do not honour ``insertTextMode: asIs`` (Neovim's) indent
    every continuation line by the cursor line's indentation, so that indentation comes off.
    """
    if not caps.snippets:
        return new_text
    if not caps.as_is:
        new_text = dedent_continuations(new_text, ctx.line_prefix)
    return escape_snippet(new_text)


def dedent_continuations(text: str, line_prefix: str) -> str:
    """Lines after the first made relative to the cursor line's indentation (``text`` is
    :func:`reindentable`: they all start with it, or are blank)."""
    indent = _indentation(line_prefix)
    first, *rest = text.split("\n")
    return "\n".join([first, *(line.removeprefix(indent) for line in rest)])


def _indentation(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def escape_snippet(text: str) -> str:
    """Escape the characters snippet syntax gives meaning to, then end with the cursor."""
    return text.replace("\\", "\\\\").replace("$", "\\$").replace("}", "\\}") + "$0"
