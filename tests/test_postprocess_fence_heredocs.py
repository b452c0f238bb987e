"""A fence the model wraps its answer in, in code after docstrings and heredocs: whether the
cursor is in a string that may hold the fence is read from the triple quotes before it, also
where the window of lines read starts inside one, and where the prompt itself is trimmed
inside an Elixir heredoc (one alone on its line closes there)."""

from __future__ import annotations

from codestral_lsp import context
from codestral_lsp.postprocess import clean

BUDGET = context.Budget().prefix_chars
FENCED = "```elixir\n    {:ok, state}\n```\n"


def shown(prefix: str, raw: str, language: str = "elixir") -> str:
    uri = f"file:///w/f{context.EXTENSIONS.get(language, '')}"
    ctx = context.build(prefix + "\n  end\nend\n", len(prefix), uri, language=language)
    return clean(raw, ctx, multiline=True)


def documented(count: int) -> str:
    """Functions each under an ``@doc`` heredoc of a dozen lines."""
    doc = "".join(f"  Line {n} of the documentation.\n" for n in range(12))
    return "".join(
        f'  @doc """\n{doc}  """\n  def f{n}(x) do\n    x + {n}\n  end\n\n' for n in range(count)
    )


def cursor_after(above: str) -> str:
    return "defmodule M do\n" + above + "  def init(state) do\n    state = reset(state)\n"


def test_after_many_heredocs_the_fence_goes() -> None:
    prefix = cursor_after(documented(8))
    assert len(prefix) < BUDGET
    assert shown(prefix, FENCED) == "    {:ok, state}"


def test_in_a_window_trimmed_inside_a_heredoc_the_fence_goes() -> None:
    prefix = cursor_after(documented(BUDGET // 300))
    ctx = context.build(prefix, len(prefix), "file:///w/f.ex", language="elixir")
    window_start = ctx.prefix.split("\n", 1)[0]
    assert ctx.offset > len(ctx.prefix)
    assert window_start.startswith("  Line ")  # the window starts inside a heredoc
    assert shown(prefix, FENCED) == "    {:ok, state}"


def test_inside_a_heredoc_the_fence_stays() -> None:
    prefix = "defmodule M do\n" + documented(3) + '  @doc """\n  Example:\n\n'
    assert shown(prefix, "```elixir\nM.f0(1)\n```") == "```elixir\nM.f0(1)\n```"


def python_methods(count: int, doc_lines: int = 6) -> str:
    """Methods each with a docstring whose closing quotes stand alone (PEP 257)."""
    doc = "".join(f"        Detail {n} of what it does.\n" for n in range(doc_lines))
    return "".join(
        f'    def m{n}(self):\n        """Summary {n}.\n\n{doc}        """\n        return {n}\n\n'
        for n in range(count)
    )


def python_shown(prefix: str, raw: str) -> str:
    ctx = context.build(prefix + "\n", len(prefix), "file:///w/f.py", language="python")
    return clean(raw, ctx, multiline=False)


def test_python_window_trimmed_inside_a_docstring_the_fence_goes() -> None:
    prefix = "class C:\n" + python_methods(BUDGET // 200) + "    def run(self):\n        x = "
    ctx = context.build(prefix, len(prefix), "file:///w/f.py", language="python")
    assert ctx.offset > len(ctx.prefix)
    first_quotes = ctx.prefix[: ctx.prefix.index('"""') + 3]
    assert first_quotes.rsplit("\n", 1)[-1] == '        """'  # it closes a docstring
    assert python_shown(prefix, "```python\nself.m0()\n```") == "self.m0()"


def test_python_window_trimmed_before_a_template_string_the_fence_goes() -> None:
    template = 'TEMPLATE = """\n' + "".join(f"line {n}\n" for n in range(20)) + '"""\n\n'
    filler = "".join(f"value_{n} = {n}\n" for n in range(BUDGET // 12))
    prefix = filler + template + "def run():\n    x = "
    assert python_shown(prefix, "```python\nTEMPLATE.strip()\n```") == "TEMPLATE.strip()"


def test_a_docstring_title_underlined_with_tildes_is_no_fence() -> None:
    prefix = '"""\nrequests.compat\n~~~~~~~~~~~~~~~\n\nCompatibility.\n"""\n\nnumbers = '
    assert python_shown(prefix, "```\n(int, float)\n```") == "(int, float)"


def window_starting_at(line: str, body: str) -> str:
    """A prompt ending in a method after ``body``, whose window of lines read starts at
    ``line``: a comment in the method, of the length that puts the window's start there."""
    for pad in range(400):
        prefix = body + "    def run(self):\n        # " + "x" * pad + "\n        "
        ctx = context.build(prefix, len(prefix), "file:///w/f.py", language="python")
        if ctx.offset > len(ctx.prefix) and ctx.prefix.startswith(line + "\n"):
            return prefix
    raise AssertionError("no filler puts the window's start there")


def test_python_window_starting_at_closing_quotes_the_fence_goes() -> None:
    # Nothing above the quotes tells whether they open or close: the next ones, a docstring's
    # opening under its ``def``, show that these close one.
    body = python_methods(BUDGET // 200)
    prefix = window_starting_at('        """', body)
    assert python_shown(prefix, "```python\n        self.m0()\n```") == "self.m0()"


def test_python_closing_quotes_under_a_returns_section_close_the_docstring() -> None:
    # ``bool:`` ends the line above the quotes, deeper than them: no ``def`` head.
    returns = "        Returns:\n            bool:\n"
    doc = "".join(f"        Detail {n}.\n" for n in range(6)) + returns
    body = "".join(
        f'    def m{n}(self):\n        """Summary {n}.\n\n{doc}        """\n        return {n}\n\n'
        for n in range(BUDGET // 200)
    )
    prefix = window_starting_at("            bool:", body)
    assert python_shown(prefix, "```python\n        self.m0()\n```") == "self.m0()"
