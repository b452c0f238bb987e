"""The adaptive debounce: which way each signal moves the delay (no clock is read)."""

from __future__ import annotations

from codestral_lsp import context
from codestral_lsp.pace import MAX_DELAY_S, MIN_DELAY_S, Pace, position_score


def ctx_at(text: str, marker: str = "|") -> context.Context:
    offset = text.index(marker)
    return context.build(text.replace(marker, ""), offset, "file:///x.py")


def typed(pace: Pace, gap: float, keys: int = 10) -> Pace:
    for i in range(keys):
        pace.edited("file:///x.py", now=100.0 + i * gap)
    return pace


def test_fast_typing_waits_longer_than_slow_typing_per_key_gap() -> None:
    mid_word = ctx_at("foo = ba|r\n")
    fast, slow = typed(Pace(), 0.06), typed(Pace(), 0.3)
    assert MIN_DELAY_S <= fast.delay(mid_word) < slow.delay(mid_word) <= MAX_DELAY_S


def test_pauses_do_not_count_as_typing_speed() -> None:
    pace = typed(Pace(), 0.1)
    before = pace.typing_gap
    pace.edited("file:///x.py", now=500.0)
    assert pace.typing_gap == before


def test_line_end_after_punctuation_waits_less_than_mid_word() -> None:
    pace = typed(Pace(), 0.15)
    assert position_score(ctx_at("x = f(|\n")) == 1.0
    assert position_score(ctx_at("foo = ba|r\n")) == 0.0
    assert pace.delay(ctx_at("x = f(|\n")) < pace.delay(ctx_at("foo = ba|r\n"))


def test_slow_upstream_shortens_the_wait() -> None:
    here = ctx_at("foo = ba|r\n")
    quick, slow = typed(Pace(), 0.15), typed(Pace(), 0.15)
    quick.observed(0.05)
    slow.observed(0.6)
    assert slow.delay(here) < quick.delay(here)


def test_typing_until_a_pause_of_a_few_typing_gaps() -> None:
    pace = typed(Pace(), 0.1)
    last = 100.0 + 9 * 0.1
    assert pace.typing("file:///x.py", now=last + 0.1)
    assert not pace.typing("file:///x.py", now=last + 0.5)
    assert not pace.typing("file:///other.py", now=last)


def test_quiet_time_counts_from_the_last_edit_or_request_at_that_document() -> None:
    pace = typed(Pace(), 0.1)
    last = 100.0 + 9 * 0.1
    assert abs(pace.asked("file:///x.py", now=last + 0.25) - 0.25) < 1e-9
    # A cursor moved without an edit asks again: the quiet time starts over.
    assert abs(pace.asked("file:///x.py", now=last + 0.28) - 0.03) < 1e-9
    assert pace.asked("file:///other.py", now=last) == 0.0
    pace.forget("file:///x.py")
    assert pace.asked("file:///x.py", now=last + 1) == 0.0
