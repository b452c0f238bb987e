"""Reading LSP messages from stdin on the event loop itself.

pygls reads stdin on a worker thread, one ``readline``/``read`` per executor round trip: three
thread hand-offs per message before the handler runs, paid by every keystroke's ``didChange``
and completion request. When stdin is a pipe (as editors start servers), an asyncio pipe
transport delivers the bytes to the loop as they arrive instead. Anything else (a regular
file, a closed descriptor, Windows) keeps pygls' reader.
"""

from __future__ import annotations

import asyncio
import os
import stat
from typing import BinaryIO

# Header lines are short; a longer one is a broken client, not a reason to buffer more.
MAX_HEADER = 64 * 1024


class PipeReader:
    """pygls' async reader interface (``readline``, ``readexactly``) over a stdin pipe."""

    def __init__(self, stdin: BinaryIO) -> None:
        self._stdin = stdin
        self._reader: asyncio.StreamReader | None = None

    async def _stream(self) -> asyncio.StreamReader:
        if self._reader is None:
            reader = asyncio.StreamReader(limit=MAX_HEADER)
            loop = asyncio.get_running_loop()
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), self._stdin)
            self._reader = reader
        return self._reader

    async def readline(self) -> bytes:
        """One header line (``b""`` at end of input). An overlong line is dropped (the stream
        reader discards it) and read as a line that is no header, as pygls would."""
        try:
            return await (await self._stream()).readline()
        except ValueError:
            return b"invalid header line\r\n"

    async def readexactly(self, n: int) -> bytes:
        """A message body of ``n`` bytes (``b""`` when input ends first)."""
        try:
            return await (await self._stream()).readexactly(n)
        except asyncio.IncompleteReadError:
            return b""


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
