"""Language ids as editors send them, mapped to the ids the rules know (VS Code's)."""

from __future__ import annotations

import pytest

from codestral_lsp.languages import canonical, for_file


@pytest.mark.parametrize(
    ("sent", "known"),
    [
        # Emacs's eglot names a language by its major mode (a tree-sitter mode ends in -ts).
        ("c++", "cpp"),
        ("c++-ts", "cpp"),
        ("js", "javascript"),
        ("sh", "shellscript"),
        ("bash-ts", "shellscript"),
        ("tsx-ts", "typescriptreact"),
        ("makefile-gmake", "makefile"),
        ("LaTeX", "latex"),
        ("tuareg", "ocaml"),
        ("ess-r", "r"),
        ("objc", "objective-c"),
        ("opascal", "pascal"),
        # Neovim sends its filetype.
        ("cs", "csharp"),
        ("objcpp", "objective-cpp"),
        ("make", "makefile"),
        ("tex", "latex"),
        ("zsh", "shellscript"),
        # Helix sends its language's name.
        ("c-sharp", "csharp"),
        ("common-lisp", "lisp"),
        # VS Code's own ids, and ids nobody maps, are kept.
        ("cpp", "cpp"),
        ("shellscript", "shellscript"),
        ("emacs-lisp", "emacs-lisp"),
        ("haskell", "haskell"),
        ("brainfuck", "brainfuck"),
        ("", ""),
    ],
)
def test_editor_ids_map_to_vscode_ids(sent: str, known: str) -> None:
    assert canonical(sent) == known


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("main.c", "c"),
        ("Widget.H", "c"),
        ("app.tsx", "typescriptreact"),
        ("server.erl", "erlang"),
        ("top.v", "verilog"),
        ("alu.vhd", "vhdl"),
        ("api.proto", "proto"),
        ("Makefile", "makefile"),
        ("CMakeLists.txt", "cmake"),
        ("notes", ""),
        (".bashrc", ""),
        ("data.unknown", ""),
    ],
)
def test_a_file_name_gives_the_language_an_editor_would(name: str, language: str) -> None:
    assert for_file(name) == language
