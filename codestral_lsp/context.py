"""Cursor to prompt: split the document at the cursor, trim both sides to a token budget, and
put a file-path header and snippets of other open documents before the prefix.

Everything here works on code-point offsets into the document text; the conversion from the
client's position encoding happens once, in the server, through pygls' document helpers.

The header uses Codestral's multi-file format: each file is a block that starts with a line
``+++++ <path>``; the current file's block comes last and ends with the prefix. The model then
marks a new file with ``\n+++++ `` if it runs on, so that string is a stop sequence.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from codestral_lsp import languages

# Codestral's tokenizer averages ~3.5 characters a token on source code.
CHARS_PER_TOKEN = 3.5
PROMPT_TOKENS = 3000
SUFFIX_SHARE = 0.15
OTHER_FILES_SHARE = 0.30
# At least this share of the prompt always goes to the prefix, whatever the other shares say.
MIN_PREFIX_SHARE = 0.1
MAX_OTHER_FILES = 3
# A snippet shorter than this tells the model nothing; its budget goes to the next file.
MIN_SNIPPET_CHARS = 120
# Columns of a tab, unless the file shows GNU-style indentation (:func:`tab_width`).
TAB_WIDTH = 4
GNU_TAB_WIDTH = 8
# Tabs, then more spaces than half a tab of 4, then code, at a line's start: a line only a
# tab of 8 explains (Emacs, Vim and GNU indent write ``\t    x`` for 12 columns). Where a tab
# is 4, that line would be written ``\t\tx``. Searched from a line break, which re scans for
# far faster than it tries ``^`` at every character.
_GNU_MIX = re.compile(r"\t+ {4,7}\S")
_GNU_MIX_BELOW = re.compile(r"\n\t+ {4,7}\S")
# A line at 4 to 7 spaces that the next goes on from deeper (it ends with an opening bracket,
# ``=`` or ``->``, or is a C control header whose body needs no brace), the next one led by one
# tab: at 4 columns that line would stand at or left of the one it goes on from, so the tab
# is 8.
_GNU_OPENER = (
    r" {4,7}(?:(?:\S[^\n]*)?(?:[{(\[=]|->)"
    r"|(?:(?:else\s+)?if|for|while|switch)\b[^\n]*\)|else|do)"
)
_GNU_BODY = re.compile(_GNU_OPENER + r"[ \t]*\n\t[^\s)\]}]")
_GNU_BODY_BELOW = re.compile(r"\n" + _GNU_OPENER + r"[ \t]*\n\t[^\s)\]}]")
_EIGHT_SPACES = re.compile(" {8}")
_EIGHT_SPACES_BELOW = re.compile("\n {8}")
FILE_MARK = "+++++ "
FILE_STOP = "\n+++++ "

# File extensions by LSP language id: a buffer never saved (``untitled:Untitled-1``) is named
# with one in the header, so the model is told its language as it would be by a real file name.
EXTENSIONS = languages.extensions()


Snippets = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Budget:
    """How many estimated tokens the prompt may hold and how they are shared out."""

    prompt_tokens: int = PROMPT_TOKENS
    suffix_share: float = SUFFIX_SHARE
    other_files_share: float = OTHER_FILES_SHARE

    @property
    def prefix_chars(self) -> int:
        """Characters for the prefix: what the suffix and the other files leave."""
        share = 1.0 - self._scale * (self.suffix_share + self.other_files_share)
        return token_budget_chars(round(self.prompt_tokens * share))

    @property
    def suffix_chars(self) -> int:
        """Characters for the suffix."""
        return token_budget_chars(round(self.prompt_tokens * self.suffix_share * self._scale))

    @property
    def other_chars(self) -> int:
        """Characters for the other open documents' snippets, headers included."""
        share = self.other_files_share * self._scale
        return token_budget_chars(round(self.prompt_tokens * share))

    @property
    def _scale(self) -> float:
        """What the suffix's and the other files' shares are scaled by so that, with the
        prefix's least share, they fit the prompt (shares set to 0.6 and 0.6 would ask 130 %)."""
        taken = self.suffix_share + self.other_files_share
        return min(1.0, (1.0 - MIN_PREFIX_SHARE) / taken) if taken else 1.0


@dataclass(frozen=True, slots=True)
class OtherFile:
    """An open document that may lend a snippet: its path as shown, its text, and where it was
    last edited (the snippet is centred there; ``None`` means its head)."""

    path: str
    text: str
    offset: int | None = None


