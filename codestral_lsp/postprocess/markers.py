"""A code model's control tokens leaked into its answer as text: a local server whose template
or stop list does not match the model shows Code Llama's ``<EOT>``, StarCoder's ``<file_sep>``,
Qwen's ``<|endoftext|>`` or Gemma's ``<|file_separator|>`` where generation should have ended.
What follows such a token is no longer the answer."""

from __future__ import annotations

import re

from codestral_lsp.context import Context

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
    if found is None or _LEAKED.search(ctx.prefix) or _LEAKED.search(ctx.suffix):
        return None
    return found.start()
