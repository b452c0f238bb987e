"""Real Emacs (Debian's emacs-nox + elpa-eglot) with the shipped eglot setup, used as pasted.

``emacs --batch -Q`` loads ``editors/emacs/codestral-eglot.el``, opens a file (its mode hook
starts eglot, which finds ``codestral-lsp`` on PATH), and runs ``completion-at-point`` at the
end of the file against the fake FIM endpoint.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from editor_support import ASSETS, EDITORS, editor_env, missing
from fake_fim import FakeFim, Reply

pytestmark = pytest.mark.editor

CONFIG = EDITORS / "emacs" / "codestral-eglot.el"


@functools.cache
def emacs_binary() -> str:
    emacs = shutil.which("emacs")
    if emacs is None:
        missing("Emacs (apt-get install emacs-nox elpa-eglot)")
    assert emacs is not None
    check = subprocess.run(
        [emacs, "--batch", "-Q", "--eval", _HAS_EGLOT], capture_output=True, timeout=60
    )
    if check.returncode != 0:
        missing("eglot for Emacs (apt-get install elpa-eglot; built in from Emacs 29)")
    return emacs


_HAS_EGLOT = (
    "(progn (setq load-path (append (file-expand-wildcards "
    '"/usr/share/emacs/site-lisp/elpa/*") load-path)) (require (quote eglot)))'
)


@pytest.fixture
def fake() -> Iterator[FakeFim]:
    with FakeFim() as server:
        yield server


def complete_in_emacs(tmp_path: Path, fake: FakeFim, text: str) -> str:
    """The file's text after ``completion-at-point`` at its end."""
    emacs = emacs_binary()
    home = tmp_path / "home"
    home.mkdir()
    source = tmp_path / "demo.py"
    source.write_text(text)
    out = tmp_path / "after.py"
    env = editor_env(home, fake.url)
    env.update(DRIVER_CONFIG=str(CONFIG), DRIVER_FILE=str(source), DRIVER_OUT=str(out))
    proc = subprocess.run(
        [emacs, "--batch", "-Q", "-l", str(ASSETS / "emacs_driver.el")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    error = out.with_name(out.name + ".err")
    assert not error.exists(), error.read_text() + proc.stderr[-2000:]
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out.read_text()


def test_completion_at_point_inserts_the_suggestion(tmp_path: Path, fake: FakeFim) -> None:
    fake.answer = Reply(text="return a + b")
    after = complete_in_emacs(tmp_path, fake, "def add(a, b):\n    ")
    assert after == "def add(a, b):\n    return a + b"
    (request,) = fake.requests
    assert request.body["prompt"].endswith("def add(a, b):\n    ")


def test_mid_word_completion_replaces_the_typed_word(tmp_path: Path, fake: FakeFim) -> None:
    fake.answer = Reply(text="urn a + b")
    after = complete_in_emacs(tmp_path, fake, "def add(a, b):\n    ret")
    assert after == "def add(a, b):\n    return a + b"


def test_multiline_suggestion_is_inserted_whole(tmp_path: Path, fake: FakeFim) -> None:
    fake.answer = Reply(text="f a > b:\n        return f'${a}\\n{b}'")
    after = complete_in_emacs(tmp_path, fake, "def show(a, b):\n    i")
    assert after == "def show(a, b):\n    if a > b:\n        return f'${a}\\n{b}'"


@pytest.mark.parametrize("name", ["codestral-eglot.el", "codestral-lsp-mode.el"])
def test_shipped_lisp_reads_cleanly(name: str) -> None:
    # lsp-mode 9 is not packaged for Debian 12, so its file is only read (balanced, every form
    # readable), not run.
    emacs = emacs_binary()
    check = (
        '(with-temp-buffer (insert-file-contents (getenv "ELISP")) (emacs-lisp-mode)'
        " (check-parens) (goto-char (point-min))"
        " (condition-case nil (while t (read (current-buffer))) (end-of-file nil)))"
    )
    proc = subprocess.run(
        [emacs, "--batch", "-Q", "--eval", check],
        env={**os.environ, "ELISP": str(EDITORS / "emacs" / name)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
