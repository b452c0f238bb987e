"""What a prompt is built from in the open workspace: the cursor's document (or, in a notebook
cell, its notebook's other cells), the other open files that lend snippets, and the item a
completion widget has selected."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from lsprotocol import types
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument, Workspace

from codestral_lsp import context, notebook
from codestral_lsp.context import Budget
from codestral_lsp.document import LspWorkspace, document_key, offset_at
from codestral_lsp.exclude import is_excluded
from codestral_lsp.recent import RecentEdits

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sources:
    """The workspace as one request sees it: its open documents, the order they were edited
    in, the prompt budget and the user's exclusions."""

    workspace: Workspace
    recent: RecentEdits
    budget: Budget
    excluded: Sequence[str]

    def context_at(self, doc: TextDocument, position: types.Position) -> context.Context:
        """The FIM context at a client position in ``doc``, named by its document key. In a
        notebook cell, the notebook's other cells are the text around it."""
        uri = document_key(doc.uri)
        roots = self.roots()
        budget = self.budget
        place = self._cell_place(uri)
        path, shown, before, after = doc.path, shown_path(doc, roots), "", ""
        if place is not None:
            path, shown = place.path, notebook_shown_path(place, roots)
            cells, index = place.cells, place.index
            before, after = notebook.around(cells, index, budget.prefix_chars, budget.suffix_chars)
        return context.build(
            doc.source,
            offset_at(doc, position),
            uri,
            language=doc.language_id or "",
            path=path,
            version=doc.version,
            budget=budget,
            shown_path=shown,
            others=self.other_files(uri, roots, place.uri if place else None),
            before=before,
            after=after,
        )

    def roots(self) -> list[str]:
        """Filesystem paths of the workspace folders (and the root), for relative paths."""
        roots = [to_fs_path(folder.uri) or "" for folder in self.workspace.folders.values()]
        return [root for root in [*roots, self.workspace.root_path or ""] if root]

    def other_files(
        self, uri: str, roots: list[str], own_notebook: str | None = None
    ) -> list[context.OtherFile]:
        """Other open documents that may lend a snippet, most recently edited first; excluded
        files never. A notebook lends one snippet, of its cells read as a script; the cursor's
        own notebook none (its cells are the prefix and suffix already)."""
        found: list[context.OtherFile] = []
        lent = {own_notebook} if own_notebook else set()  # notebooks that lent a snippet
        workspace = self.workspace
        docs = workspace.text_documents
        for other, offset in self.recent.ordered(list(docs)):
            doc = docs.get(other)
            if doc is None or other == uri:
                continue
            key = workspace.notebook_key(other) if isinstance(workspace, LspWorkspace) else None
            if key is not None and key in lent:
                continue
            file = self._lent_file(doc, other, offset, roots)
            if key is not None:
                # Once per notebook, excluded or not: its other cells would only say the same.
                lent.add(key)
            if file is None:
                continue
            found.append(file)
            if len(found) == context.MAX_OTHER_FILES:
                break
        return found

    def _cell_place(self, uri: str) -> notebook.Place | None:
        workspace = self.workspace
        return workspace.cell_place(uri) if isinstance(workspace, LspWorkspace) else None

    def _lent_file(
        self, doc: TextDocument, uri: str, offset: int | None, roots: list[str]
    ) -> context.OtherFile | None:
        """What the open document at ``uri`` lends other files' prompts (``None`` when it is
        excluded): its text, or for a notebook cell its notebook around it."""
        place = self._cell_place(uri)
        if place is None:
            if is_excluded(doc.path or uri, self.excluded):
                return None
            return context.OtherFile(shown_path(doc, roots), doc.source, offset)
        if is_excluded(place.path or uri, self.excluded):
            return None
        if not place.cell.code:
            # A notebook lends its code read as a script, from its first code cell: a markdown
            # cell (most notebooks open with a title) would lend only markdown.
            code = next((i for i, cell in enumerate(place.cells) if cell.code), None)
            if code is None:
                return None
            place, offset = dataclasses.replace(place, index=code), None
        chars = self.budget.other_chars
        before, after = notebook.around(place.cells, place.index, chars, chars)
        text = before + place.cell.text + after
        at = None if offset is None else len(before) + offset
        return context.OtherFile(notebook_shown_path(place, roots), text, at)


def shown_path(doc: TextDocument, roots: list[str]) -> str:
    """How the prompt's header names ``doc``: its workspace-relative path, or for a buffer that
    is not a file its name with its language's extension."""
    path = context.display_path(doc.path, roots)
    if doc.uri.startswith("file:"):
        return path
    return context.unsaved_name(path, doc.language_id or "")


def notebook_shown_path(place: notebook.Place, roots: list[str]) -> str:
    """How the prompt's header names a cell's notebook: as its script twin, in the cell's
    language (``analysis.ipynb`` is ``analysis.py``)."""
    return notebook.script_name(context.display_path(place.path, roots), place.cell.language)


def widget_selection(
    doc: TextDocument, ctx: context.Context, info: types.SelectedCompletionInfo | None
) -> context.Selection | None:
    """The completion-widget item an inline suggestion must extend, as spans around the cursor
    at ``ctx``; ``None`` when there is none, when its range is not around the cursor on the
    cursor's line (the spec allows neither), or when it is a call: the suggestion is then made
    for the cursor."""
    if info is None:
        return None
    before = ctx.offset - offset_at(doc, info.range.start)
    after = offset_at(doc, info.range.end) - ctx.offset
    if not (0 <= before <= len(ctx.line_prefix) and 0 <= after <= len(ctx.line_suffix)):
        log.debug("ignored a selected completion item whose range is not around the cursor")
        return None
    if "\n" in info.text or "\r" in info.text:
        return None  # an inline item's range must stay on one line
    if ")" in info.text:
        # A function item's snippet collapses to an empty call (``foo()``) in this text; a
        # prompt ending there gets poor completions (Copilot leaves such items out too).
        return None
    return context.Selection(before, after, info.text)
