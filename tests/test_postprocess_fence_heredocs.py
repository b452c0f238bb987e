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
