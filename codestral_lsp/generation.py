"""One upstream answer, streaming or finished, and the test of whether it continues a cursor.

A :class:`Generation` is owned by the engine, not by the LSP request that started it, so later
requests (the user typing through the suggestion) can attach to it while it still streams and
read it from the cache once it is done.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from dataclasses import dataclass, field

from codestral_lsp.context import Context
from codestral_lsp.postprocess import clean
from codestral_lsp.postprocess.brackets import OPENERS
from codestral_lsp.postprocess.lines import unix_breaks
from codestral_lsp.providers import ProviderError

_ids = itertools.count(1)
# What an editor's bracket pairing puts after the cursor, or steps over, as the user types.
_CLOSERS = frozenset(OPENERS.values())
_PAIRED = _CLOSERS | frozenset("\"'`")
_MAX_PAIRED = 4
_MOVED_DOWN = re.compile(r"\n[ \t]*")


@dataclass(eq=False)
class Generation:
    """Raw text streamed for the cursor described by ``ctx``."""

    ctx: Context
    multiline: bool
    # Started by an invoked request: the user asked, so a tiny answer is shown too.
    asked: bool = False
    text: str = ""
    done: bool = False
    # Stopped before its end (superseded, or nobody waited): what it holds is cut off.
    cancelled: bool = False
    error: ProviderError | None = None
    waiters: int = 0
    task: asyncio.Task[None] | None = None
    started: float = field(default_factory=time.monotonic)
    wanted_at: float = field(default_factory=time.monotonic)
    first_token: float | None = None
    # When a waiter may stop waiting for the rest of a multi-line block and take the complete
    # lines in hand (set by the first waiter that saw a complete line).
    partial_at: float | None = None
    # What follows this suggestion, asked for before the user reached its end.
    follow: Generation | None = None
    id: int = field(default_factory=lambda: next(_ids))
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    # ``shown`` for the text it was cleaned from: every keystroke asks each stored generation.
    _cleaned: tuple[str, str] | None = None

    @property
    def size(self) -> int:
        """Approximate bytes held, for the cache's byte bound."""
        return len(self.ctx.prefix) + len(self.ctx.suffix) + len(self.text) + 200

    @property
    def shown(self) -> str:
        """The suggestion this generation stands for, cleaned for its own cursor (once per
        text: a keystroke tests every suggestion stored for the document)."""
        cleaned = self._cleaned
        if cleaned is None or cleaned[0] is not self.text:
            cleaned = self._cleaned = (
                self.text,
                clean(self.text, self.ctx, self.multiline, self.asked),
            )
        return cleaned[1]

    def append(self, delta: str) -> None:
        """Add streamed text and wake the requests waiting on it."""
        if self.first_token is None:
            self.first_token = time.monotonic()
        self.text += delta
        self._wake()

    def finish(self, error: ProviderError | None = None) -> None:
        """Mark the stream ended (normally, by an early stop, or by ``error``)."""
        self.done = True
        self.error = error
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def changed(self) -> None:
        """Wait for the next append or the end."""
        await self._changed.wait()

    async def changed_within(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for the next append or the end; False on timeout."""
        if seconds <= 0:
            return False
        try:
            async with asyncio.timeout(seconds):
                await self._changed.wait()
        except TimeoutError:
            return False
        return True

    def typed_since(self, ctx: Context) -> str | None:
        """The text typed since this generation's cursor if ``ctx`` is that cursor moved forward
        by typing (nothing else edited in the prompt window), else ``None``. The other files'
        snippets in the header may have changed since (a keystroke in a split window changes
        them), but only for a suggestion being typed through, which continues this document
        whatever they say: at the very cursor, a changed header is another prompt."""
        if ctx.uri != self.ctx.uri or ctx.shown_path != self.ctx.shown_path:
            return None
        n = ctx.offset - self.ctx.offset
        if n == 0 and ctx.header != self.ctx.header:
            return None
        if n < 0 or n > len(ctx.prefix) or n > len(self.text) + 64:
            return None
        # Compare in place (no slicing of the prompt windows): the text before the old cursor
        # and after the cursor must be what it was, up to the budget trims at their far ends.
        old, head_len = self.ctx.prefix, len(ctx.prefix) - n
        if not (
            ctx.prefix.endswith(old, 0, head_len)
            or (head_len <= len(old) and old.startswith(ctx.prefix[:head_len], len(old) - head_len))
        ):
            return None
        typed = ctx.prefix[len(ctx.prefix) - n :] if n else ""
        if not _same_code_after(self.ctx.suffix, ctx.suffix, typed):
            return None
        # Suggestions are cleaned to "\n"; the editor inserts the document's own line break.
        return unix_breaks(typed)

    def continues(self, typed: str) -> bool:
        """Whether the suggestion (as far as it has streamed) is consistent with ``typed`` and,
        once finished, still has something to show. The line break and indentation that end a
        suggestion written in front of code after the cursor (see ``spacing.closer_below``) are
        no more suggestion: a user who took all of it before them wants what comes next."""
        shown = self.shown
        if shown.startswith(typed):
            return not self.done or bool(shown[len(typed) :].strip())
        return not self.done and typed.startswith(shown) and self._may_still_match(typed)

    def beyond(self, typed: str) -> str:
        """The raw answer after ``typed``, when the user typed on past the suggestion shown along
        what the model said (into what the rules cut from it: the blank lines before a next
        definition, the line after a block). Empty when ``typed`` leaves the raw answer or stays
        within the suggestion, or the stream did not end whole."""
        if not self.done or self.cancelled or self.error is not None or not typed:
            return ""
        raw = unix_breaks(self.text)
        if not raw.startswith(typed) or self.shown.startswith(typed):
            return ""
        return raw[len(typed) :]

    def _may_still_match(self, typed: str) -> bool:
        # While streaming, the cleaned text can lag the raw text (a pending leading newline
        # or space); the raw stream must at least not contradict what was typed.
        raw = self.text.lstrip()
        stripped = typed.lstrip()
        return raw.startswith(stripped[: len(raw)]) or stripped.startswith(raw)


def _same_code_after(old: str, new: str, typed: str) -> bool:
    """Whether the code after the cursor is what it was, up to the budget's trim at its far end,
    but for what an editor's bracket pairing does as the user types ``typed``: closers and
    quotes it put after the cursor for the openers and quotes typed (``print(|)``), and those
    there before that the cursor stepped over as the user typed them ("overtype")."""
    if _agree(old, 0, new, 0):
        return True
    moved = _MOVED_DOWN.match(new)
    if moved and old[:1] in _CLOSERS and "\n" in typed:
        # Enter between a bracket and its closer: the editor put the closer on a line below.
        return _agree(old, 0, new, moved.end())
    added = _paired_run(new, {OPENERS.get(char, char) for char in typed})
    stepped = _paired_run(old, set(typed))
    return any(
        _agree(old, gone, new, extra)
        for extra in range(added + 1)
        for gone in range(stepped + 1)
        if extra or gone
    )


def _paired_run(text: str, allowed: set[str]) -> int:
    """Length of the run of closers and quotes ``text`` starts with (at most a few) whose
    characters are ``allowed``."""
    run = 0
    while run < _MAX_PAIRED and run < len(text) and text[run] in _PAIRED and text[run] in allowed:
        run += 1
    return run


def _agree(old: str, start: int, new: str, at: int) -> bool:
    """Whether ``old[start:]`` and ``new[at:]`` are equal as far as the shorter one goes."""
    size = min(len(old) - start, len(new) - at)
    return old.startswith(new[at : at + size], start)
