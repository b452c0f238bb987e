"""One name per language: the id VS Code gives it, whatever the editor sent.

Editors name a document's language in ``didOpen`` each their own way: Neovim sends its
filetype (``cs``, ``objc``, ``sh``, ``make``), Helix its language name (``c-sharp``,
``bash``), Emacs's eglot the major mode's name (``c++``, ``js``, ``tuareg``, ``ess-r``, and
``-ts`` for a tree-sitter mode). The rules are keyed by VS Code's ids, so a document's id is
mapped to one of them once, when it opens.
"""

from __future__ import annotations

# The Lisps: their brackets, quotes and names follow rules of their own.
LISPS = frozenset({
    "lisp", "emacs-lisp", "scheme", "racket", "clojure", "fennel",
})  # fmt: skip
# Languages whose backquoted strings run over lines (template literals, Go's raw strings).
BACKQUOTE_STRINGS = frozenset({
    "javascript", "javascriptreact", "typescript", "typescriptreact", "go", "vue", "svelte",
})  # fmt: skip

# Languages whose strings of one quote may run over lines (a shell or Ruby string, YAML's
# quoted scalars, an HTML attribute). Elsewhere such a string ends at its line's end, so an
# answer that breaks the line inside it is no text of the string.
LONG_ONE_QUOTE = LISPS | frozenset({
    "shellscript", "fish", "powershell", "ruby", "perl", "php", "rust",
    "yaml", "html", "xml", "vue", "svelte", "r", "julia", "elixir", "nix", "csharp", "tcl",
})  # fmt: skip

# Languages where ``..`` is an operator: a range (Rust, Ruby, Ada, Pascal, Kotlin...), Lua's
# concatenation, Dart's cascade, Haskell's ``Foo(..)``. (Not Perl, whose ``.`` concatenates:
# ``$a . . $b`` is a ``.`` typed again.)
DOUBLE_DOT = frozenset({
    "ada", "pascal", "rust", "ruby", "crystal", "lua", "kotlin", "swift", "haskell",
    "purescript", "elixir", "groovy", "nim", "d", "fsharp", "ocaml", "zig", "dart",
    "shellscript", "fish", "sql",
})  # fmt: skip

# Languages where ``'''`` opens a string running over lines; elsewhere it is a quote and an
# escaped one (SQL's and Pascal's ``''''`` is a string holding one quote).
SINGLE_TRIPLES = frozenset({"python", "dart", "toml", "groovy", "elixir", "coffeescript"})

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


# VS Code's id for a file by its extension, for a file read without an editor (``complete``);
# a language's first extension here is the one a buffer with no file name gets
# (:func:`extensions`).
_BY_EXTENSION = {
    **dict.fromkeys((".c", ".h"), "c"),
    **dict.fromkeys((".cpp", ".cc", ".cxx", ".c++", ".hh", ".hpp", ".hxx", ".ipp"), "cpp"),
    ".m": "objective-c",
    ".mm": "objective-cpp",
    ".cu": "cuda-cpp",
    ".cs": "csharp",
    ".java": "java",
    **dict.fromkeys((".kt", ".kts"), "kotlin"),
    ".swift": "swift",
    ".go": "go",
    ".rs": "rust",
    ".zig": "zig",
    ".d": "d",
    ".sol": "solidity",
    ".dart": "dart",
    ".scala": "scala",
    ".groovy": "groovy",
    **dict.fromkeys((".js", ".mjs", ".cjs"), "javascript"),
    ".jsx": "javascriptreact",
    **dict.fromkeys((".ts", ".mts", ".cts"), "typescript"),
    ".tsx": "typescriptreact",
    ".vue": "vue",
    ".svelte": "svelte",
    **dict.fromkeys((".py", ".pyi", ".pyw"), "python"),
    **dict.fromkeys((".rb", ".rake", ".gemspec"), "ruby"),
    ".cr": "crystal",
    ".lua": "lua",
    ".php": "php",
    **dict.fromkeys((".pl", ".pm"), "perl"),
    **dict.fromkeys((".ex", ".exs"), "elixir"),
    **dict.fromkeys((".erl", ".hrl"), "erlang"),
    ".jl": "julia",
    **dict.fromkeys((".r", ".rmd"), "r"),
    **dict.fromkeys((".hs", ".lhs"), "haskell"),
    ".elm": "elm",
    **dict.fromkeys((".ml", ".mli"), "ocaml"),
    **dict.fromkeys((".fs", ".fsi", ".fsx"), "fsharp"),
    ".nim": "nim",
    **dict.fromkeys((".pas", ".dpr", ".lpr"), "pascal"),
    **dict.fromkeys((".adb", ".ads", ".ada"), "ada"),
    ".el": "emacs-lisp",
    **dict.fromkeys((".scm", ".ss", ".sld"), "scheme"),
    **dict.fromkeys((".lisp", ".lsp", ".cl", ".asd"), "lisp"),
    ".rkt": "racket",
    **dict.fromkeys((".clj", ".cljs", ".cljc", ".edn"), "clojure"),
    **dict.fromkeys((".sh", ".bash", ".zsh", ".ksh"), "shellscript"),
    ".fish": "fish",
    ".ps1": "powershell",
    ".vim": "vim",
    ".tcl": "tcl",
    ".sql": "sql",
    ".proto": "proto",
    **dict.fromkeys((".v", ".vh"), "verilog"),
    **dict.fromkeys((".sv", ".svh"), "systemverilog"),
    **dict.fromkeys((".vhd", ".vhdl"), "vhdl"),
    ".tex": "latex",
    **dict.fromkeys((".md", ".markdown"), "markdown"),
    **dict.fromkeys((".html", ".htm", ".xhtml"), "html"),
    ".xml": "xml",
    ".css": "css",
    ".scss": "scss",
    ".less": "less",
    ".json": "json",
    ".jsonc": "jsonc",
    **dict.fromkeys((".yaml", ".yml"), "yaml"),
    ".toml": "toml",
    ".cmake": "cmake",
    ".mk": "makefile",
}
# Files known by their whole name.
_BY_NAME = {
    "makefile": "makefile",
    "gnumakefile": "makefile",
    "cmakelists.txt": "cmake",
    "dockerfile": "dockerfile",
    "gemfile": "ruby",
    "rakefile": "ruby",
}


def for_file(name: str) -> str:
    """VS Code's language id for a file named ``name`` (a path's last part), as an editor would
    set it; ``""`` when its name says nothing."""
    lower = name.lower()
    if lower in _BY_NAME:
        return _BY_NAME[lower]
    dot = lower.rfind(".")
    return _BY_EXTENSION.get(lower[dot:], "") if dot > 0 else ""


def extensions() -> dict[str, str]:
    """Each language's usual extension (``python`` gives ``.py``): the first one listed."""
    first: dict[str, str] = {}
    for extension, language in _BY_EXTENSION.items():
        first.setdefault(language, extension)
    return first
