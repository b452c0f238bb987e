"""The prompt budget settings: defaults, validation, and what a bad value falls back to."""

from __future__ import annotations

import pytest

from codestral_lsp.context import Budget, token_budget_chars
from codestral_lsp.settings import Settings, resolve


def test_defaults() -> None:
    settings = Settings()
    assert (settings.prompt_tokens, settings.suffix_share, settings.other_files_share) == (
        3000,
        0.15,
        0.30,
    )


def test_values_are_taken() -> None:
    settings, problems = resolve([{"promptTokens": 6000, "suffixShare": 0.2, "otherFilesShare": 0}])
    assert problems == []
    assert (settings.prompt_tokens, settings.suffix_share, settings.other_files_share) == (
        6000,
        0.2,
        0.0,
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("promptTokens", 10),
        ("promptTokens", "3000"),
        ("promptTokens", 2.5),
        ("suffixShare", 0.9),
        ("suffixShare", -0.1),
        ("otherFilesShare", True),
    ],
)
def test_bad_values_fall_back_with_a_problem(key: str, value: object) -> None:
    settings, problems = resolve([{key: value}])
    assert [p.key for p in problems] == [key]
    assert settings == Settings()


@pytest.mark.parametrize(("suffix", "others"), [(0.6, 0.6), (0.9, 0.0), (0.15, 0.3), (0.0, 0.0)])
def test_the_shares_never_ask_more_than_the_prompt_holds(suffix: float, others: float) -> None:
    budget = Budget(prompt_tokens=1000, suffix_share=suffix, other_files_share=others)
    whole = token_budget_chars(1000)
    assert budget.prefix_chars + budget.suffix_chars + budget.other_chars <= whole
    assert budget.prefix_chars >= whole // 10