@dataclass(frozen=True, slots=True)
class Context:
    """What the model sees of one cursor position, plus the line around the cursor."""

    uri: str
    offset: int
    prefix: str
    suffix: str
    line_prefix: str
    line_suffix: str
    language: str = ""
    path: str = ""
    version: int | None = None
    header: str = ""
    snippets: Snippets = ()
    # How the prompt names the file (workspace-relative); ``path`` is where it is on disk.
    shown_path: str = ""
    # Columns of a tab in this file, for the rules that compare indentation.
    tab_width: int = TAB_WIDTH

    @property
    def prompt(self) -> str:
        """What is sent as the FIM prompt: the multi-file header, then the prefix."""
        return self.header + self.prefix

    @property
    def above_line(self) -> str:
        """The prefix before the cursor's line: the lines above it, each with its break."""
        return self.prefix[: len(self.prefix) - len(self.line_prefix)]

    @property
    def stops(self) -> tuple[str, ...]:
        """Stop sequences the prompt's format calls for."""
        return (FILE_STOP,) if self.header else ()

    def shows(self, pattern: re.Pattern[str]) -> bool:
        """Whether the document around the cursor (the prefix or the suffix) matches
        ``pattern``: how the rules ask whether the file writes something."""
        return bool(pattern.search(self.prefix) or pattern.search(self.suffix))

    @property
    def word_before(self) -> str:
        """The name characters right before the cursor (the word being typed), as editors
        count them in this language: ``background-co`` in CSS, ``$na`` in JavaScript."""
        extra = NAME_PUNCTUATION.get(self.language, "")
        i = len(self.line_prefix)
        while i > 0 and (is_word_char(self.line_prefix[i - 1]) or self.line_prefix[i - 1] in extra):
            i -= 1
        return self.line_prefix[i:]

    def indent(self, line: str) -> int:
        """Width of ``line``'s leading whitespace, a tab counted as :attr:`tab_width` columns."""
        width = 0
        for char in line:
            if char == " ":
                width += 1
            elif char == "\t":
                width += self.tab_width
            else:
                break
        return width


# The characters besides letters, digits and ``_`` that a language's names hold, as the
# editors' word at the cursor counts them (Emacs's symbol at point, which eglot filters
# completion items by; VS Code's word pattern).
NAME_PUNCTUATION = {
    **dict.fromkeys(("css", "scss", "less", "sass"), "-"),
    **dict.fromkeys(("javascript", "javascriptreact", "typescript", "typescriptreact", "php"), "$"),
    **dict.fromkeys(languages.LISPS, "-*+!?<>=/%&$^~@:"),
}


def is_word_char(char: str) -> bool:
    """Whether ``char`` belongs to an identifier (letters, digits, ``_``)."""
    return char.isalnum() or char == "_"


@dataclass(frozen=True, slots=True)
class Selection:
    """The item selected in the editor's completion widget (LSP 3.18 ``selectedCompletionInfo``):
    accepting it replaces ``before`` code points before the cursor and ``after`` after it, all
    on the cursor's line, with ``text``."""

    before: int
    after: int
    text: str


def moved(ctx: Context, text: str, prefix_chars: int) -> Context:
    """The context once ``text`` is typed at the cursor: where a suggestion taken whole leaves
    the user. Its line breaks become the document's (editors insert them so); the prefix
    window keeps ``prefix_chars``; the suffix is what it was."""
    last_break = ctx.prefix.rfind("\n")
    if last_break > 0 and ctx.prefix[last_break - 1] == "\r":
        text = text.replace("\n", "\r\n")
    return replace(selected(ctx, Selection(0, 0, text), prefix_chars), version=None)


def selected(ctx: Context, selection: Selection, prefix_chars: int) -> Context:
    """The context once ``selection`` is accepted: the prompt an inline suggestion that must
    extend the selected item is asked with. It keeps the document's version (the stale guard
    still compares it with the document); the prefix window keeps ``prefix_chars``."""
    text = selection.text
    head = ctx.line_prefix[: len(ctx.line_prefix) - selection.before]
    line_start = max(text.rfind("\n"), text.rfind("\r"))
    return replace(
        ctx,
        offset=ctx.offset - selection.before + len(text),
        prefix=trim_prefix(ctx.prefix[: len(ctx.prefix) - selection.before] + text, prefix_chars),
        suffix=ctx.suffix[selection.after :],
        line_prefix=head + text if line_start < 0 else text[line_start + 1 :],
        line_suffix=ctx.line_suffix[selection.after :],
    )


