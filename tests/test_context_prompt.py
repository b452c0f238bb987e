"""Prompt budgets, the file-path header and other open documents' snippets."""

from __future__ import annotations

from codestral_lsp import context
from codestral_lsp.context import Budget, OtherFile
from codestral_lsp.recent import RecentEdits

HELPER = "".join(f"def helper_{i}(value):\n    return value * {i}\n\n" for i in range(200))


def test_default_budget_shares_the_prompt() -> None:
    budget = Budget()
    assert budget.prefix_chars == context.token_budget_chars(1650)
    assert budget.suffix_chars == context.token_budget_chars(450)
    assert budget.other_chars == context.token_budget_chars(900)


def test_prefix_keeps_a_minimum_share() -> None:
    budget = Budget(prompt_tokens=1000, suffix_share=0.6, other_files_share=0.6)
    assert budget.prefix_chars == context.token_budget_chars(100)


def test_budget_trims_prefix_and_suffix_at_line_boundaries() -> None:
    text = "".join(f"line {i}\n" for i in range(1000))
    offset = text.index("line 500")
    ctx = context.build(text, offset, "file:///a.py", budget=Budget(200, 0.2, 0.0))
    assert len(ctx.prefix) <= Budget(200, 0.2, 0.0).prefix_chars
    assert ctx.prefix.startswith("line ") and ctx.prefix.endswith("line 499\n")
    assert len(ctx.suffix) <= Budget(200, 0.2, 0.0).suffix_chars
    assert ctx.suffix.startswith("line 500\n") and ctx.suffix.endswith("\n")


def test_header_names_the_file_and_adds_the_stop() -> None:
    ctx = context.build("x = 1\n", 6, "file:///w/pkg/a.py", shown_path="pkg/a.py")
    assert ctx.prompt == "+++++ pkg/a.py\nx = 1\n"
    assert ctx.prefix == "x = 1\n"
    assert ctx.stops == ("\n+++++ ",)


def test_no_path_no_header() -> None:
    ctx = context.build("x = 1\n", 6, "untitled:1")
    assert ctx.prompt == ctx.prefix
    assert ctx.stops == ()


def test_an_unsaved_buffer_gets_its_language_extension_unless_it_has_one() -> None:
    assert context.unsaved_name("Untitled-1", "python") == "Untitled-1.py"
    assert context.unsaved_name("Untitled-1", "typescriptreact") == "Untitled-1.tsx"
    assert context.unsaved_name("notes.txt", "python") == "notes.txt"
    assert context.unsaved_name("Untitled-1", "plaintext") == "Untitled-1"


def test_other_files_come_first_in_multi_file_blocks() -> None:
    others = [OtherFile("lib/b.py", "B = 2\n" * 40), OtherFile("lib/c.py", "C = 3\n" * 40)]
    ctx = context.build("x = 1\n", 6, "file:///w/a.py", shown_path="a.py", others=others)
    blocks = ctx.header.split("\n\n")
    assert [b.split("\n", 1)[0] for b in blocks] == [
        "+++++ lib/b.py",
        "+++++ lib/c.py",
        "+++++ a.py",
    ]
    assert blocks[0] == "+++++ lib/b.py\n" + ("B = 2\n" * 40).strip("\n")
    assert ctx.prompt.endswith("+++++ a.py\nx = 1\n")


def test_other_files_stay_within_their_share() -> None:
    budget = Budget(prompt_tokens=2000, suffix_share=0.1, other_files_share=0.2)
    others = [OtherFile(f"h{i}.py", HELPER) for i in range(3)]
    ctx = context.build(
        "x = 1\n", 6, "file:///w/a.py", shown_path="a.py", others=others, budget=budget
    )
    own = "+++++ a.py\n"
    assert len(ctx.header) - len(own) <= budget.other_chars
    assert ctx.header.count("+++++ h") == 3


def test_at_most_three_other_files_and_never_the_file_itself() -> None:
    others = [OtherFile("a.py", HELPER)] + [OtherFile(f"h{i}.py", HELPER) for i in range(5)]
    ctx = context.build("x = 1\n", 6, "file:///w/a.py", shown_path="a.py", others=others)
    assert ctx.header.count("+++++ ") == 4
    assert "+++++ h2.py" in ctx.header
    assert "+++++ h3.py" not in ctx.header
    assert ctx.header.count("+++++ a.py") == 1


def test_tiny_snippets_are_skipped() -> None:
    others = [OtherFile("tiny.py", "x = 1\n"), OtherFile("big.py", HELPER)]
    ctx = context.build("y\n", 2, "file:///w/a.py", shown_path="a.py", others=others)
    assert "tiny.py" not in ctx.header
    assert "+++++ big.py" in ctx.header


def test_snippet_is_centred_on_the_last_edit_in_whole_lines() -> None:
    offset = HELPER.index("def helper_150(")
    piece = context.snippet(HELPER, offset, 400)
    assert "def helper_150(" in piece
    assert len(piece) <= 400
    assert piece.startswith("def helper_") or piece.startswith("    return") or piece[0] == "\n"
    assert piece.endswith("\n")
    assert context.snippet(HELPER, None, 400).startswith("def helper_0(")


def test_display_path_is_workspace_relative() -> None:
    assert context.display_path("/home/u/proj/src/m.py", ["/home/u/proj"]) == "src/m.py"
    assert context.display_path("/elsewhere/deep/dir/m.py", ["/home/u/proj"]) == "dir/m.py"
    assert context.display_path("", ["/home/u/proj"]) == ""


def test_request_parts_per_wire() -> None:
    others = [OtherFile("lib/b.py", "B = 2\n" * 40)]
    ctx = context.build("x = 1\n", 6, "file:///w/a.py", shown_path="a.py", others=others)
    snippet_b = ("lib/b.py", ("B = 2\n" * 40).strip("\n"))
    for wire in ("mistral", "openai", "ollama"):
        assert context.request_parts(ctx, wire) == (ctx.prompt, ("\n+++++ ",), ())
    assert context.request_parts(ctx, "llamacpp") == ("x = 1\n", (), (snippet_b,))
    assert context.request_parts(ctx, "chat") == ("x = 1\n", (), ())


def test_recent_edits_order_most_recent_first_then_never_edited() -> None:
    recent = RecentEdits(limit=3)
    recent.touch("a", 1)
    recent.touch("b", None)
    recent.touch("a", 7)
    assert recent.ordered(["c", "b", "a"]) == [("a", 7), ("b", None), ("c", None)]
    recent.forget("a")
    assert recent.ordered(["c", "b", "a"]) == [("b", None), ("c", None), ("a", None)]
    for uri in "defg":
        recent.touch(uri, 0)
    assert [uri for uri, _ in recent.ordered(list("bdefg"))] == ["g", "f", "e", "b", "d"]
