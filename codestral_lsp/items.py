"""Suggestion text to LSP items, with ranges in the client's position units."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lsprotocol import types

from codestral_lsp.candidates import distinct
from codestral_lsp.context import Context
from codestral_lsp.postprocess import replace_length

ToPosition = Callable[[int], types.Position]


@dataclass(frozen=True, slots=True)
class ItemCaps:
    """What the client declared it can render in completion items."""

    snippets: bool = False
    markdown: bool = False

    @classmethod
    def of(cls, caps: types.ClientCapabilities) -> ItemCaps:
        """Read the completion-item capabilities of a client."""
        completion = caps.text_document and caps.text_document.completion
        item = completion and completion.completion_item
        if not item:
            return cls()
        formats = item.documentation_format or []
        return cls(bool(item.snippet_support), types.MarkupKind.Markdown in formats)


ACCEPT_COMMAND = "codestral.didAcceptCompletion"


def inline_items(
    text: str,
    ctx: Context,
    to_position: ToPosition,
    item_id: str,
    alternatives: Sequence[str] = (),
) -> types.InlineCompletionList:
    """Ghost-text items at the cursor: the suggestion, then any distinct ``alternatives``.
    Each replaces the auto-closed punctuation after the cursor that it types itself (so
    ``print(|)`` + ``x)`` does not end as ``print(x))``)."""
    cursor = to_position(ctx.offset)
    found = [
        types.InlineCompletionItem(
            insert_text=candidate,
            range=types.Range(
                start=cursor, end=to_position(ctx.offset + replace_length(candidate, ctx))
            ),
            command=types.Command(title="accepted", command=ACCEPT_COMMAND, arguments=[item_id]),
        )
        for candidate in distinct(text, alternatives)
    ]
    return types.InlineCompletionList(items=found)


def completion_list(
    text: str, ctx: Context, to_position: ToPosition, caps: ItemCaps, item_id: str
) -> types.CompletionList:
    """A completion item whose edit starts at the start of the word being typed.

    Editors filter items by the text between the edit's start and the cursor; starting the
    edit at the word start and beginning ``newText``/``label`` with that word keeps the item
    visible and avoids ``retreturn``-style doubling in Neovim and Emacs. The edit ends after
    the auto-closed punctuation the suggestion types itself, as in :func:`inline_items`.
    """
    if not text:
        return types.CompletionList(is_incomplete=True, items=[])
    word = ctx.word_before
    new_text = word + text
    first_line = new_text.split("\n", 1)[0]
    label = first_line if len(first_line) <= 80 else first_line[:79] + "…"
    edit_range = types.Range(
        start=to_position(ctx.offset - len(word)),
        end=to_position(ctx.offset + replace_length(text, ctx)),
    )
    item = types.CompletionItem(
        label=label or text.strip().split("\n", 1)[0],
        kind=types.CompletionItemKind.Text,
        label_details=types.CompletionItemLabelDetails(description="Codestral"),
        detail="Codestral",
        documentation=(
            types.MarkupContent(
                kind=types.MarkupKind.Markdown, value=f"```{ctx.language}\n{new_text}\n```"
            )
            if caps.markdown
            else new_text
        ),
        filter_text=new_text,
        sort_text="0",
        preselect=True,
        text_edit=types.TextEdit(
            range=edit_range, new_text=escape_snippet(new_text) if caps.snippets else new_text
        ),
        insert_text_format=(
            types.InsertTextFormat.Snippet if caps.snippets else types.InsertTextFormat.PlainText
        ),
        insert_text_mode=types.InsertTextMode.AsIs,
        command=types.Command(title="accepted", command=ACCEPT_COMMAND, arguments=[item_id]),
    )
    return types.CompletionList(is_incomplete=True, items=[item])


def escape_snippet(text: str) -> str:
    """Escape the characters snippet syntax gives meaning to, then end with the cursor."""
    return text.replace("\\", "\\\\").replace("$", "\\$").replace("}", "\\}") + "$0"
