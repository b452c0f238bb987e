"""A notebook read as one script: the text around a cell that the prompt puts before and after it.

The cells are joined the way jupytext's "percent" format (also VS Code's, Spyder's and
PyCharm's cell scripts) writes a notebook: each cell opens with a ``# %%`` line, a markdown cell
with ``# %% [markdown]`` and its text as comments, and cells are parted by a blank line. Models
have read many such files, so the marker tells them where one cell ends and the next begins for
five characters a cell, and a markdown cell above code (``## Plot the monthly totals``) often
says what that code is for. Only cells in the cursor cell's language are joined: a SQL cell in
a Python notebook is another program. Output is never part of it (LSP does not sync it).

Pure text: the server hands in the cells, in notebook order, as :class:`Cell` values.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from codestral_lsp.context import EXTENSIONS

# Line comments of the languages notebooks are written in; a language not here gets its cells
# parted by blank lines alone, and its notebook's markdown is left out.
LINE_COMMENTS = {
    "python": "#",
    "r": "#",
    "julia": "#",
    "shellscript": "#",
    "ruby": "#",
    "perl": "#",
    "powershell": "#",
    "csharp": "//",
    "fsharp": "//",
    "javascript": "//",
    "typescript": "//",
    "java": "//",
    "kotlin": "//",
    "scala": "//",
    "go": "//",
    "rust": "//",
    "c": "//",
    "cpp": "//",
    "swift": "//",
    "dart": "//",
    "sql": "--",
    "lua": "--",
    "haskell": "--",
}
# A markdown cell lends at most this much (in whole lines, from its top, where a cell says what
# it is about): a long tutorial text must not take the prompt's room from the code.
MARKDOWN_CHARS = 600
SEPARATOR = "\n\n"


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell: its text, its language id, and whether it is code (else markdown)."""

    text: str
    language: str
    code: bool = True


@dataclass(frozen=True, slots=True)
class Place:
    """Where a cell is: its notebook (its one uri, its path), the notebook's cells in order,
    and the cell's index among them."""

    uri: str
    path: str
    cells: tuple[Cell, ...]
    index: int

    @property
    def cell(self) -> Cell:
        """The cell itself."""
        return self.cells[self.index]


def around(
    cells: Sequence[Cell], index: int, before_chars: int, after_chars: int
) -> tuple[str, str]:
    """What precedes and follows ``cells[index]`` in the notebook read as a script: at least
    ``before_chars``/``after_chars`` of it when the notebook has that much (whole cells, so
    the prompt's own trimming cuts at a line as in a file), and the cell's own marker line."""
    cell = cells[index]
    comment = LINE_COMMENTS.get(cell.language, "")
    before = _blocks(reversed(cells[:index]), cell.language, comment, before_chars)
    head = SEPARATOR.join([*reversed(before), _marker(comment, "")])
    after = _blocks(cells[index + 1 :], cell.language, comment, after_chars)
    if not after:
        return head, ""
    # The cursor cell ends where the script's next blank line is, whatever its own last line.
    lead = SEPARATOR[1:] if cell.text.endswith(("\n", "\r")) else SEPARATOR
    return head, lead + SEPARATOR.join(after)


def _blocks(cells: Iterable[Cell], language: str, comment: str, chars: int) -> list[str]:
    """The script blocks of ``cells``, in the order given, until they hold ``chars``."""
    blocks: list[str] = []
    size = 0
    for cell in cells:
        if size >= chars:
            break
        block = _block(cell, language, comment)
        if block:
            blocks.append(block)
            size += len(block) + len(SEPARATOR)
    return blocks


def script_name(path: str, language: str) -> str:
    """The name a notebook is shown by in the prompt: its script twin's (``analysis.ipynb`` in
    Python is ``analysis.py``, as jupytext pairs it), which is what the joined cells read like;
    kept as it is for a language without a known extension."""
    extension = EXTENSIONS.get(language, "")
    if not extension:
        return path
    return os.path.splitext(path)[0] + extension


def _marker(comment: str, kind: str) -> str:
    """A cell's first line (``# %%``, ``# %% [markdown]``), nothing without a line comment."""
    if not comment:
        return ""
    return f"{comment} %%{kind}\n"


def _block(cell: Cell, language: str, comment: str) -> str:
    """``cell`` as it reads in the script of a ``language`` notebook (empty: left out)."""
    text = cell.text.rstrip()
    if not text:
        return ""
    if cell.code:
        return _marker(comment, "") + text if cell.language == language else ""
    if not comment:
        return ""
    lines = _head(text, MARKDOWN_CHARS).splitlines()
    body = "\n".join(f"{comment} {line}".rstrip() for line in lines)
    return _marker(comment, " [markdown]") + body


def _head(text: str, limit: int) -> str:
    """``text`` up to ``limit`` characters, cut at a line end when it is longer."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    return text[:cut] if cut > 0 else text[:limit]
