"""Generation.typed_since: which later cursors continue a suggestion's, with editors' bracket
pairing (closers put after the cursor, closers stepped over, Enter between braces); and
Generation.beyond: what the raw answer holds past the suggestion shown."""

from __future__ import annotations

import pytest

from codestral_lsp import context
from codestral_lsp.generation import Generation

URI = "file:///work/a.py"


def typed(before: str, after: str, now_before: str, now_after: str) -> str | None:
    """What ``typed_since`` says of the document ``now_before|now_after`` for a suggestion made
    at ``before|after``."""
    old = context.build(before + after, len(before), URI)
    new = context.build(now_before + now_after, len(now_before), URI)
    return Generation(ctx=old, multiline=True, text="print(len(items))").typed_since(new)


HEAD = "def f(items):\n    "
TAIL = "\n    return 0\n"


@pytest.mark.parametrize(
    ("now_before", "now_after", "expected"),
    [
        (HEAD + "pri", TAIL, "pri"),  # plain typing
        (HEAD + "print(", ")" + TAIL, "print("),  # the editor closed the "("
        (HEAD + "print(len(", "))" + TAIL, "print(len("),  # and the next one
        (HEAD + "print(len(items)", ")" + TAIL, "print(len(items)"),  # one stepped over
        (HEAD + "print", ")" + TAIL, None),  # a ")" with no "(" typed is another edit
        (HEAD + "print(", "]" + TAIL, None),  # not the closer of what was typed
        (HEAD + "print(", "x)" + TAIL, None),  # code, not a closer
        (HEAD + "pri", "nt" + TAIL, None),  # text after the cursor changed
    ],
)
def test_bracket_pairing_keeps_a_suggestion_going(
    now_before: str, now_after: str, expected: str | None
) -> None:
    assert typed(HEAD, TAIL, now_before, now_after) == expected


def test_a_closer_or_quote_stepped_over_was_typed() -> None:
    before, after = 'printf("', '");\n'
    assert typed(before, after, 'printf("%d"', ");\n") == '%d"'
    # The cursor moved over the quote without typing it: another edit.
    assert typed(before, after, 'printf("%d', ");\n") is None


def test_enter_between_braces_moves_the_closer_down() -> None:
    before, after = "function f(a) {", "}\n"
    assert typed(before, after, "function f(a) {\n  ", "\n}\n") == "\n  "
    # A line break after the cursor with none typed is another edit.
    assert typed(before, after, "function f(a) {x", "\n}\n") is None


# The rules show the function's line; the answer went on past a blank line into the next one.
ANSWER = "return 3.14 * r * r\n\n\ndef perimeter(r):\n    return 2 * 3.14 * r\n"


def finished(answer: str = ANSWER) -> Generation:
    ctx = context.build("def area(r):\n    ", len("def area(r):\n    "), URI)
    gen = Generation(ctx=ctx, multiline=True, text=answer)
    gen.finish()
    return gen


@pytest.mark.parametrize(
    ("typed", "rest"),
    [
        ("return 3.14 * r * r\n\n\n", "def perimeter(r):\n    return 2 * 3.14 * r\n"),
        ("return 3.14 * r * r\n\n\ndef ", "perimeter(r):\n    return 2 * 3.14 * r\n"),
        ("return 3.14 * r * r\n\n\ndef area", ""),  # typed away from the answer
        ("return 3.14", ""),  # within the suggestion shown: it goes on as it is
        ("", ""),
    ],
)
def test_beyond_is_the_answer_past_what_was_typed(typed: str, rest: str) -> None:
    gen = finished()
    assert gen.shown == "return 3.14 * r * r"
    assert gen.beyond(typed) == rest


def test_beyond_needs_a_whole_answer() -> None:
    typed = "return 3.14 * r * r\n\n\n"
    streaming = Generation(ctx=finished().ctx, multiline=True, text=ANSWER)
    assert streaming.beyond(typed) == ""
    cut_off = finished()
    cut_off.cancelled = True
    assert cut_off.beyond(typed) == ""