def token_budget_chars(tokens: int) -> int:
    """Characters that fit an estimated token budget."""
    return int(tokens * CHARS_PER_TOKEN)


def trim_prefix(text: str, budget: int) -> str:
    """At most ``budget`` characters from the end, starting at a line boundary if possible."""
    if len(text) <= budget:
        return text
    start = len(text) - budget
    window = text[start:]
    if text[start - 1] == "\n":
        return window
    cut = window.find("\n")
    # One enormous line (minified code): a mid-line cut is better than nothing.
    return window[cut + 1 :] if 0 <= cut < len(window) - 1 else window


def trim_suffix(text: str, budget: int) -> str:
    """At most ``budget`` characters from the start, ending at a line boundary if possible."""
    if len(text) <= budget:
        return text
    window = text[:budget]
    cut = window.rfind("\n")
    return window[: cut + 1] if cut > 0 else window


def build(
    text: str,
    offset: int,
    uri: str,
    *,
    language: str = "",
    path: str = "",
    version: int | None = None,
    budget: Budget = Budget(),
    shown_path: str = "",
    others: Sequence[OtherFile] = (),
    prefix_chars: int | None = None,
    suffix_chars: int | None = None,
    before: str = "",
    after: str = "",
) -> Context:
    """Split ``text`` at ``offset`` (code points) into a budgeted prefix and suffix.

    ``shown_path`` (usually workspace-relative) names the file in the header; ``others`` are
    the other open documents, most recently edited first, already filtered of excluded files.
    ``prefix_chars``/``suffix_chars`` override the budget's split when given. ``before`` and
    ``after`` are text the file holds around ``text`` (a notebook's other cells, ending and
    starting at a line break): they join the prefix and suffix, trimmed alike, while the
    context's offset and cursor line stay those in ``text``.
    """
    if prefix_chars is None:
        prefix_chars = budget.prefix_chars
    if suffix_chars is None:
        suffix_chars = budget.suffix_chars
    offset = max(0, min(offset, len(text)))
    if before or after:
        whole = build(
            before + text + after,
            len(before) + offset,
            uri,
            language=language,
            path=path,
            version=version,
            budget=budget,
            shown_path=shown_path,
            others=others,
            prefix_chars=prefix_chars,
            suffix_chars=suffix_chars,
        )
        return replace(whole, offset=offset)
    parts = snippets(shown_path, others, budget.other_chars) if shown_path else ()
    # Searches are bounded by the budgets so a 5 MB minified line costs no more than a short one.
    low = max(0, offset - prefix_chars)
    line_start = max(text.rfind("\n", low, offset), text.rfind("\r", low, offset), low - 1) + 1
    line_end = _line_end(text, offset, min(len(text), offset + suffix_chars))
    # Only the windows are sliced: no copy of the whole document per keystroke.
    prefix = trim_prefix(text[max(0, offset - prefix_chars - 1) : offset], prefix_chars)
    suffix = trim_suffix(text[offset : offset + suffix_chars + 1], suffix_chars)
    return Context(
        uri=uri,
        offset=offset,
        prefix=prefix,
        suffix=suffix,
        line_prefix=text[line_start:offset],
        line_suffix=text[offset:line_end],
        language=language,
        path=path,
        version=version,
        header=header(shown_path, parts),
        snippets=parts,
        shown_path=shown_path,
        tab_width=tab_width(prefix, suffix),
    )


def tab_width(*texts: str) -> int:
    """Columns of a tab in the file these windows come from: :data:`GNU_TAB_WIDTH` where a
    line mixes tabs and spaces as only a tab of 8 explains, or a line at 4 to 7 spaces goes on
    deeper on a line led by one tab (Tcl's and Perl's sources), else :data:`TAB_WIDTH`.
    Editors do not tell a language server their tab width; the text does."""
    gnu = any(_mixes_for_8(text) or _opens_tab_body(text) for text in texts)
    return GNU_TAB_WIDTH if gnu else TAB_WIDTH


def with_answer_tabs(ctx: Context, text: str) -> Context:
    """``ctx`` with a tab of :data:`GNU_TAB_WIDTH` where its windows read a tab as
    :data:`TAB_WIDTH` but the answer, read on from the cursor's line, has a line only a tab of
    8 explains (``      if (__ec)`` then ``\t_M_path.clear();`` in GNU code whose windows
    hold no tab): at 4 that body would stand left of its ``if`` and read as the block's end.
    A tab-led body says so only where no line is led by 8 spaces, which an editor writing a
    tab for 8 columns never leaves: elsewhere it is a model's tab in a file of spaces."""
    if ctx.tab_width == GNU_TAB_WIDTH or "\t" not in text:
        return ctx
    read = ctx.line_prefix + text
    if _mixes_for_8(read) or (
        _opens_tab_body(read) and not _led_by_8_spaces(ctx.prefix, ctx.suffix, text)
    ):
        return replace(ctx, tab_width=GNU_TAB_WIDTH)
    return ctx


