"""Open documents with LSP's idea of lines, positions clamped the way LSP says, and lenient edits.

pygls' ``TextDocument`` splits lines with ``str.splitlines``, which also breaks at form feed,
vertical tab, ``\\x1c``-``\\x1e``, NEL, U+2028 and U+2029; LSP knows only ``\\n``, ``\\r\\n`` and
``\\r``. Python's own standard library contains form feeds, so with pygls' splitting every
position after one lands on the wrong line. pygls also maps a column past the end of the last
line to the character *before* the last, and a change for a document that was never opened
raises (and pygls turns that into an error popup). This module fixes all three.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.uris import to_fs_path, urlparse
from pygls.workspace import TextDocument, Workspace
from pygls.workspace.position_codec import ServerTextPosition

from codestral_lsp import positions
from codestral_lsp.languages import canonical
from codestral_lsp.notebook import Cell, Place

log = logging.getLogger(__name__)

_EOL = re.compile(r"(\r\n|\r|\n)")
# Unknown URIs are remembered only so each is logged once; the bound keeps that memory flat.
_MAX_REMEMBERED = 256


def split_lines(text: str) -> tuple[str, ...]:
    """``text`` as LSP lines, each with its line ending (``\\n``, ``\\r\\n`` or ``\\r``)."""
    parts = _EOL.split(text)
    lines = [parts[i] + parts[i + 1] for i in range(0, len(parts) - 1, 2)]
    if parts[-1]:
        lines.append(parts[-1])
    return tuple(lines)


class LspDocument(TextDocument):
    """A ``TextDocument`` whose lines, offsets and edits follow the LSP specification."""

    _cached: tuple[str, tuple[str, ...], tuple[int, ...]] | None = None
    # A line start known to hold for the text it names: (text, line, offset). Positions arrive
    # around the cursor, so walking from the last one keeps each conversion O(distance), not
    # O(lines above the cursor).
    _anchor: tuple[str, int, int] | None = None
    # Whether the text it names may hold a ``\r``: carried over incremental edits, so that no
    # keystroke scans the whole document for one. Once true it stays true until the next full
    # text (a removed ``\r`` only costs the line-break walk its ``\r`` checks).
    _cr: tuple[str, bool] | None = None

    def may_hold_cr(self) -> bool:
        """Whether the text may hold a ``\r`` line break (read once per full text)."""
        source, cr = self.source, self._cr
        if cr is None or cr[0] is not source:
            cr = self._cr = (source, "\r" in source)
        return cr[1]

    def anchor(self) -> tuple[int, int]:
        """A line start known to hold for the current text, as ``(line, offset)``."""
        anchor = self._anchor
        return anchor[1:] if anchor is not None and anchor[0] is self.source else (0, 0)

    def _index(self) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """Lines and their start offsets, computed once per version of the text."""
        source = self.source
        cached = self._cached
        if cached is None or cached[0] is not source:
            lines = split_lines(source)
            starts = (0, *itertools.accumulate(len(line) for line in lines))
            cached = self._cached = (source, lines, starts)
        return cached[1], cached[2]

    @property
    def lines(self) -> Sequence[str]:
        return self._index()[0]

    def offset_at_position(self, client_position: types.Position) -> int:
        """Code-point offset of a client position; a line past the end means the end of the
        document, a column past the end of a line means the end of that line (LSP 3.17).
        A scan for line breaks from the last line start found, not a split: this runs for
        every edit of every keystroke."""
        source = self.source
        line = max(0, client_position.line)
        start = positions.line_start(source, line, self.anchor(), self.may_hold_cr())
        if start is not None:
            self._anchor = (source, line, start)
        encoding = self.position_codec.encoding
        return positions.offset_in_line(
            source,
            start,
            client_position.character,
            str(getattr(encoding, "value", encoding) or positions.UTF16),
        )

    def offset_at_server_position(self, server_position: ServerTextPosition) -> int:
        lines, starts = self._index()
        if server_position.line >= len(lines):
            return len(self.source)
        return starts[server_position.line] + server_position.character

    def server_position_at_offset(self, offset: int) -> ServerTextPosition:
        """Line and code-point column of an offset (pygls' version fails on an empty document:
        completing in a new, empty file raised)."""
        lines, starts = self._index()
        offset = max(0, min(offset, starts[-1]))
        line = bisect.bisect_right(starts, offset) - 1
        if line < len(lines):
            return ServerTextPosition(line, offset - starts[line])
        if lines and not lines[-1].endswith(("\n", "\r")):
            return ServerTextPosition(len(lines) - 1, len(lines[-1]))
        return ServerTextPosition(len(lines), 0)

    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        """Replace the (clamped) range; a reversed range is read as its forward twin."""
        start = self.offset_at_position(change.range.start)
        end = self.offset_at_position(change.range.end)
        start, end = min(start, end), max(start, end)
        source, cr = self.source, self.may_hold_cr()
        self._source = "".join((source[:start], change.text, source[end:]))  # one copy fewer
        self._cr = (self._source, cr or "\r" in change.text)
        self._keep_anchor(source, start)

    def _keep_anchor(self, old: str, edit_start: int) -> None:
        """Carry the line-start anchor over an edit that leaves the text before it alone (and
        does not turn a ``\r`` ending just before it into ``\r\n``)."""
        anchor = self._anchor
        if anchor is None or anchor[0] is not old:
            return
        _, line, start = anchor
        new = self.source
        merges = start == edit_start and new[start - 1 : start + 1] == "\r\n"
        self._anchor = (new, line, start) if start <= edit_start and not merges else None


def document_key(uri: str) -> str:
    """The one name of a document, however a message spells its uri: percent-decoded, as pygls
    files open documents (``my%20file.py`` and ``my file.py`` are one document)."""
    return unquote(uri)


def uri_path(uri: str) -> str:
    """The path a uri names, as pygls gives it to a document: the file's for ``file:``, else
    the uri's path part (``untitled:Untitled-1.ipynb`` is ``Untitled-1.ipynb``)."""
    path = to_fs_path(uri)
    return path if path is not None else str(urlparse(uri)[2])


