"""Helix cannot be installed here: check the shipped languages.toml against Helix's documented
keys (https://docs.helix-editor.com/languages.html) and that it adds codestral-lsp next to each
language's usual server rather than replacing it."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from editor_support import EDITORS

pytestmark = pytest.mark.editor

SERVER_KEYS = {"command", "args", "config", "timeout", "environment", "required-root-patterns"}
LANGUAGE_KEYS = {
    "name", "language-id", "scope", "injection-regex", "file-types", "shebangs", "roots",
    "comment-token", "comment-tokens", "block-comment-tokens", "auto-format", "diagnostic-severity",
    "grammar", "formatter", "soft-wrap", "text-width", "workspace-lsp-roots", "rulers",
    "persistent-diagnostic-sources", "language-servers", "indent", "auto-pairs", "debugger",
}  # fmt: skip
FEATURES = {
    "format", "goto-definition", "goto-declaration", "goto-type-definition", "goto-reference",
    "goto-implementation", "signature-help", "hover", "document-highlight", "completion",
    "code-action", "workspace-command", "document-symbols", "workspace-symbols", "diagnostics",
    "rename-symbol", "inlay-hints",
}  # fmt: skip
# Helix's own defaults (its languages.toml, 25.x) for the languages the file covers.
USUAL = {
    "python": ["ruff", "jedi", "pylsp"],
    "rust": ["rust-analyzer"],
    "javascript": ["typescript-language-server"],
    "typescript": ["typescript-language-server"],
    "go": ["gopls", "golangci-lint-lsp"],
    "c": ["clangd"],
    "cpp": ["clangd"],
    "java": ["jdtls"],
    "bash": ["bash-language-server"],
    "lua": ["lua-language-server"],
}


def load() -> dict[str, Any]:
    return tomllib.loads((EDITORS / "helix" / "languages.toml").read_text())


def test_the_server_entry_runs_codestral_lsp() -> None:
    servers = load()["language-server"]
    assert set(servers) == {"codestral"}
    entry = servers["codestral"]
    assert set(entry) <= SERVER_KEYS
    assert entry["command"] == "codestral-lsp"


def test_each_language_keeps_its_usual_servers_and_adds_codestral_for_completion() -> None:
    languages = load()["language"]
    assert {lang["name"] for lang in languages} == set(USUAL)
    for lang in languages:
        assert set(lang) <= LANGUAGE_KEYS, lang["name"]
        *usual, last = lang["language-servers"]
        assert usual == USUAL[lang["name"]]
        assert last == {"name": "codestral", "only-features": ["completion"]}
        assert set(last["only-features"]) <= FEATURES