def _mixes_for_8(text: str) -> bool:
    return bool(_GNU_MIX.match(text) or _GNU_MIX_BELOW.search(text))


def _opens_tab_body(text: str) -> bool:
    return bool(_GNU_BODY.match(text) or _GNU_BODY_BELOW.search(text))


def _led_by_8_spaces(*texts: str) -> bool:
    return any(_EIGHT_SPACES.match(text) or _EIGHT_SPACES_BELOW.search(text) for text in texts)


def snippets(shown_path: str, others: Sequence[OtherFile], budget_chars: int) -> Snippets:
    """``(path, snippet)`` of up to :data:`MAX_OTHER_FILES` other documents, in the order
    given, within ``budget_chars`` counted as multi-file blocks (marker line included)."""
    found: list[tuple[str, str]] = []
    remaining = budget_chars
    candidates = [o for o in others if o.path != shown_path][:MAX_OTHER_FILES]
    for i, other in enumerate(candidates):
        share = remaining // (len(candidates) - i)
        mark = len(FILE_MARK) + len(other.path) + 1
        body = snippet(other.text, other.offset, share - mark - 2).strip("\n")
        if len(body.strip()) < MIN_SNIPPET_CHARS:
            continue
        found.append((other.path, body))
        remaining -= mark + len(body) + 2
    return tuple(found)


def header(shown_path: str, parts: Snippets) -> str:
    """The multi-file header: the snippets' blocks, then the current file's path line. Empty
    when the current file has no path to show."""
    if not shown_path:
        return ""
    blocks = [f"{FILE_MARK}{path}\n{body}" for path, body in parts]
    return "\n\n".join([*blocks, f"{FILE_MARK}{shown_path}\n"])


def request_parts(ctx: Context, wire: str) -> tuple[str, tuple[str, ...], Snippets]:
    """``(prompt, stops, other_files)`` for a wire format. Backends that take other files
    natively (llama.cpp's ``input_extra``) and chat hole-fillers (which name the file
    themselves) get the bare prefix; FIM endpoints get Codestral's multi-file prompt."""
    if wire == "llamacpp":
        return ctx.prefix, (), ctx.snippets
    if wire == "chat":
        return ctx.prefix, (), ()
    return ctx.prompt, ctx.stops, ()


def snippet(text: str, offset: int | None, budget_chars: int) -> str:
    """At most ``budget_chars`` of ``text`` in whole lines, centred on ``offset`` (the head of
    the text when ``offset`` is ``None``)."""
    if budget_chars <= 0:
        return ""
    if len(text) <= budget_chars:
        return text
    centre = 0 if offset is None else max(0, min(offset, len(text)))
    start = max(0, min(centre - budget_chars // 2, len(text) - budget_chars))
    window = text[start : start + budget_chars]
    if start > 0:
        window = window[window.find("\n") + 1 :]
    end = window.rfind("\n")
    return window[: end + 1] if end > 0 else window


def display_path(path: str, roots: Sequence[str]) -> str:
    """The path to name a file by: relative to the workspace root holding it, else its last
    two components (never the absolute path: it says nothing and leaks the home directory)."""
    if not path:
        return ""
    normal = os.path.normpath(path)
    for root in roots:
        base = os.path.normpath(root)
        if normal.startswith(base.rstrip(os.sep) + os.sep):
            return os.path.relpath(normal, base).replace(os.sep, "/")
    parts = normal.replace(os.sep, "/").split("/")
    return "/".join(parts[-2:])


def unsaved_name(name: str, language: str) -> str:
    """The header name of a buffer that is not a file: its own name with the extension of its
    language added when it has none (``Untitled-1`` in Python is ``Untitled-1.py``)."""
    extension = EXTENSIONS.get(language, "")
    if not extension or os.path.splitext(name)[1]:
        return name
    return name + extension


def _line_end(text: str, offset: int, high: int) -> int:
    ends = [i for i in (text.find("\n", offset, high), text.find("\r", offset, high)) if i >= 0]
    return min(ends) if ends else high