class LspWorkspace(Workspace):
    """A workspace of :class:`LspDocument` that shrugs off changes to unknown documents."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._unknown: set[str] = set()
        # Cells that left their notebook without a close naming them, for the server to forget.
        self.dropped: list[str] = []

    @classmethod
    def replacing(cls, old: Workspace, sync_kind: types.TextDocumentSyncKind) -> LspWorkspace:
        """A fresh workspace with ``old``'s root, folders and position encoding."""
        return cls(old.root_uri, sync_kind, list(old.folders.values()), old.position_encoding)

    def _create_text_document(
        self,
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        return LspDocument(
            doc_uri,
            source=source,
            version=version,
            # The rules know each language by VS Code's id, whatever the editor calls it.
            language_id=canonical(language_id) if language_id else language_id,
            sync_kind=self._sync_kind,
            position_codec=self.position_codec,
        )

    def find(self, uri: str) -> LspDocument | None:
        """The open document at ``uri`` (percent-encoded or not), or ``None``."""
        doc = self.text_documents.get(document_key(uri))
        return doc if isinstance(doc, LspDocument) else None

    def notebook_key(self, uri: str) -> str | None:
        """The one name of the notebook holding the cell at ``uri`` (``None``: no cell)."""
        notebook = self.get_notebook_document(cell_uri=uri)
        return None if notebook is None else document_key(notebook.uri)

    def cell_keys(self, notebook_uri: str) -> list[str]:
        """The one names of an open notebook's cells (none for a notebook never opened)."""
        notebook = self.get_notebook_document(notebook_uri=notebook_uri)
        return [] if notebook is None else [document_key(c.document) for c in notebook.cells]

    def cell_place(self, uri: str) -> Place | None:
        """Where the document at ``uri`` is in its notebook, or ``None`` for a document that is
        no notebook cell. Cells the client did not sync are left out."""
        notebook = self.get_notebook_document(cell_uri=uri)
        if notebook is None:
            return None
        key = document_key(uri)
        cells: list[Cell] = []
        index = None
        for cell in notebook.cells:
            doc = self.find(cell.document)
            if doc is None:
                continue
            if document_key(cell.document) == key:
                index = len(cells)
            code = cell.kind == types.NotebookCellKind.Code
            cells.append(Cell(doc.source, doc.language_id or "", code))
        if index is None:
            return None
        return Place(document_key(notebook.uri), uri_path(notebook.uri), tuple(cells), index)

    def put_notebook_document(self, params: types.DidOpenNotebookDocumentParams) -> None:
        """pygls' open; a notebook opened again lets go of its former cells."""
        before = self._cells_of(params.notebook_document.uri)
        super().put_notebook_document(params)
        self._drop_left(params.notebook_document.uri, before)

    def remove_notebook_document(self, params: types.DidCloseNotebookDocumentParams) -> None:
        """pygls' close, which closes the cells the message names: the notebook's other cells
        go too (they would stay open, lend snippets and hold memory for good)."""
        before = self._cells_of(params.notebook_document.uri)
        super().remove_notebook_document(params)
        self._drop_left(params.notebook_document.uri, before)

    def update_notebook_document(self, params: types.DidChangeNotebookDocumentParams) -> None:
        """pygls' update, but a change to a notebook never opened is ignored (pygls raises);
        cell data is matched however the client spells the cell's uri, and data for a cell
        not in the notebook is logged once, not at every run of a cell; cells the structure
        change removed without closing them are closed."""
        uri = params.notebook_document.uri
        if self.get_notebook_document(notebook_uri=uri) is None:
            self.note_unknown(uri, "notebookDocument/didChange")
            return
        before = self._cells_of(uri)
        self._known_cell_data(params)
        super().update_notebook_document(params)
        self._drop_left(uri, before)

    def _cells_of(self, notebook_uri: str) -> list[str]:
        notebook = self.get_notebook_document(notebook_uri=notebook_uri)
        return [] if notebook is None else [cell.document for cell in notebook.cells]

    def _drop_left(self, notebook_uri: str, before: list[str]) -> None:
        """Close the cells in ``before`` that are no longer in the notebook (or it is gone)."""
        kept = {document_key(uri) for uri in self._cells_of(notebook_uri)}
        for uri in before:
            key = document_key(uri)
            if key not in kept and key in self.text_documents:
                self.remove_text_document(uri)
                self.dropped.append(key)

    def _known_cell_data(self, params: types.DidChangeNotebookDocumentParams) -> None:
        cells = params.change.cells
        if cells is None or not cells.data:
            return
        spelled = {document_key(uri): uri for uri in self._cells_of(params.notebook_document.uri)}
        known = []
        for data in cells.data:
            uri = spelled.get(document_key(data.document))
            if uri is None:
                self.note_unknown(data.document, "notebookDocument/didChange cell data")
                continue
            data.document = uri
            known.append(data)
        cells.data = known

    def update_text_document(
        self,
        text_doc: types.VersionedTextDocumentIdentifier,
        change: types.TextDocumentContentChangeEvent,
    ) -> None:
        if self.find(text_doc.uri) is None:
            self.note_unknown(text_doc.uri, "didChange")
            return
        super().update_text_document(text_doc, change)

    def note_unknown(self, uri: str, what: str) -> None:
        """Log (once per URI, within a bound) that a client named a document it never opened."""
        if uri in self._unknown:
            return
        if len(self._unknown) >= _MAX_REMEMBERED:
            self._unknown.clear()
        self._unknown.add(uri)
        log.info("%s for %s, which was never opened; ignored", what, uri)


def offset_at(doc: TextDocument, position: types.Position) -> int:
    """Code-point offset of a client position, clamped into the document (no whole-document
    split: see :mod:`codestral_lsp.positions`)."""
    if isinstance(doc, LspDocument):
        return doc.offset_at_position(position)
    encoding = _encoding(doc)
    return positions.offset_at(doc.source, position.line, position.character, encoding)


def position_of(doc: TextDocument) -> Callable[[int], types.Position]:
    """Offset -> client position for ``doc`` (the cheap path of :mod:`codestral_lsp.positions`)."""
    encoding = _encoding(doc)

    def convert(offset: int) -> types.Position:
        if isinstance(doc, LspDocument):
            # Counted from the line last converted (the cursor's), not from the top.
            found = positions.position_at(
                doc.source, offset, encoding, doc.anchor(), doc.may_hold_cr()
            )
        else:
            found = positions.position_at(doc.source, offset, encoding)
        return types.Position(line=found[0], character=found[1])

    return convert


def _encoding(doc: TextDocument) -> str:
    encoding = doc.position_codec.encoding
    return str(getattr(encoding, "value", encoding) or positions.UTF16)


def edit_offset(
    doc: TextDocument, changes: Sequence[types.TextDocumentContentChangeEvent]
) -> int | None:
    """Where the last of a ``didChange``'s changes landed (``None`` for a full-text change)."""
    change = changes[-1] if changes else None
    if not isinstance(change, types.TextDocumentContentChangePartial):
        return None
    return offset_at(doc, change.range.start)
