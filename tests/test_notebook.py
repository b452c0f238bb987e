"""A notebook read as one script: cells joined in jupytext's percent format, only the cursor
cell's language, markdown as comments, bounded by the budgets; and the prompt built around a
cell keeps the cell's own offset and cursor line."""

from __future__ import annotations

import pytest

from codestral_lsp.context import build
from codestral_lsp.notebook import MARKDOWN_CHARS, Cell, around, script_name

PY, MD = "python", "markdown"


@pytest.mark.parametrize(
    ("cells", "index", "before", "after"),
    [
        pytest.param([Cell("x = 1", PY)], 0, "# %%\n", "", id="alone"),
        pytest.param(
            [Cell("a = 1", PY), Cell("b = 2", PY), Cell("c = 3", PY)],
            1,
            "# %%\na = 1\n\n# %%\n",
            "\n\n# %%\nc = 3",
            id="middle",
        ),
        pytest.param(
            [Cell("b = 2\n", PY), Cell("c = 3", PY)],
            0,
            "# %%\n",
            "\n# %%\nc = 3",
            id="cell-ending-in-a-line-break",
        ),
        pytest.param(
            [Cell("# Title\n\nSome *text*.", MD, code=False), Cell("x", PY)],
            1,
            "# %% [markdown]\n# # Title\n#\n# Some *text*.\n\n# %%\n",
            "",
            id="markdown-as-comments",
        ),
        pytest.param(
            [Cell("SELECT 1", "sql"), Cell("x", PY), Cell("%%bash\nls", "shellscript")],
            1,
            "# %%\n",
            "",
            id="other-languages-left-out",
        ),
        pytest.param(
            [Cell("let a = 1;", "javascript"), Cell("let b", "javascript")],
            1,
            "// %%\nlet a = 1;\n\n// %%\n",
            "",
            id="the-languages-comment",
        ),
        pytest.param(
            [
                Cell("notes", MD, code=False),
                Cell("(def a 1)", "clojure"),
                Cell("(def b", "clojure"),
            ],
            2,
            "(def a 1)\n\n",
            "",
            id="no-known-comment-no-markers-no-markdown",
        ),
        pytest.param(
            [Cell("   \n", PY), Cell("x", PY), Cell("", PY)], 1, "# %%\n", "", id="empty-cells"
        ),
    ],
)
def test_around(cells: list[Cell], index: int, before: str, after: str) -> None:
    assert around(cells, index, 1000, 1000) == (before, after)


def test_around_stops_once_the_budget_is_covered() -> None:
    cells = [Cell(f"v{i} = {i}", PY) for i in range(100)]
    before, after = around(cells, 50, 30, 12)
    # Whole cells, at least the budget when there is that much: the prompt trims the rest.
    assert before == "# %%\nv48 = 48\n\n# %%\nv49 = 49\n\n# %%\n"
    assert after == "\n\n# %%\nv51 = 51"


def test_a_long_markdown_cell_lends_its_head() -> None:
    text = "\n".join(f"line {i} of a long explanation" for i in range(100))
    before, _ = around([Cell(text, MD, code=False), Cell("x", PY)], 1, 10_000, 0)
    assert before.startswith("# %% [markdown]\n# line 0 of a long explanation\n")
    assert MARKDOWN_CHARS - 40 < len(before) < MARKDOWN_CHARS + 200
    assert before.endswith(" explanation\n\n# %%\n")


@pytest.mark.parametrize(
    ("path", "language", "shown"),
    [
        pytest.param("reports/analysis.ipynb", "python", "reports/analysis.py", id="python"),
        pytest.param("q.ipynb", "sql", "q.sql", id="sql"),
        pytest.param("Untitled-1.ipynb", "python", "Untitled-1.py", id="untitled"),
        pytest.param("a.ipynb", "brainfuck", "a.ipynb", id="unknown-language"),
    ],
)
def test_script_name(path: str, language: str, shown: str) -> None:
    assert script_name(path, language) == shown


def test_a_cell_prompt_keeps_the_cells_offset_and_line() -> None:
    ctx = build("a = 1\nb = ", 10, "cell", before="# %%\nx\n\n# %%\n", after="\n\n# %%\ny")
    assert (ctx.offset, ctx.line_prefix, ctx.line_suffix) == (10, "b = ", "")
    assert ctx.prefix == "# %%\nx\n\n# %%\na = 1\nb = "
    assert ctx.suffix == "\n\n# %%\ny"


def test_a_cell_prompt_is_trimmed_as_a_file_is() -> None:
    before = "".join(f"# %%\nv{i} = {i}\n\n" for i in range(50)) + "# %%\n"
    ctx = build("x = ", 4, "cell", before=before, prefix_chars=40, suffix_chars=10)
    # The last 40 characters, from a line start.
    assert ctx.prefix == "\n# %%\nv48 = 48\n\n# %%\nv49 = 49\n\n# %%\nx = "
