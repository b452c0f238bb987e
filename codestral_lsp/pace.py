"""Adaptive debounce: how long an automatic request waits before it may go upstream.

Three signals, in the spirit of tabby-agent's debouncer (see completion-engineering.md B2):

* typing speed: the median gap between the document's recent edits (fed from ``didChange``):
  the wait is about one gap, so a request goes out at the first hesitation. It is shorter than
  tabby-agent's (which waits for a real pause) because a request sent early is rarely wasted
  here: the keys typed while it streams attach to it instead of starting new ones;
* position in the line: at a line end or right after punctuation/space a suggestion is both
  likelier to be accepted and less likely to be outdated by the next key, so wait less;
* observed latency: when the upstream is slow, every millisecond of debounce adds to an already
  long wait while attaching to the live stream absorbs the keys typed meanwhile, so wait less.

Invoked triggers never wait (the engine does not ask). All state is O(1) per keystroke.
"""

from __future__ import annotations

import time
from collections import deque

from codestral_lsp.context import Context, is_word_char

DEFAULT_GAP_S = 0.12
# Gaps longer than this are pauses, not typing speed.
MAX_GAP_S = 1.0
GAP_SAMPLES = 16
LATENCY_SAMPLES = 8
# The floor: Copilot's client waits 15 ms of idle. Below the typing gap, the debounce only
# delays the first key of a burst; the keys after it join the stream it starts.
MIN_DELAY_S = 0.015
MAX_DELAY_S = 0.4
# Share of the observed time-to-first-token taken off the delay.
LATENCY_CREDIT = 0.25
# A user whose last edit is more recent than this many typing gaps is still typing.
TYPING_GAPS = 1.5


class Pace:
    """Keystroke timing and upstream latency, turned into a debounce delay."""

    def __init__(self) -> None:
        self._last_edit: dict[str, float] = {}
        self._last_asked: dict[str, float] = {}
        self._gaps: deque[float] = deque(maxlen=GAP_SAMPLES)
        self._latencies: deque[float] = deque(maxlen=LATENCY_SAMPLES)

    def edited(self, uri: str, now: float | None = None) -> None:
        """Record an edit of ``uri`` (one ``didChange``)."""
        now = time.monotonic() if now is None else now
        last = self._last_edit.get(uri)
        self._last_edit[uri] = now
        if last is not None and 0 < now - last <= MAX_GAP_S:
            self._gaps.append(now - last)

    def typing(self, uri: str, now: float | None = None) -> bool:
        """Whether the user is in the middle of typing into ``uri`` (the next key is due)."""
        last = self._last_edit.get(uri)
        now = time.monotonic() if now is None else now
        return last is not None and now - last < TYPING_GAPS * self.typing_gap

    def asked(self, uri: str, now: float | None = None) -> float:
        """Record an automatic request at ``uri``; the seconds of quiet before it: since the
        last edit or request there (a cursor moved without an edit asks too), 0 at first."""
        now = time.monotonic() if now is None else now
        last = max(self._last_edit.get(uri, -1.0), self._last_asked.get(uri, -1.0))
        self._last_asked[uri] = now
        return 0.0 if last < 0 else max(0.0, now - last)

    def forget(self, uri: str) -> None:
        """Drop a closed document's timing."""
        self._last_edit.pop(uri, None)
        self._last_asked.pop(uri, None)

    def observed(self, ttft_s: float) -> None:
        """Record one upstream time-to-first-token."""
        self._latencies.append(ttft_s)

    @property
    def typing_gap(self) -> float:
        """Median gap between keystrokes (a default until enough were seen)."""
        if len(self._gaps) < 4:
            return DEFAULT_GAP_S
        ordered = sorted(self._gaps)
        middle = len(ordered) // 2
        return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2

    @property
    def latency(self) -> float:
        """Mean recent time-to-first-token (0 until one was seen)."""
        return sum(self._latencies) / len(self._latencies) if self._latencies else 0.0

    def delay(self, ctx: Context) -> float:
        """Seconds an automatic request at ``ctx`` waits before going upstream."""
        score = position_score(ctx)
        wait = self.typing_gap * (1.0 - 0.5 * score) - LATENCY_CREDIT * self.latency
        return min(MAX_DELAY_S, max(MIN_DELAY_S, wait))


def position_score(ctx: Context) -> float:
    """0 (mid-word, text after the cursor) to 1 (line end, after a space or punctuation)."""
    line = ctx.line_prefix
    score = 0.0
    if not ctx.line_suffix.strip():
        score += 0.6
    if not line or not is_word_char(line[-1]):
        score += 0.4
    return score
