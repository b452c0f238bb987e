"""Which trailing comments the rules look past when they read how a line of code ends."""

from __future__ import annotations

import pytest

from codestral_lsp.postprocess.brackets import without_trailing_comment


@pytest.mark.parametrize(
    ("line", "language", "expected"),
    [
        ("if (x) { // why", "c", "if (x) {"),
        ("f(a, /* b */", "c", "f(a,"),
        ("def f():  # c", "python", "def f():"),
        ("local t = { -- x", "lua", "local t = {"),
        ("(defun f () ; c", "emacs-lisp", "(defun f ()"),
        ("foo() ->  % c", "erlang", "foo() ->"),
        ("\\def\\x{%", "latex", "\\def\\x{"),
        # No comment: an operator, a URL, a shell variable, a regular expression, a string.
        ("x = a // (", "python", "x = a // ("),
        ('url = "http://x" {', "c", 'url = "http://x" {'),
        ("echo $# {", "shellscript", "echo $# {"),
        (
            "(?:\\#(#{fragment}))?   (?# 9: fragment)",
            "ruby",
            "(?:\\#(#{fragment}))?   (?# 9: fragment)",
        ),
        ("50\\% {", "latex", "50\\% {"),
        ('x = "{ // "', "c", 'x = "{ // "'),
        ("i--", "c", "i--"),
    ],
)
def test_without_trailing_comment(line: str, language: str, expected: str) -> None:
    assert without_trailing_comment(line, language) == expected
