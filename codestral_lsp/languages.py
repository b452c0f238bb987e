"""One name per language: the id VS Code gives it, whatever the editor sent.

Editors name a document's language in ``didOpen`` each their own way: Neovim sends its
filetype (``cs``, ``objc``, ``sh``, ``make``), Helix its language name (``c-sharp``,
``bash``), Emacs's eglot the major mode's name (``c++``, ``js``, ``tuareg``, ``ess-r``, and
``-ts`` for a tree-sitter mode). The rules are keyed by VS Code's ids, so a document's id is
mapped to one of them once, when it opens.
"""

from __future__ import annotations

_ALIASES = {
    **dict.fromkeys(("c++", "cc", "cxx", "hpp"), "cpp"),
    **dict.fromkeys(("cs", "c-sharp", "c_sharp", "c#"), "csharp"),
    "objc": "objective-c",
    **dict.fromkeys(("objcpp", "objc++"), "objective-cpp"),
    **dict.fromkeys(("js", "js2", "js3", "mjs", "cjs"), "javascript"),
    **dict.fromkeys(("jsx", "rjsx", "js-jsx"), "javascriptreact"),
    "ts": "typescript",
    "tsx": "typescriptreact",
    **dict.fromkeys(("sh", "bash", "zsh", "ksh"), "shellscript"),
    **dict.fromkeys(("py", "python3"), "python"),
    **dict.fromkeys(("rb", "enh-ruby"), "ruby"),
    **dict.fromkeys(("rs", "rustic"), "rust"),
    "golang": "go",
    "kt": "kotlin",
    "cperl": "perl",
    **dict.fromkeys(("elisp", "lisp-interaction"), "emacs-lisp"),
    **dict.fromkeys(("commonlisp", "common-lisp"), "lisp"),
    **dict.fromkeys(("tuareg", "caml"), "ocaml"),
    **dict.fromkeys(("ess-r", "rscript"), "r"),
    **dict.fromkeys(("tex", "plaintex"), "latex"),
    "gfm": "markdown",
    **dict.fromkeys(("mhtml", "web"), "html"),
    "conf-toml": "toml",
    "yml": "yaml",
    "js-json": "json",
    **dict.fromkeys(("vimrc", "viml"), "vim"),
    **dict.fromkeys(("ps1", "pwsh"), "powershell"),
    "docker": "dockerfile",
    **dict.fromkeys(("opascal", "delphi", "objectpascal"), "pascal"),
    **dict.fromkeys(("mysql", "plsql", "pgsql", "postgres"), "sql"),
}
_MAKEFILES = ("makefile-", "automake", "gnumake", "make")


def canonical(language_id: str) -> str:
    """VS Code's id for ``language_id`` (``c++`` gives ``cpp``, ``makefile-gmake`` gives
    ``makefile``); an id it does not know is kept, lower-cased."""
    name = language_id.strip().lower().removesuffix("-ts")
    if name.startswith(_MAKEFILES):
        return "makefile"
    return _ALIASES.get(name, name)
