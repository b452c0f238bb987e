"""What a model writes that is no code of the file: its control tokens leaked as text (a local
server whose template or stop list does not match the model shows Code Llama's ``<EOT>``,
StarCoder's ``<file_sep>``, Qwen's ``<|endoftext|>`` or Gemma's ``<|file_separator|>`` where
generation should have ended; what follows is no longer the answer), and a chat model's
placeholder lines for code it leaves out (``// ... existing code ...``)."""

from __future__ import annotations

import functools
import re

from codestral_lsp.context import Context
from codestral_lsp.postprocess.brackets import is_comment_line

# The fill-in-the-middle and end-of-text tokens of the code models local servers run, as their
# tokenizers spell them. Not those that read as text: HTML's ``<s>`` and ``<PRE>``, a usage
# line's ``<filename>`` or ``<repo_name>``.
_LEAKED = re.compile(
    r"<\|(?:fim_(?:prefix|suffix|middle|pad)|file_sep(?:arator)?|repo_name|endoftext"
    r"|end_of_text|eot_id|im_start|im_end|end)\|>"
    r"|</?(?:fim_(?:prefix|suffix|middle|pad)|file_sep)>"
    r"|<EOT>"
    # DeepSeek's, spelled with a full-width bar and a lower block for the space.
    r"|<\uff5c(?:fim\u2581(?:begin|hole|end)|end\u2581of\u2581sentence)\uff5c>"
    r"|\[(?:PREFIX|SUFFIX|MIDDLE)\]"
)


def without_leaked_token(text: str, ctx: Context) -> str:
    """``text`` up to the first control token in it, and the spaces before it (Code Llama's
    `` <EOT>``). Not where the code around the cursor names such tokens itself (a tokenizer's
    source): there they are the answer's text."""
    found = _first_leaked(text, ctx)
    return text if found is None else text[:found].rstrip(" \t")


def leaked(text: str, ctx: Context) -> bool:
    """Whether ``text`` holds a leaked control token: the answer has ended."""
    return _first_leaked(text, ctx) is not None


def _first_leaked(text: str, ctx: Context) -> int | None:
    found = _LEAKED.search(text)
    return None if found is None or _names_tokens(ctx) else found.start()


@functools.lru_cache(maxsize=8)  # asked at every streamed line break of the same cursor
def _names_tokens(ctx: Context) -> bool:
    """Whether the code around the cursor names control tokens itself."""
    return _LEAKED.search(ctx.prefix) is not None or _LEAKED.search(ctx.suffix) is not None


# A chat model's line standing for code it leaves out: an ellipsis with words about that code
# (``// ... rest of the code ...``, ``# ... existing code ...``), or an ellipsis alone.
_ELIDED = re.compile(
    r"(?:\.{3}|\u2026).*\b(?:code|implementation|rest|remaining|existing|unchanged|omitted)\b"
    r"|\b(?:rest of|remaining|existing|unchanged|omitted)\b.*(?:\.{3}|\u2026)",
    re.IGNORECASE,
)
_ELLIPSIS = re.compile(r"\s*(?:\.{3}|\u2026)\s*")
# Where an ellipsis alone on a line is no code (elsewhere it may be: Python's ``...``, a
# Scheme template's, a Lua table's varargs, or prose).
_ELLIPSIS_NO_CODE = frozenset({
    "c", "cpp", "csharp", "java", "javascript", "typescript", "javascriptreact",
    "typescriptreact", "go", "rust", "kotlin", "swift", "php", "dart", "scala", "objective-c",
    "zig", "d", "solidity",
})  # fmt: skip


def without_placeholders(text: str, ctx: Context) -> str:
    """``text`` without the lines a chat model writes for code it leaves out: a comment
    with an ellipsis and words about that code, or an ellipsis alone where that is no code
    (C and its kin, JavaScript, Go, Rust...). The lines around them stay (a block's closer)."""
    first, *rest = text.split("\n")
    kept = [line for line in rest if not _placeholder(line, ctx.language)]
    if _placeholder(first, ctx.language):
        first = ""  # the cursor's line keeps what it holds; the code goes on below it
    elif len(kept) == len(rest):
        return text
    return "\n".join([first, *kept])


def _placeholder(line: str, language: str) -> bool:
    if _ELLIPSIS.fullmatch(line):
        return language in _ELLIPSIS_NO_CODE
    return is_comment_line(line, language) and _ELIDED.search(line) is not None
