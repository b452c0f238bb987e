"""When the engine stops reading a stream (the deadline case backdates the start, no waiting)."""

from __future__ import annotations

import time

from codestral_lsp import context
from codestral_lsp.engine import SOFT_DEADLINE_S, complete_enough, complete_lines
from codestral_lsp.generation import Generation
from codestral_lsp.postprocess import without_torn_line

TEXT = "def f(x):\n    |\n    return y\n"


def gen(text: str, multiline: bool = True, doc: str = TEXT) -> Generation:
    offset = doc.index("|")
    ctx = context.build(doc.replace("|", ""), offset, "file:///x.py")
    return Generation(ctx=ctx, multiline=multiline, text=text)


def test_single_line_stops_at_the_first_line_end() -> None:
    assert not complete_enough(gen("y = x", multiline=False))
    assert complete_enough(gen("y = x\n", multiline=False))
    assert not complete_enough(gen("\n", multiline=False))


def test_new_lines_in_front_of_code_stream_until_the_block_ends() -> None:
    doc = "def f(x):\n    y = x|return y\n"
    assert not complete_enough(gen("\n    z = y\n", multiline=False, doc=doc))
    assert complete_enough(gen("\n    z = y\n\n", multiline=False, doc=doc))
    # Only a line break that starts the answer opens a block; otherwise the first line ends it.
    assert complete_enough(gen("z\n", multiline=False, doc=doc))


def test_multi_line_stops_at_a_blank_line_after_the_block() -> None:
    assert not complete_enough(gen("y = x\n    z = y\n"))
    assert complete_enough(gen("y = x\n\n"))


def test_multi_line_stops_when_the_model_retypes_the_line_below() -> None:
    assert complete_enough(gen("y = 1\n    return y\n"))
    assert not complete_enough(gen("y = 1\n    z = y\n"))


def test_soft_deadline_needs_a_complete_line() -> None:
    late = gen("y = x\n")
    late.started = time.monotonic() - SOFT_DEADLINE_S - 1
    assert complete_enough(late)
    partial = gen("y = x")
    partial.started = late.started
    assert not complete_enough(partial)


def test_complete_lines_keeps_whole_lines_only() -> None:
    assert complete_lines("a\nb\nc") == "a\nb"
    assert complete_lines("\n\nabc") == ""
    assert complete_lines("\nabc\nde") == "\nabc"


def test_an_answer_cut_at_max_tokens_ends_at_its_last_complete_line() -> None:
    assert without_torn_line("a = 1\n    b = compu") == "a = 1\n"
    assert without_torn_line("a = 1\r\n    b = compu") == "a = 1\r\n"
    assert without_torn_line("a = 1\n") == "a = 1\n"
    assert without_torn_line("\n    b = compu") == "\n    b = compu"  # its only line
    assert without_torn_line("b = compu") == "b = compu"
