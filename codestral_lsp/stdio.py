"""Reading LSP messages from stdin for pygls' loop.

pygls reads stdin on a worker thread of its pool, one ``readline``/``read`` per executor round
trip: three thread hand-offs per message before the handler runs, paid by every keystroke's
``didChange`` and completion request. And that worker, blocked in a read from a terminal, holds
the process after Ctrl-C or ``exit`` until a key is pressed (interpreter exit joins the pool).

When stdin is a pipe or socket (as editors start servers), an asyncio pipe transport delivers
the bytes to the loop as they arrive. Anything else (a terminal, a regular file, Windows' pipes)
is read in large chunks by a daemon thread, which never keeps the process alive.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import stat
import threading
from collections.abc import Callable
from typing import BinaryIO

# Header lines are short; a longer one is a broken client, not a reason to buffer more.
MAX_HEADER = 64 * 1024
CHUNK = 64 * 1024
# A body larger than this is a broken header, not a message: waiting for it would swallow every
# message after it.
MAX_BODY = 256 * 1024 * 1024
# Anywhere in a line: after a frame whose Content-Length was wrong (characters counted instead
# of bytes, say), the next header follows the leftover bytes on the same line.
_LENGTH = re.compile(rb"content-length[ \t]*:[ \t]*(\d+)[ \t]*\r?\n", re.IGNORECASE)
_NOT_A_HEADER = b"invalid header line\r\n"
_log = logging.getLogger(__name__)
# The likely cause of each kind of input fault, told with its first occurrence.
_CAUSES = {
    "framing": "the client sent a wrong Content-Length?",
    "encoding": "the client's text is not UTF-8, as LSP requires",
}


class StdinReader:
    """pygls' async reader interface (``readline``, ``readexactly``) over stdin."""

    def __init__(self, stdin: BinaryIO) -> None:
        self._stdin = stdin
        self._reader: asyncio.StreamReader | None = None
        self._told: set[str] = set()

    async def _stream(self) -> asyncio.StreamReader:
        if self._reader is None:
            reader = asyncio.StreamReader(limit=MAX_HEADER)
            loop = asyncio.get_running_loop()
            if is_pipe(self._stdin):
                protocol = asyncio.StreamReaderProtocol(reader)
                await loop.connect_read_pipe(lambda: protocol, self._stdin)
            else:
                threading.Thread(
                    target=self._pump, args=(loop, reader), name="stdin", daemon=True
                ).start()
            self._reader = reader
        return self._reader

    def _pump(self, loop: asyncio.AbstractEventLoop, reader: asyncio.StreamReader) -> None:
        """Feed ``reader`` from stdin until it ends (or the loop is gone)."""
        read = _raw_reader(self._stdin)
        while True:
            try:
                data = read(CHUNK)
            except (OSError, ValueError):  # closed or unreadable: the same as its end
                data = b""
            try:
                if not data:
                    loop.call_soon_threadsafe(reader.feed_eof)
                    return
                loop.call_soon_threadsafe(reader.feed_data, data)
            except RuntimeError:  # the loop is closed: the server is ending
                return

    async def readline(self) -> bytes:
        """One header line (``b""`` at end of input), the ``Content-Length`` one in the form
        pygls' loop matches. An overlong line is dropped (the stream reader discards it) and read
        as a line that is no header, as pygls would. Bytes before a ``Content-Length`` header on
        its line are what a wrong length left over, and are dropped: pygls would take the line
        for no header, glue the next body to the header after it, and never find a message
        again."""
        try:
            line = await (await self._stream()).readline()
        except ValueError:
            return _NOT_A_HEADER
        found = _LENGTH.search(line)
        if found is None:
            return line
        if found.start():
            self._tell("framing", f"dropped {found.start()} bytes of input that were no message")
        length = int(found.group(1))
        if length > MAX_BODY:
            self._tell("framing", f"ignored a message said to be {length} bytes long")
            return _NOT_A_HEADER
        return b"Content-Length: %d\r\n" % length

    def _tell(self, kind: str, what: str) -> None:
        """Log the first input fault of each kind: the client's, worth one line, not one per
        message."""
        if kind not in self._told:
            self._told.add(kind)
            _log.warning("%s (%s)", what, _CAUSES[kind])

    async def readexactly(self, n: int) -> bytes:
        """A message body of ``n`` bytes (``b""`` when input ends first). Bytes that are no
        UTF-8 become U+FFFD: pygls would drop the whole message (a document's text, say) and
        log all of it, excluded files too, in its error."""
        try:
            body = await (await self._stream()).readexactly(n)
        except asyncio.IncompleteReadError:
            return b""
        if body.isascii():
            return body
        try:
            body.decode()
        except UnicodeDecodeError as err:
            self._tell("encoding", f"replaced bytes that are no UTF-8 in a message: {err.reason}")
            return body.decode(errors="replace").encode()
        return body


def _raw_reader(stream: BinaryIO) -> Callable[[int], bytes]:
    """Read from the descriptor under ``stream`` where there is one: a daemon thread blocked in
    the buffered object's read holds its lock, and interpreter exit aborts on that lock."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError):
        return getattr(stream, "read1", stream.read)
    return lambda size: os.read(fd, size)


def is_pipe(stream: BinaryIO) -> bool:
    """Whether ``stream`` is a pipe or socket the event loop can watch (POSIX only: Windows'
    loop cannot read the anonymous pipes editors start servers with)."""
    if os.name != "posix":
        return False
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
