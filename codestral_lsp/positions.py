"""Client positions <-> code-point offsets without splitting the whole document.

pygls' ``TextDocument.lines`` re-splits the document on every access, so its
``offset_at_position``/``client_position_at_offset`` cost O(document) in Python objects per
call. Here the work is a C-speed scan for line breaks (``str.find``/``str.count``, no copy)
plus a walk over one line. Line breaks are the three LSP knows: ``\\n``, ``\\r\\n`` and ``\\r``.
Columns are counted in the negotiated encoding: ``utf-8`` (bytes), ``utf-16`` (code units,
the LSP default) or ``utf-32`` (code points).
"""

from __future__ import annotations

import codecs
import re

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"
_CODECS = {UTF8: ("utf-8", 1), UTF16: ("utf-16-le", 2)}
_SURROGATE = re.compile("[\ud800-\udfff]")
# Lines further than this are reached by counting breaks in chunks of this many characters.
_CHUNK_LINES = 64
_CHUNK = 1 << 16


def line_start(
    text: str, line: int, anchor: tuple[int, int] = (0, 0), crlf: bool | None = None
) -> int | None:
    """Offset where 0-based ``line`` starts, or ``None`` when the text has fewer lines.

    ``anchor`` is a known ``(line, start offset)``: the walk starts there when it is nearer
    than the top, so asking about a line near the last one asked about is cheap, walking down
    (typing) or a few lines up (an editor applies a multi-cursor edit from the bottom up).
    ``crlf`` says whether the text may hold a ``\r`` (``None``: look, which reads the whole
    text)."""
    if line <= 0:
        return 0
    if crlf is None:
        crlf = "\r" in text
    if line < anchor[0] and anchor[0] - line <= min(line, _CHUNK_LINES):
        # A few lines up, one by one; further, counting down from the top in chunks is the
        # cheaper way (the walk up takes a Python step per line).
        pos = anchor[1]
        for _ in range(anchor[0] - line):
            pos = _previous_line_start(text, pos, crlf)
        return pos
    known, pos = anchor if 0 <= anchor[0] <= line else (0, 0)
    pos, left = _past_chunks(text, pos, line - known, crlf)
    if not crlf:
        for _ in range(left):
            pos = text.find("\n", pos) + 1
            if pos == 0:
                return None
        return pos
    for _ in range(left):
        pos = _next_break_end(text, pos)
        if pos < 0:
            return None
    return pos


def _past_chunks(text: str, pos: int, breaks: int, crlf: bool) -> tuple[int, int]:
    """Where to go on from, and how many line breaks are then left to cross, after skipping
    the whole chunks of :data:`_CHUNK` characters from ``pos`` that hold fewer than the
    ``breaks`` to cross: counted at C speed, so that a line far from the last one asked
    about (an edit at the other end of the file) costs no Python step per line."""
    while breaks > _CHUNK_LINES:
        end = pos + _CHUNK
        if end >= len(text):
            break
        if crlf and text[end - 1] == "\r" and text[end] == "\n":
            end += 1  # a chunk never splits a ``\r\n``
        found = text.count("\n", pos, end)
        if crlf:
            found += text.count("\r", pos, end) - text.count("\r\n", pos, end)
        if found >= breaks:
            break
        pos, breaks = end, breaks - found
    return pos, breaks


def _previous_line_start(text: str, pos: int, crlf: bool) -> int:
    """Start of the line before the one starting at ``pos`` (> 0)."""
    end = pos - 1  # the previous line's break (its first character, for ``\r\n``)
    if not crlf:
        return text.rfind("\n", 0, end) + 1
    if end > 0 and text[end - 1 : end + 1] == "\r\n":
        end -= 1
    return max(text.rfind("\n", 0, end), text.rfind("\r", 0, end)) + 1


def _next_break_end(text: str, pos: int) -> int:
    """Offset just past the next line break at or after ``pos`` (-1 when there is none)."""
    nl = text.find("\n", pos)
    cr = text.find("\r", pos, nl if nl >= 0 else len(text))
    if cr >= 0:
        return cr + 2 if text.startswith("\n", cr + 1) else cr + 1
    return nl + 1 if nl >= 0 else -1


def line_end(text: str, start: int) -> int:
    """Offset of the line break ending the line that starts at ``start`` (or the text's end)."""
    nl = text.find("\n", start)
    stop = nl if nl >= 0 else len(text)
    cr = text.find("\r", start, stop)
    return cr if cr >= 0 else stop


def units(text: str, encoding: str) -> int:
    """Length of ``text`` in the encoding's units."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    name, size = _CODECS[encoding]
    return len(text.encode(name, "surrogatepass")) // size


def _column_to_chars(line: str, column: int, encoding: str) -> int:
    """Code points of ``line`` covered by ``column`` units (clamped to the line)."""
    if encoding == UTF32 or line.isascii():
        return min(column, len(line))
    if not _SURROGATE.search(line, 0, column):
        # At C speed (a minified line may be a megabyte): the code points whose encoding fits
        # in ``column`` units; a character the column cuts in two is held back by the decoder.
        # At most ``column`` code points can fit, so no more are encoded.
        name, size = _CODECS[encoding]
        head = line[:column].encode(name)[: column * size]
        return len(codecs.getincrementaldecoder(name)().decode(head, final=False))
    # An unpaired surrogate (UTF-8 cannot encode it; two would decode as one character).
    seen = 0
    for i, ch in enumerate(line):
        code = ord(ch)
        if encoding == UTF16:
            width = 2 if code > 0xFFFF else 1
        else:
            width = 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
        seen += width
        if seen > column:
            return i
    return len(line)


def offset_at(text: str, line: int, character: int, encoding: str) -> int:
    """Code-point offset of a client position, clamped into the document and its line."""
    return offset_in_line(text, line_start(text, max(0, line)), character, encoding)


def offset_in_line(text: str, start: int | None, character: int, encoding: str) -> int:
    """Code-point offset of column ``character`` of the line starting at ``start`` (``None``:
    a line past the end, which means the end of the text), clamped to the line."""
    if start is None:
        return len(text)
    column = max(0, character)
    # A code point is at least one unit: no more of the line can lie before the column (a
    # minified line may be megabytes long).
    end = min(line_end(text, start), start + column)
    return start + _column_to_chars(text[start:end], column, encoding)


def position_at(
    text: str,
    offset: int,
    encoding: str,
    anchor: tuple[int, int] = (0, 0),
    crlf: bool | None = None,
) -> tuple[int, int]:
    """Client ``(line, character)`` of a code-point offset. The line breaks are counted from
    ``anchor``, a known ``(line, start offset)``, when it is at or before the offset (the
    cursor's line, for an item at the cursor); ``crlf`` as in :func:`line_start`."""
    offset = max(0, min(offset, len(text)))
    known, pos = anchor if anchor[1] <= offset else (0, 0)
    if crlf is None:
        crlf = "\r" in text
    line = known + text.count("\n", pos, offset)
    start = text.rfind("\n", pos, offset) + 1 or pos
    if crlf:
        line += text.count("\r", pos, offset) - text.count("\r\n", pos, offset)
        start = max(start, text.rfind("\r", pos, offset) + 1)
    return line, units(text[start:offset], encoding)
