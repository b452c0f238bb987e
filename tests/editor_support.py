"""Shared by the real-editor tests: finding the editors, and skipping only outside CI.

When ``CI`` is set (``.ci/run`` sets it) a missing editor is a failure, so CI cannot go green
by silently skipping the tests that matter most to users.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EDITORS = REPO / "editors"
ASSETS = Path(__file__).resolve().parent / "editor_assets"
API_KEY = "test-key-editors-0123456789"


def missing(what: str) -> None:
    """Skip (developer machine) or fail (CI) because ``what`` is not installed."""
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"{what} is not installed, but CI is set: .ci/run must install it")
    pytest.skip(f"{what} is not installed (CI installs it)")


def server_bin_dir() -> Path:
    """The directory holding the ``codestral-lsp`` script of the running interpreter's env."""
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "codestral-lsp").exists():
        missing("the codestral-lsp script (pip install -e .)")
    return bin_dir


def editor_env(home: Path, fim_url: str) -> dict[str, str]:
    """Environment for an editor run: private home, the server on PATH, pointed at the fake."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CODESTRAL_", "MISTRAL_", "XDG_", "NVIM", "VIM", "EMACS"))
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_STATE_HOME=str(home / ".local/state"),
        XDG_CACHE_HOME=str(home / ".cache"),
        PATH=f"{server_bin_dir()}{os.pathsep}{env.get('PATH', '')}",
        CODESTRAL_API_KEY=API_KEY,
        CODESTRAL_BASE_URL=fim_url,
    )
    return env
