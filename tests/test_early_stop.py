"""When the engine stops reading a stream (the deadline case backdates the start, no waiting)."""

from __future__ import annotations

import time

import pytest

from codestral_lsp import context
from codestral_lsp.engine import SOFT_DEADLINE_S, complete_enough, complete_lines
from codestral_lsp.generation import Generation
from codestral_lsp.postprocess import should_stop, without_torn_line

TEXT = "def f(x):\n    |\n    return y\n"


def gen(text: str, multiline: bool = True, doc: str = TEXT) -> Generation:
    offset = doc.index("|")
    ctx = context.build(doc.replace("|", ""), offset, "file:///x.py")
    return Generation(ctx=ctx, multiline=multiline, text=text)


def enough(g: Generation) -> bool:
    """``complete_enough`` with the whole text arrived as one delta."""
    return complete_enough(g, g.text)


def test_single_line_stops_at_the_first_line_end() -> None:
    assert not enough(gen("y = x", multiline=False))
    assert enough(gen("y = x\n", multiline=False))
    assert not enough(gen("\n", multiline=False))


def test_new_lines_in_front_of_code_stream_until_the_block_ends() -> None:
    doc = "def f(x):\n    y = x|return y\n"
    assert not enough(gen("\n    z = y\n", multiline=False, doc=doc))
    assert enough(gen("\n    z = y\n\n", multiline=False, doc=doc))
    # Only a line break that starts the answer opens a block; otherwise the first line ends it.
    assert enough(gen("z\n", multiline=False, doc=doc))


def test_multi_line_stops_at_a_blank_line_after_the_block() -> None:
    assert not enough(gen("y = x\n    z = y\n"))
    assert enough(gen("y = x\n\n"))


def test_multi_line_stops_when_the_model_retypes_the_line_below() -> None:
    assert enough(gen("y = 1\n    return y\n"))
    assert not enough(gen("y = 1\n    z = y\n"))


def test_soft_deadline_needs_a_complete_line() -> None:
    late = gen("y = x\n")
    late.started = time.monotonic() - SOFT_DEADLINE_S - 1
    assert enough(late)
    partial = gen("y = x")
    partial.started = late.started
    assert not enough(partial)


def test_only_a_line_break_makes_the_rules_read_the_answer_again() -> None:
    # The first line was complete when its break arrived; that check decided (no stop then
    # would mean none now): a delta without a break does not re-read the whole answer.
    assert not complete_enough(gen("y = x\nz", multiline=False), "z")
    assert complete_enough(gen("y = x\r\r"), "\r")  # a CR breaks a line too


@pytest.mark.parametrize(
    ("doc", "text", "multiline"),
    [
        pytest.param(TEXT, "y = x\n    z = y\n\n    w = 1\n", True, id="blank-line"),
        pytest.param(TEXT, "y = 1\n    return y\n    q\n", True, id="retyped-below"),
        pytest.param(TEXT, "y = x\r\n    z\r\n\r\nmore", True, id="crlf"),
        pytest.param(TEXT, "```python\ny = 1\n```\nmore\n", True, id="fenced"),
        pytest.param(TEXT, "y = x\nz\n", False, id="single-line"),
        pytest.param("def f(x):\n    y = x|return y\n", "\n    z = y\n\nw\n", False, id="in-front"),
    ],
)
def test_checking_at_line_breaks_stops_where_checking_every_character_did(
    doc: str, text: str, multiline: bool
) -> None:
    g = gen("", multiline, doc)
    every = next(
        (i for i in range(len(text)) if should_stop(text[: i + 1], g.ctx, multiline)), None
    )
    gated = None
    for i, char in enumerate(text):
        g.text = text[: i + 1]
        if complete_enough(g, char):
            gated = i
            break
    assert gated == every


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
