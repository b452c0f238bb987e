"""The editor that started the server: when its process is gone, the server goes too (LSP's
``processId``). Its stdin usually ends then, but not when another process (a wrapper script, a
grandchild) still holds the pipe: the server would live on with nobody to serve."""

from __future__ import annotations

import asyncio
import logging
import os
import sys

log = logging.getLogger(__name__)

# How often the editor's process is looked for: one system call, cheap at any rate.
CHECK_INTERVAL_S = 2.0


def watchable(pid: int) -> bool:
    """Whether ``pid`` can be watched here: another process, on a system where signal 0 only
    asks whether it exists (on Windows ``os.kill`` ends the process)."""
    return pid > 0 and pid != os.getpid() and os.name == "posix"


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists (one owned by another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists; anything else: do not guess it is gone
        return True
    return True


async def watch(pid: int) -> None:
    """Exit (code 1: no ``shutdown`` came) once process ``pid`` is gone. A pid that is no
    process here from the start is another machine's or container's (a server run in Docker
    by an editor outside it): not watched, or the server would exit at once."""
    if not alive(pid):
        log.info("the editor's process %d is not on this system: not watched", pid)
        return
    while True:
        await asyncio.sleep(CHECK_INTERVAL_S)
        if not alive(pid):
            break
    log.warning("the editor that started the server (process %d) is gone; exiting", pid)
    sys.exit(1)
