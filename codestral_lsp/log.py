"""Logging that never leaks the key, forwarding to the client, and messages shown once.

Two rules meet here: logs go to stderr and ``window/logMessage`` (stdout carries JSON-RPC), and
no secret may appear in any of them. pygls logs the ``initialize`` parameters (which may carry
``apiKey``) before our code runs, so redaction is a filter on every handler, by value for keys
we know and by shape for keys we have not seen yet.
"""

from __future__ import annotations

import logging
import re
import string
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    import logging.handlers

# The head of a key's field: "apiKey": …, 'api_key': …, api_key=…, apiKey: … (JSON, Python
# reprs, env dumps). Its whole value is hidden, however it is shaped: see :func:`_value_end`.
_KEY_FIELD = re.compile(r"""["']?[A-Za-z_]*api[_-]?key["']?\s*[:=]\s*""", re.IGNORECASE)
_SHAPES = (
    # A quote after "Bearer" is a key pasted with its quotes, as an upstream echoes it.
    re.compile(r"(?P<head>Bearer\s+[\"']?)(?P<v>[A-Za-z0-9._~+/=-]+)"),
    # A URL's userinfo (https://user:password@host/v1) is a credential too; up to the host's
    # "@", the last before the path, as URL parsers read it.
    re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<v>[^\s/?#\"'<>]+)(?=@)"),
)
_QUOTES = "\"'"
_CLOSERS = {"[": "]", "{": "}", "(": ")"}


def _value_end(text: str, start: int) -> int:
    """Where the value starting at ``start`` ends: at the first space, comma or closer that is
    not inside quotes or brackets opened in it. A key wrapped in quotes, a list or a mapping is
    hidden whole, escaped quotes (JSON's ``\\"``) and all; a value cut short (no closing quote
    or bracket) runs to the end of ``text``."""
    closers: list[str] = []
    quote = ""
    at = start
    while at < len(text):
        char = text[at]
        if quote:
            at += 2 if char == "\\" else 1
            quote = "" if char == quote else quote
            continue
        if not closers and (char.isspace() or char in ",;)]}"):
            return at
        if char in _QUOTES:
            quote = char
        elif char in _CLOSERS:
            closers.append(_CLOSERS[char])
        elif closers and char == closers[-1]:
            closers.pop()
        at += 1
    return len(text)


def _hide_fields(text: str) -> str:
    """``text`` with the value of every key field replaced by ``***`` (kept in its quotes when
    it was one quoted string, so the line still reads as what it was)."""
    out: list[str] = []
    done = 0
    for field in _KEY_FIELD.finditer(text):
        if field.start() < done:  # inside a value already hidden
            continue
        start = field.end()
        end = _value_end(text, start)
        if end == start:
            continue
        value = text[start:end]
        quoted = len(value) > 1 and value[0] in _QUOTES and value[-1] == value[0]
        out += [text[done:start], f"{value[0]}***{value[0]}" if quoted else "***"]
        done = end
    return "".join([*out, text[done:]])


# A secret cut short (an error text truncated mid-key) is still hidden from this many of its
# first characters on.
SECRET_HEAD = 8


# Some upstreams echo a rejected key lower- or upper-cased: secrets are matched ignoring ASCII
# case. ``str.lower`` would not do: it changes the length of some non-ASCII text, and with it
# every position found.
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _hide(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each of ``secrets``, and any cut-off head of one at least
    :data:`SECRET_HEAD` long, replaced by ``***`` (ignoring ASCII case). Where several match at
    one place (a key and its URL-encoded form share a head) the longest match is hidden."""
    forms = [secret.translate(_ASCII_LOWER) for secret in secrets]
    heads = {form[:SECRET_HEAD] for form in forms}
    folded = text.translate(_ASCII_LOWER)
    out: list[str] = []
    done = 0
    while starts := [at for at in (folded.find(head, done) for head in heads) if at >= 0]:
        start = min(starts)
        out += [text[done:start], "***"]
        done = max(_match_end(folded, start, form) for form in forms)
    return "".join([*out, text[done:]])


def _match_end(folded: str, start: int, form: str) -> int:
    """Where the longest head of ``form`` at ``start`` ends (``start`` when there is none of
    :data:`SECRET_HEAD` characters, or of the whole of a shorter ``form``)."""
    end = start
    while end < len(folded) and end - start < len(form) and folded[end] == form[end - start]:
        end += 1
    return end if end - start >= min(len(form), SECRET_HEAD) else start


class Redactor(logging.Filter):
    """Rewrites each record's message with secrets replaced by ``***``."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add(self, secret: str) -> None:
        """Remember a secret to scrub, also as it reads URL-encoded (an upstream may echo the
        query string or form it came in); short strings are ignored: they would mangle logs."""
        if len(secret) >= 6:
            self._secrets.update({secret, quote(secret, safe="")})

    def scrub(self, text: str) -> str:
        """``text`` with every known secret and secret-shaped value hidden."""
        if self._secrets:
            text = _hide(text, self._secrets)
        text = _hide_fields(text)
        for shape in _SHAPES:
            text = shape.sub(lambda m: f"{m['head']}***", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not take logging down
            message = str(record.msg)
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        record.msg = self.scrub(message)
        record.args = None
        return True


REDACTOR = Redactor()


def setup_stderr(level: str) -> None:
    """Send logs to stderr: ours at ``level``, libraries' at WARNING unless ``level`` is DEBUG."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(REDACTOR)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    numeric = logging.getLevelName(level.upper())
    numeric = numeric if isinstance(numeric, int) else logging.INFO
    root.setLevel(numeric if numeric <= logging.DEBUG else logging.WARNING)
    logging.getLogger("codestral_lsp").setLevel(numeric)


def stderr_from(level: int) -> None:
    """Write only records at ``level`` and above to stderr (the editor still gets the rest)."""
    for handler in logging.getLogger().handlers:
        handler.setLevel(level)


def hold_stderr() -> logging.handlers.MemoryHandler:
    """Keep log records back from stderr until :func:`release`."""
    import logging.handlers  # lazy: only the one-shot commands need it, not the server's start

    root = logging.getLogger()
    held = logging.handlers.MemoryHandler(1_000_000, logging.CRITICAL + 1, root.handlers[0])
    root.handlers[:] = [held]
    return held


def release(held: logging.handlers.MemoryHandler, show: bool) -> None:
    """Write what :func:`hold_stderr` kept back (``show``), or drop it."""
    if not show:
        held.buffer.clear()
    held.flush()
    if held.target is not None:
        logging.getLogger().handlers[:] = [held.target]


class UnreadableMessages(logging.Filter):
    """Demotes to DEBUG pygls' tracebacks and warnings for a message from the editor that does
    not fit LSP (or names an unknown method): the server answers it and logs one line of its
    own, and a client sending such messages at every keystroke would otherwise fill stderr.
    ``--log-level DEBUG`` still shows them."""

    PREFIXES = (
        "Unable to deserialize message",
        "Unable to handle message",
        "Failed to handle request %r, unknown method",
        "Ignoring notification for unknown method",
    )
    # JSON-RPC's codes for a request the client got wrong (parse error, invalid request, unknown
    # method, invalid params: an unknown ``workspace/executeCommand``, say), which pygls logs
    # with a traceback as it answers them.
    CLIENT_FAULTS = (-32700, -32600, -32601, -32602)

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if (
            str(record.msg).startswith(self.PREFIXES)
            or getattr(error, "code", None) in self.CLIENT_FAULTS
        ):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


class ClientHandler(logging.Handler):
    """Forwards our own log records to the client as ``window/logMessage``."""

    def __init__(self, send: Callable[[int, str], None]) -> None:
        super().__init__(logging.INFO)
        self._send = send
        self._busy = False
        self._gone = False
        self.addFilter(REDACTOR)

    def emit(self, record: logging.LogRecord) -> None:
        if self._busy or self._gone:  # sending may itself log; never recurse
            return
        self._busy = True
        try:
            level = 1 if record.levelno >= logging.ERROR else 2 if record.levelno >= 30 else 3
            self._send(level, f"{record.name}: {record.getMessage()}")
        except OSError:
            # The editor's end of the pipe is closed: stderr still has the record, and a
            # traceback per log line would bury it.
            self._gone = True
        except Exception:
            self.handleError(record)
        finally:
            self._busy = False


class Notifier:
    """Shows each kind of message once until reset, so trouble never becomes a popup storm."""

    def __init__(self, show: Callable[[int, str], None]) -> None:
        self._show = show
        self._shown: set[str] = set()

    def once(self, kind: str, level: int, message: str) -> None:
        """Show ``message`` unless a message of this kind was already shown."""
        if kind in self._shown:
            return
        self._shown.add(kind)
        self.show(level, message)

    def show(self, level: int, message: str) -> None:
        """Show ``message`` now (its caller keeps it from repeating)."""
        self._show(level, REDACTOR.scrub(message))

    def reset(self) -> None:
        """Allow every kind to be shown again (after the user changed settings)."""
        self._shown.clear()
