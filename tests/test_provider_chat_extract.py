"""The chat hole-filler's extraction on answers chat models really give."""

from __future__ import annotations

import pytest

from codestral_lsp.providers.holefill import HOLE, extract, messages

PREFIX = "def add(a, b):\n    return "
INDENTED = "class Stack:\n    def push(self, item):\n        "
LINE_START = "import os\n\n\ndef main():\n"

CASES = [
    # (answer, prefix, expected)
    ("a + b", PREFIX, "a + b"),
    ("```python\na + b\n```", PREFIX, "a + b"),
    ("```\na + b\n```", PREFIX, "a + b"),
    ("Here is the missing code:\n\n```python\na + b\n```", PREFIX, "a + b"),
    (
        "Sure! Here's the completion for `add(a, b)`:\n```py\na + b\n```\n"
        "This returns the sum of both arguments.",
        PREFIX,
        "a + b",
    ),
    ("Here is the code:\na + b", PREFIX, "a + b"),
    ("a + b\n\nThis completes the function.", PREFIX, "a + b"),
    # The whole line typed again, with or without its indentation.
    ("    return a + b", PREFIX, "a + b"),
    ("return a + b", PREFIX, "a + b"),
    ("```python\n    return a + b\n```", PREFIX, "a + b"),
    # The lines above the cursor typed again.
    ("def add(a, b):\n    return a + b", PREFIX, "a + b"),
    ("```python\ndef add(a, b):\n    return a + b\n```", PREFIX, "a + b"),
    # Cursor after indentation: keep the answer's own deeper indentation, drop the repeat.
    ("        self.items.append(item)", INDENTED, "self.items.append(item)"),
    (
        "    def push(self, item):\n        self.items.append(item)",
        INDENTED,
        "self.items.append(item)",
    ),
    # Cursor at the start of a line: the answer's indentation is the code's.
    ('    print(os.getcwd())\n\n\nif __name__ == "__main__":\n    main()', LINE_START, None),
    ("def main():\n    print(os.getcwd())", LINE_START, "    print(os.getcwd())"),
    # Multi-line code with its own blank line and comment survives.
    (
        "```python\nresult = a + b\n\n    # sum\n    return result\n```",
        "def add(a, b):\n    ",
        "result = a + b\n\n    # sum\n    return result",
    ),
    # A closer like the line above is the code going on (the class's end), not a copy of it.
    (
        "end\n  class B < StandardError\n  end",
        "module M\n  class A < StandardError\n    def f\n    end\n  ",
        "end\n  class B < StandardError\n  end",
    ),
    ("}\n    throw new Error(name);", "function f(name) {\n    if (name) {\n    }\n    ", None),
    # The marker echoed back.
    (f"a + b{HOLE}", PREFIX, "a + b"),
    # A fence cut off by max_tokens.
    ("```python\na + b\nprint(", PREFIX, "a + b\nprint("),
    # Inside a docstring prose is the completion.
    ("This module adds numbers.", '"""', "This module adds numbers."),
    ("Here is the code:\n\nThe sum of a and b.", '    """', "The sum of a and b."),
    # Nothing to add.
    ("", PREFIX, ""),
    ("```\n```", PREFIX, ""),
]


@pytest.mark.parametrize(("answer", "prefix", "expected"), CASES)
def test_extract(answer: str, prefix: str, expected: str | None) -> None:
    assert extract(answer, prefix) == (answer if expected is None else expected)


def test_code_lines_are_never_taken_for_prose() -> None:
    answer = "The = 3\nthis.value = 1;\nif x:\n    return 1."
    assert extract(answer, "") == answer


def test_crlf_answers() -> None:
    assert extract("```python\r\na + b\r\n```\r\n", PREFIX) == "a + b"


def test_messages_mark_the_hole_and_name_the_file() -> None:
    system, user = messages(PREFIX, "\n", "src/add.py")
    assert HOLE in system["content"]
    assert f"{PREFIX}{HOLE}\n" in user["content"]
    assert "src/add.py" in user["content"]
