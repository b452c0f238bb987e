"""Over-closing when the prompt is trimmed: what the window starts inside is unknown, so a closer
with nothing open for it in the window is cut only where the window shows it is not inside a
long call or list (a line of code at column 0, or a statement in a block: a brace open around
the cursor's line, or nothing open and the line above not going on into it), and ``}`` only
where it would close another kind of bracket the window shows open. Where braces hold
values (Python's dicts, Elixir's and Erlang's tuples, Lua's tables), a statement's line
closes only what it opened, braces too, and in Elixir and Erlang a clause's ``->`` ends the
line above a statement; a window that starts inside a docstring is read from the
docstring's end."""

from __future__ import annotations

from codestral_lsp import context
from codestral_lsp.postprocess import clean

BUDGET = context.Budget().prefix_chars


def shown(above: str, line: str, raw: str, language: str = "python") -> str:
    prefix = above + line
    assert len(prefix) > BUDGET  # the prompt is trimmed
    uri = f"file:///w/f{context.EXTENSIONS.get(language, '')}"
    ctx = context.build(prefix + "\n", len(prefix), uri, language=language)
    assert ctx.offset != len(ctx.prefix)
    return clean(raw, ctx, multiline=False)


def test_a_long_list_the_window_starts_inside_may_be_closed() -> None:
    rows = "".join(f"    [{n}, {n + 1}],\n" for n in range(0, BUDGET // 4, 2))
    assert shown("GRID = [\n" + rows, "    [98, 99", "]]") == "]]"


def test_after_code_at_column_0_the_window_counts() -> None:
    functions = "".join(f"def f{n}(x):\n    return g(x, {n})\n\n\n" for n in range(BUDGET // 30))
    assert shown(functions, "total = compute(a, max(b, c", ")))") == "))"


def test_a_brace_is_not_judged_in_a_trimmed_window() -> None:
    functions = "".join(f"function f{n}() {{ return {n}; }}\n" for n in range(BUDGET // 25))
    line = "const table = { a: 1, b: h(1"
    assert shown(functions, line, ")}}", language="javascript") == ")}}"
    assert shown(functions, line, ")))", language="javascript") == ")"


def test_a_statement_deep_in_a_long_method_counts_its_own_line() -> None:
    calls = "".join(f"        Register(items[{n}], Lookup({n}));\n" for n in range(BUDGET // 30))
    above = "    void Load()\n    {\n" + calls + "\n"
    line = "        if (!IsAccessible(symbol"
    assert shown(above, line, ")))", language="csharp") == "))"
    assert shown(above + "    {\n", line, ")))", language="csharp") == "))"


def test_a_long_list_of_a_brace_language_may_be_closed_on_its_last_row() -> None:
    rows = "".join(f"  [{n}, {n + 1}],\n" for n in range(0, BUDGET // 4, 2))
    line = "  [98, 99"
    assert shown("const GRID = [\n" + rows, line, "]];", language="javascript") == "]];"


def methods(count: int, doc_lines: int = 0) -> str:
    """A class body's methods, each maybe with a docstring whose closing quotes stand alone."""
    doc = "".join(f"        Detail {n} (of what it does.\n" for n in range(doc_lines))
    docstring = f'        """Summary.\n\n{doc}        """\n' if doc_lines else ""
    return "".join(
        f"    def m{n}(self):\n{docstring}        return g(self, {n})\n\n" for n in range(count)
    )


def test_a_python_statement_deep_in_a_class_is_judged() -> None:
    above = "    " + methods(BUDGET // 40).lstrip()
    assert shown(above, "        total = compute(a, max(b, c", ")))") == "))"


def test_a_python_window_trimmed_inside_a_docstring_is_read_from_its_end() -> None:
    above = "    " + methods(BUDGET // 200, doc_lines=6).lstrip()
    window = context.build(above, len(above), "file:///w/f.py", language="python").prefix
    assert window.lstrip().startswith("Detail")  # the window starts inside a docstring
    assert shown(above, "        total = compute(a, max(b, c", ")))") == "))"


def test_a_python_row_of_a_long_list_may_close_it() -> None:
    rows = "".join(f"    ({n}, {n + 1}),\n" for n in range(0, BUDGET // 4, 2))
    assert shown("PAIRS = [\n" + rows, "    (98, 99", ")]") == ")]"


def test_a_jsx_attribute_closes_only_what_it_opened_in_a_trimmed_window() -> None:
    item = '        <Item key="{0}" label={{labels[{0}]}} />\n'
    items = "".join(item.format(n) for n in range(BUDGET // 40))
    above = "export function List() {\n  return (\n      <ul>\n" + items + "        <Toolbar\n"
    line = "          hideToolbar={hideToolbar}\n          prefixCls="
    assert shown(above, line, "{prefixCls}}", language="typescriptreact") == "{prefixCls}"
    assert shown(above, line, "{cls(a, b)}", language="typescriptreact") == "{cls(a, b)}"


def test_a_brace_that_would_close_an_open_parenthesis_goes_in_a_trimmed_window() -> None:
    rules = "".join(f".c{n} {{\n  color: #{{$c{n}}};\n}}\n" for n in range(BUDGET // 20))
    above = rules + '.button {\n  background-color: hsl(\n    #{getVar("h")},\n'
    line = "    #{getVar("
    assert shown(above, line, '"s")}},', language="scss") == '"s")},'
    assert shown(above, line, '"s")},', language="scss") == '"s")},'


def test_doc_comments_above_the_line_do_not_hide_its_statement_level() -> None:
    method = "    /// Returns {0}.\n    #[inline]\n    fn m{0}(&self) -> u32 {{ {0} }}\n"
    above = "pub trait T {\n" + "".join(method.format(n) for n in range(BUDGET // 60))
    doc = "    /// Reads a number.\n    ///\n    /// ```\n    /// let x = [0; 8];\n    /// ```\n"
    line = doc + "    #[inline]"
    assert shown(above, line, "]", language="rust") == ""
    assert shown(above, line.replace("inline]", "cfg(test"), ")]]", language="rust") == ")]"


def elixir_module() -> str:
    """A module's functions, each a ``case`` with clauses, enough to trim the prompt."""
    return "defmodule Files do\n" + "".join(
        f"  def read{n}(path) do\n    case File.read(path) do\n"
        f"      {{:ok, data}} ->\n        {{:ok, String.trim(data)}}\n\n"
        f"      {{:error, reason}} ->\n        {{:error, {{reason, {n}}}}}\n    end\n  end\n\n"
        for n in range(BUDGET // 150)
    )


def test_an_elixir_clause_body_closes_only_what_it_opened() -> None:
    above = elixir_module() + "  def show(path) do\n    case File.ls(path) do\n"
    above += "      {:error, :enoent} ->\n"
    line = "        IO.puts(IEx.color"
    assert shown(above, line, "(:eval_error, path)))", language="elixir") == "(:eval_error, path))"


def test_an_elixir_tuple_at_a_statement_closes_only_what_it_opened() -> None:
    above = elixir_module() + "  defp to_matchable(version, allow_pre?) do\n"
    line = "    {version.major, version.minor"
    raw = ", allow_pre?}}"
    assert shown(above, line, raw, language="elixir") == ", allow_pre?}"


def test_a_lisp_window_trimmed_inside_a_long_form_keeps_the_closer_of_a_form_above_it() -> None:
    # The window shows no top-level start: its outermost form gives the columns, and a
    # closer with nothing in sight open for it closes the library the window starts inside.
    defines = "".join(f"  (define (f{n} x)\n    (g x {n}))\n" for n in range(BUDGET // 30))
    prefix = "(library (rnrs fx (6))\n  (export f0)\n" + defines + "  (define (last x)\n    (g x"
    assert len(prefix) > BUDGET
    text = prefix + "\n\n(define (after) 1)\n"
    ctx = context.build(text, len(prefix), "file:///w/f.scm", language="scheme")
    assert clean(")))", ctx, multiline=False) == ")))"


def _lisp_list(last: str, after: str) -> context.Context:
    """A trimmed window inside a long quoted list of rows, the cursor after ``last``."""
    rows = "".join(f'    ("type/x-{n}" "x{n}")\n' for n in range(BUDGET // 20))
    prefix = "(defparameter *types*\n  '(\n" + rows + last
    assert len(prefix) > BUDGET and "\n(" not in prefix[-BUDGET:]
    return context.build(prefix + after, len(prefix), "file:///w/f.lisp", language="lisp")


def test_lisp_row_closing_an_unseen_list_its_next_row_is_in_loses_that_closer() -> None:
    ctx = _lisp_list('    ("type/last" "last"', '\n    ("type/after" "after")))\n')
    assert clean("))", ctx, multiline=False) == ")"
    ctx = _lisp_list('    ("type/last" "last")', '\n    ("type/after" "after")))\n')
    assert clean(')\n    ("type/next" "next")', ctx, multiline=True) == '\n    ("type/next" "next")'


def test_lisp_row_closing_an_unseen_list_before_a_top_level_form_keeps_its_closers() -> None:
    ctx = _lisp_list('    ("type/last" "last"', "\n\n(defun f () nil)\n")
    assert clean(")))", ctx, multiline=False) == ")))"


def test_an_endif_is_not_judged_against_the_code_below_in_a_trimmed_window() -> None:
    """The window hides the include guard and the C++ guard opened at the file's start, whose
    ``#endif`` lines the code below holds: the answer's ``#endif`` closing the ``#ifdef Y``
    on the cursor's line is its own, though the lines it ends stand so in the window."""
    declarations = "".join(f"int f{n}(void);\n" for n in range(BUDGET // 14))
    above = '#ifndef BIG_H\n#define BIG_H\n#ifdef __cplusplus\nextern "C" {\n#endif\n'
    prefix = above + declarations + "#ifdef X\nint x(void);\n#endif\n#ifdef Y"
    suffix = "\n\n#ifdef __cplusplus\n}\n#endif\n#endif /* BIG_H */\n"
    ctx = context.build(prefix + suffix, len(prefix), "file:///w/big.h", language="c")
    assert ctx.offset != len(ctx.prefix)
    assert clean("\nint x(void);\n#endif", ctx, multiline=True) == "\nint x(void);\n#endif"
