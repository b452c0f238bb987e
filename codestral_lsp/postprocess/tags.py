"""Tags and type arguments open at the cursor: ``<Thumb`` and its attributes over lines, or
``Simplify<`` and its arguments, read from the text before the cursor."""

from __future__ import annotations

import functools
import re

from codestral_lsp.context import Context

# What ends a tag or type arguments open before the cursor (``/>``, ``>``, ``>;``): no noise.
ANGLE_END = re.compile(r"/?>[;,)]?")
# Angle brackets as tags and type arguments use them (``<Thumb``, ``Pick<T``, ``/>``), and
# ``;``, which ends any left open by comparisons (``i<n;``).
_ANGLE = re.compile(r"(?<=[\w.$])<|<(?=[A-Za-z])|/>|(?<![=\-/])>(?!=)|;")
_TAG_WINDOW = 2000
_ATTRIBUTE_VALUE = re.compile(r"\"[^\"\n]*\"|'[^'\n]*'")
_BRACED = re.compile(r"\{[^{}]*\}")
# Where tags' attributes take braced expressions (``day={day}``, Svelte's ``on:click={go}``).
BRACED_ATTRIBUTES = frozenset({"javascript", "javascriptreact", "typescriptreact", "svelte"})
# A line that is a tag's attribute (``name={``, ``data-level={``, ``{...props}``).
_ATTRIBUTE_LINE = re.compile(r"[ \t]*(?:[A-Za-z_][\w:.-]*=[{\"']|\{\.\.\.)")


def in_attribute(line: str, ctx: Context) -> bool:
    """Whether ``line`` (the cursor's, with the answer's first line) is an attribute of a tag
    still open at the cursor, in a language whose attributes take braced expressions."""
    if ctx.language not in BRACED_ATTRIBUTES:
        return False
    return _ATTRIBUTE_LINE.match(line) is not None and angle_open(ctx)


@functools.lru_cache(maxsize=32)  # one read per cursor: the rules run at every streamed line
def angle_open(ctx: Context) -> bool:
    """Whether the cursor is inside a tag or type arguments opened before it and not ended
    yet: ``<Thumb`` and its attributes over lines, or ``Simplify<`` and its arguments over
    lines (``Partial<Pick<T, K>>`` the last). Quoted values and braced groups (JSX's
    ``onClick={() => go()}``, an object type) are skipped, arrows and ``>=`` are no closers."""
    rest = _ATTRIBUTE_VALUE.sub("", ctx.prefix[-_TAG_WINDOW:])
    while (shorter := _BRACED.sub("", rest)) != rest:
        rest = shorter
    depth = 0
    for mark in _ANGLE.findall(rest):
        if mark == "<":
            depth += 1
        elif mark == ";":
            depth = 0
        else:
            depth = max(0, depth - 1)
    return depth > 0
