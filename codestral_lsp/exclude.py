"""Which files must never be sent upstream: glob matching for the ``exclude`` setting."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


# Every pattern of the settings at once: the defaults alone are 29, and a cache smaller than
# the list would miss on every lookup.
@lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern[str]:
    """Translate a glob (``*``, ``?``, ``**``, ``[...]``) into a regex over ``/`` paths."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(char))
            else:
                out.append("[" + pattern[i + 1 : end].replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out) + r"\Z", re.IGNORECASE)


def is_valid_glob(pattern: str) -> bool:
    """Whether ``pattern`` can be used as an ``exclude`` glob (``[z-a]`` cannot)."""
    try:
        _compile(_normal(pattern.lstrip().removeprefix("!")).lstrip("/"))
    except re.error:
        return False
    return True


def _normal(pattern: str) -> str:
    """A pattern as matched: no surrounding blanks, no trailing ``/``, no leading ``./``."""
    pattern = pattern.strip().rstrip("/")
    while pattern.startswith("./"):
        pattern = pattern[2:]
    return pattern


def is_excluded(path: str, patterns: Iterable[str]) -> bool:
    """Whether ``path`` matches the patterns, the last one that matches deciding: ``!glob``
    lets back in what an earlier pattern left out (``!.env.example``). Patterns without ``/``
    match the file name or any directory name on the path (``secrets`` excludes everything
    below it); patterns with ``/`` match the path's tail (``secrets/**`` matches
    ``/repo/secrets/a.txt``)."""
    return _excluded(path, tuple(patterns))


# Asked at every request for the cursor's file and for each open file that may lend it a
# snippet: with the same settings, each file's answer is the one it had.
@lru_cache(maxsize=4096)
def _excluded(path: str, patterns: tuple[str, ...]) -> bool:
    normal = path.replace("\\", "/")
    parts = [p for p in normal.split("/") if p]
    excluded = False
    for pattern in patterns:
        negated = pattern.lstrip().startswith("!")
        glob = _normal(pattern.lstrip().removeprefix("!"))
        if glob and excluded == negated and parts and _matches(glob, parts):
            excluded = not negated
    return excluded


def _matches(pattern: str, parts: list[str]) -> bool:
    regex = _compile(pattern.lstrip("/"))
    if "/" not in pattern:
        return any(regex.match(part) for part in parts)
    return any(regex.match("/".join(parts[start:])) for start in range(len(parts)))
