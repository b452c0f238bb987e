"""Golden cases for every post-processing rule, kept as data in ``tests/golden/*.toml``.

Each case gives the text before and after the cursor, the raw model output and what must be
shown. Every case is checked three ways: the final rules on the whole output, the stream (one
character at a time through ``should_stop``, then the final rules, as the engine runs them),
and the rules applied a second time (the engine cleans what it serves again).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from codestral_lsp import context
from codestral_lsp.postprocess import clean, replace_length, should_stop, wants_multiline

GOLDEN = Path(__file__).parent / "golden"


def load(name: str) -> list[dict[str, Any]]:
    with (GOLDEN / name).open("rb") as f:
        cases: list[dict[str, Any]] = tomllib.load(f)["case"]
    return cases


def rule_cases() -> list[Any]:
    params = []
    for path in sorted(GOLDEN.glob("*.toml")):
        if path.name == "line_policy.toml":
            continue
        for case in load(path.name):
            params.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return params


def build(case: dict[str, Any]) -> context.Context:
    language = case.get("language", "python")
    text = case["prefix"] + case["suffix"]
    uri = f"file:///work/golden{context.EXTENSIONS.get(language, '')}"
    return context.build(text, len(case["prefix"]), uri, language=language)


def streamed(raw: str, ctx: context.Context, multiline: bool) -> str:
    text = ""
    for char in raw:
        text += char
        if should_stop(text, ctx, multiline):
            break
    return text


@pytest.mark.parametrize("case", rule_cases())
def test_rule_case(case: dict[str, Any]) -> None:
    ctx = build(case)
    multiline = case.get("multiline", wants_multiline(ctx, "auto"))
    shown = clean(case["raw"], ctx, multiline)
    assert shown == case["expected"]
    assert replace_length(shown, ctx) == case.get("replace", 0)
    assert clean(streamed(case["raw"], ctx, multiline), ctx, multiline) == case["expected"]
    assert clean(shown, ctx, multiline) == shown


@pytest.mark.parametrize("case", [pytest.param(c, id=c["name"]) for c in load("line_policy.toml")])
def test_line_policy(case: dict[str, Any]) -> None:
    assert wants_multiline(build(case), case["mode"]) is case["multiline"]


def test_every_rule_file_has_cases() -> None:
    files = sorted(GOLDEN.glob("*.toml"))
    assert len(files) >= 10
    for path in files:
        assert load(path.name), path.name
