"""Languages bench: post-processing on real code in 59 languages, perfect and faulty answers.

bench/quality.py's method on real third-party files in C, C++, JavaScript, TypeScript, Go,
Rust, Ruby, Lua, PHP, Java, Kotlin, Swift, Emacs Lisp, shell, JSON, YAML, TOML, HTML and CSS,
and in Perl, Erlang, Scheme, SQL, Vim script, LaTeX, Makefiles, Markdown, OCaml, CMake, Tcl,
C#, Haskell, Nim, R, Pascal, Prolog and Objective-C, then Vue, Svelte, Solidity, D, Ada and
Zig, then Crystal and fish, then Common Lisp, Racket, Elm, Protocol Buffers, Verilog and VHDL,
then TypeScript with JSX, Clojure, Elixir, Scala, Groovy, Python, SCSS and XML (added later, to
show what the rules do for a language nobody looked at), from pinned Debian, npm and PyPI
packages fetched into a cache on first use (bench/lang_corpus.py says which, and how files are
picked). In each file, seeded sites give a cursor and the true middle, the code really there.
Every answer goes through the rules as the engine runs them (``should_stop`` on each streamed
delta holding a line break, ``clean`` twice, ``replace_length`` for the item's range) and the
resulting document is compared exactly with the real file. Two measures:

* perfect answers (the output is the true middle): the share left intact, in automatic mode
  (``asked=False``, also what textDocument/completion gets) and in invoked mode;
* faulty answers, every fault a site can carry, one per case, automatic mode: the share
  repaired exactly, per fault and overall, with and without fences.

    .venv/bin/python bench/languages.py [--langs go,css] [--per-file 15] [--seed 11]
        [--files 40] [--corpus DIR] [--show [FILTER]] [--json FILE]

Sites are quality.py's six kinds, adapted to brace, ``end``, tag and indentation languages:
code lines skip each language's comments (and Lisp docstrings); a tab counts 8
columns in a file whose tabs and spaces mix past a tab's half (GNU style), else 4; an
``opener`` is the end of any line whose next code line is deeper, its middle the body plus
the block's closing line (``}``, ``end``, ``fi``, ``</div>``, Verilog's ``endmodule``) when
the block ends within 8 lines; no ``next`` site after a line that plainly goes on (an
operator, a comma, ``then``); ``bracket`` sites know each language's quotes.

Faults are quality.py's plus a Markdown fence. ``run_on`` is the next sibling definition,
method, rule or key of the same file (its first 1-3 lines, found by indentation and a
per-language head test) after 0-2 blank lines at the enclosing definition's indentation;
half the time (always in Ruby and Lua) the closing lines up to that definition's own closer
come first. ``fence`` wraps the answer in ```lang ... ``` (or no tag), the leading line break
of an answer that starts on the next line lost, as a chat-style answer writes it.
``--show FILTER`` prints the cases not right whose label (``perfect-auto/go/opener``,
``fence/css/block``) contains FILTER.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lang_corpus
import quality
from quality import MAX_BLOCK_LINES, PAIRS, SITES, Site, split

import codestral_lsp
from codestral_lsp import context, postprocess
from codestral_lsp.postprocess import brackets

FAULTS = (*quality.FAULT_RATES, "over_closed", "fence")
C_LIKE = {
    *("c", "cpp", "javascript", "typescript", "go", "rust", "java", "kotlin", "swift", "php"),
    *("csharp", "objective-c", "solidity", "d", "zig"),
    *("typescriptreact", "scala", "groovy"),
    # Brace-less but for their comments: Verilog's blocks are begin/end, module/endmodule.
    *("proto", "verilog"),
    # Single-file components: their scripts and styles are C-like, their markup is HTML's.
    *("vue", "svelte"),
}
STYLES = {"css", "scss"}
MARKUP = {"html", "xml"}
COMMENTS = {
    **{lang: ("//", "/*", "*", "*/") for lang in C_LIKE},
    "css": ("/*", "*", "*/"),
    "scss": ("//", "/*", "*", "*/"),
    "python": ("#",),
    "php": ("//", "/*", "*", "*/", "#"),
    **{lang: ("#",) for lang in ("ruby", "shellscript", "yaml", "toml", "crystal", "fish")},
    "elixir": ("#",),
    "lua": ("--",),
    **{lang: (";",) for lang in ("emacs-lisp", "scheme", "lisp", "racket", "clojure")},
    **{lang: ("<!--",) for lang in ("html", "xml")},
    "perl": ("#",),
    "erlang": ("%",),
    "sql": ("--",),
    "vim": ('"',),
    "latex": ("%",),
    "makefile": ("#",),
    "markdown": ("<!--",),
    "ocaml": ("(*",),
    "cmake": ("#",),
    "tcl": ("#",),
    "haskell": ("--", "{-"),
    **{lang: ("#",) for lang in ("nim", "r")},
    "pascal": ("//", "{", "(*"),
    "prolog": ("%", "/*"),
    **{lang: ("//", "/*", "*", "*/", "<!--") for lang in ("vue", "svelte")},
    "ada": ("--",),
    "elm": ("--", "{-"),
    "vhdl": ("--",),
}
# Block comments, in the languages that have them and are not C-like: (opening, closing).
BLOCK_COMMENTS = {
    **{lang: ("/*", "*/") for lang in STYLES},
    **{lang: ("<!--", "-->") for lang in MARKUP},
    "haskell": ("{-", "-}"),
    "nim": ("#[", "]#"),
    "pascal": ("{", "}"),
    "prolog": ("/*", "*/"),
    "elm": ("{-", "-}"),
}
# Characters that open strings (where it is not the usual two): a Lisp's ' quotes a form.
QUOTES = {
    **{lang: '"' for lang in ("emacs-lisp", "scheme", "rust", "json", "html", "xml")},
    "sql": "'\"",
    **{lang: '"' for lang in ("cmake", "tcl")},
    **{lang: "\"'`" for lang in ("javascript", "typescript", "go", "r", "vue", "svelte", "d")},
    # Haskell's ' is mostly a prime (``x'``); Pascal's strings are in ''.
    "haskell": '"',
    "pascal": "'",
    # Ada's ' is an attribute's tick (``X'Length``) as often as a character's quote.
    "ada": '"',
    # Verilog's ' sizes a number (``4'b1010``); VHDL's is a character's or an attribute's.
    **{lang: '"' for lang in ("lisp", "racket", "verilog", "vhdl", "clojure")},
    **{lang: "\"'`" for lang in ("typescriptreact", "groovy")},
}
FENCE_TAG = {
    **{"emacs-lisp": "elisp", "shellscript": "bash", "objective-c": "objc"},
    "typescriptreact": "tsx",
}
# A line's code, then the closers it ends with, then maybe a ``;`` or ``,``.
_CLOSING_RUN = re.compile(r"^(.*?[^\s)\]}])([)\]}]+)[;,]?\s*$")
LISPS = {"emacs-lisp", "scheme", "lisp", "racket", "clojure"}
DATA = {"json", "yaml", "toml"}
# Languages whose blocks end with ``end``: a run-on there always closes the block first.
END_LANGS = {"ruby", "lua", "crystal", "fish", "verilog", "vhdl", "elixir"}
# A line that only closes a block: an opener site's middle ends with it when the block does.
CLOSER_LINE = re.compile(r"^\s*(?:[)\]}]+[)\]};,.]*|end\b.*|fi|done|esac|</[\w.:-]+>)\s*$")
# Where blocks end with more than ``end``: Verilog's ``endmodule``, ``endcase``, ``join``.
CLOSER_LINE_OF = {"verilog": re.compile(r"^\s*(?:end\w*\b.*|join\w*)\s*$")}
# A line that plainly goes on below: no ``next`` site after it.
GOES_ON = re.compile(r"[-=+*/%&|^<>!~,.(\[{\\:]$|\b(?:then|do|else|and|or)$")
# Statements, not definitions: a run-on writes the next definition, never one of these.
CONTROL = re.compile(
    r"^\s*(?:[})\].,;:?|&+\-*/=<>!]|(?:if|else|elif|elsif|for|foreach|while|until|do|switch|"
    r"case|when|default|try|catch|finally|rescue|ensure|begin|return|unless|loop|match|guard|"
    r"defer|select|then|fi|done|esac|end|repeat|with|goto|break|continue|yield|throw|raise|"
    r"local\s+\w+\s*=(?!\s*function)|let|var|const|val|\$\w+\s*=)\b)"
)
# Tabs, then more spaces than a tab's half, then code: only where a tab is 8 columns.
MIXED = re.compile(r"\t+ {4,7}\S")
Files = list[tuple[str, list[str]]]


def lead(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def tab_width(lines: list[str]) -> int:
    """Columns of a tab in this file: 8 where tabs and spaces mix past a tab's half (GNU and
    Emacs style: ``\t    x`` is 12 columns deep), else 4."""
    return 8 if any(MIXED.match(line) for line in lines) else 4


def width(line: str, tab: int) -> int:
    """Indentation in columns, a tab counting ``tab``."""
    spaces = lead(line)
    return len(spaces) + (tab - 1) * spaces.count("\t")


def code_lines(lines: list[str], lang: str) -> set[int]:
    """Indexes of lines that are code: not blank, not comments, not inside block comments or
    (Emacs Lisp) multi-line strings; roughly, per language."""
    marks = COMMENTS.get(lang, ())
    opens, closes = BLOCK_COMMENTS.get(lang, ("/*", "*/"))
    out: set[int] = set()
    in_block = in_string = False
    for i, line in enumerate(lines):
        s = line.strip()
        if lang in C_LIKE or lang in BLOCK_COMMENTS:
            if in_block:
                in_block = closes not in s
                continue
            if (s.startswith(opens) if lang not in MARKUP else opens in s) and closes not in s:
                in_block = True
                continue
        elif lang in ("ruby", "perl"):
            # Ruby's =begin/=end, Perl's POD (=head1 … =cut).
            if s.startswith("=begin" if lang == "ruby" else "=") and line[0] == "=":
                in_block = True
            if in_block:
                in_block = not s.startswith("=end" if lang == "ruby" else "=cut")
                continue
            if s.startswith(("__END__", "__DATA__")):
                break
        elif lang == "lua":
            if in_block:
                in_block = "]]" not in s
                continue
            if "--[[" in s or ("[[" in s and "]]" not in s):
                in_block = "]]" not in s.split("[[", 1)[1]
                if s.startswith("--"):
                    continue
        elif lang in ("elixir", "python"):
            # Heredocs (``@doc """``) and docstrings are prose over lines.
            if line.count('"""') % 2 or line.count("'''") % 2:
                in_string = not in_string
                continue
            if in_string:
                continue
        elif lang in LISPS:
            # Common Lisp's and Racket's #| … |# comments a block out.
            if lang in ("lisp", "racket") and (in_block or s.startswith("#|")):
                in_block = "|#" not in s
                continue
            # A docstring spans lines: count the unescaped quotes outside comments.
            code = re.sub(r"\\.", "", line if in_string else line.split(";", 1)[0])
            code = re.sub(r"\?.", "", code)
            was = in_string
            if code.count('"') % 2:
                in_string = not in_string
            if was or in_string:
                continue
        if s and not (marks and s.startswith(marks)):
            out.add(i)
    return out


def last_row(
    lines: list[str], code: set[int], end: int, stop: int, fits: Callable[[int], bool], tab: int
) -> int:
    """The last row, from ``end`` on and up to ``stop``, of the code lines whose indentation
    ``fits``: where a site's middle ends (a blank or comment line, a dedent)."""
    while end < min(stop, len(lines) - 1) and end + 1 in code and fits(width(lines[end + 1], tab)):
        end += 1
    return end


def block_site(path: str, lines: list[str], row: int, code: set[int], tab: int) -> Site | None:
    """After a line's indentation: the lines to a blank line or a dedent."""
    base = width(lines[row], tab)
    if base == 0:
        return None
    end = last_row(lines, code, row, row + MAX_BLOCK_LINES - 1, lambda w: w >= base, tab)
    col = len(lead(lines[row]))
    middle = "".join(lines[row : end + 1])[col:].rstrip("\n")
    if len(middle.strip()) < 2:
        return None
    before, after = split(lines, row, col, middle)
    return Site("block", path, before, middle, after)


def opener_site(
    path: str, lines: list[str], row: int, code: set[int], tab: int, closer: re.Pattern[str]
) -> Site | None:
    """The end of a line whose next code line is deeper: the block's body, and its closing
    line (``closer`` matches it) when the block ends within reach."""
    line = lines[row].rstrip("\n")
    if (
        row + 1 not in code
        or row + 1 >= len(lines)
        or width(lines[row + 1], tab) <= width(line, tab)
    ):
        return None
    base = width(line, tab)
    end = last_row(lines, code, row, row + MAX_BLOCK_LINES, lambda w: w > base, tab)
    capped = end - row >= MAX_BLOCK_LINES
    below = lines[end + 1] if end + 1 < len(lines) else ""
    if not capped and width(below, tab) == base and closer.match(below):
        end += 1
    middle = "\n" + "".join(lines[row + 1 : end + 1]).rstrip("\n")
    before, after = split(lines, row, len(line), middle)
    return Site("opener", path, before, middle, after)


def balanced(line: str, quotes: str) -> bool:
    for q in map(re.escape, quotes):
        line = re.sub(f"{q}[^{q}]*{q}", "", line)
    return all(line.count(o) == line.count(c) for o, c in PAIRS.items())


def next_site(
    path: str, lines: list[str], row: int, code: set[int], quotes: str, tab: int
) -> Site | None:
    """The end of a finished line: the statements below, from the next line at its own
    indentation (it may close blocks) to a blank line or a dedent below that."""
    line = lines[row].rstrip("\n")
    if row + 1 not in code or row + 1 >= len(lines) or GOES_ON.search(line):
        return None
    if not balanced(line, quotes) or width(lines[row + 1], tab) > width(line, tab):
        return None
    base = width(lines[row + 1], tab)
    end = last_row(lines, code, row + 1, row + MAX_BLOCK_LINES, lambda w: w >= base, tab)
    middle = "\n" + "".join(lines[row + 1 : end + 1]).rstrip("\n")
    before, after = split(lines, row, len(line), middle)
    return Site("next", path, before, middle, after)


def make_sites(lang: str, files: Files, per_file: int, seed: int) -> list[Site]:
    """``per_file`` sites in each file, the kinds in turn from a seeded start (any kind once
    the turn has been tried long enough), no place twice."""
    rng = random.Random(f"{seed}:{lang}")
    quotes = QUOTES.get(lang, "\"'")
    closer = CLOSER_LINE_OF.get(lang, CLOSER_LINE)
    sites: list[Site] = []
    for path, lines in files:
        code = code_lines(lines, lang)
        tab = tab_width(lines)
        rows = sorted(r for r in code if len(lines[r]) <= 200)
        if not rows:
            continue
        seen: set[tuple[str, int]] = set()
        offset = rng.randrange(len(SITES))
        tries = got = 0
        while got < per_file and tries < per_file * 30:
            tries += 1
            row = rng.choice(rows)
            turn = tries < per_file * 10
            kind = SITES[(offset + got) % len(SITES)] if turn else rng.choice(SITES)
            if kind == "midline":
                site = quality.midline_site(path, lines, row, rng)
            elif kind == "line_end":
                site = quality.line_end_site(path, lines, row, rng)
            elif kind == "block":
                site = block_site(path, lines, row, code, tab)
            elif kind == "opener":
                site = opener_site(path, lines, row, code, tab, closer)
            elif kind == "next":
                site = next_site(path, lines, row, code, quotes, tab)
            else:
                site = quality.bracket_site(path, lines, row, rng, quotes)
            if site is None or (kind, len(site.before)) in seen:
                continue
            seen.add((kind, len(site.before)))
            sites.append(site)
            got += 1
    return sites


def is_head(lines: list[str], i: int, lang: str, tab: int) -> bool:
    """Whether line ``i`` begins a definition, method, rule or key: what a run-on writes."""
    line = lines[i]
    s = line.strip()
    if not s or (lang != "css" and s.startswith(("//", "/*", "*", "#", "--", ";", "<!--"))):
        return False
    if s.startswith("@") and lang not in STYLES:
        return False
    if lang in DATA:
        return s[0] not in "}]),"
    if lang in MARKUP:
        return s.startswith("<") and not s.startswith(("</", "<!--"))
    if lang in LISPS:
        return s.startswith("(")
    if CONTROL.match(line) or s == "{":
        return False
    if s.endswith("{") or (s.endswith(":") and lang not in STYLES):
        return True
    for j in range(i + 1, min(i + 3, len(lines))):
        if lines[j].strip():
            # Allman style: the head is the line above its lone ``{``.
            allman = lines[j].strip() == "{" and width(lines[j], tab) == width(line, tab)
            return allman or width(lines[j], tab) > width(line, tab)
    return False


def run_on_parts(site: Site, lines: list[str], lang: str) -> tuple[str, list[str], list[str]]:
    """What a run-on after this site writes: the enclosing definition's indentation, the head
    of the next sibling definition (dedented), and the closing lines of the code below up to
    that definition's own closer (none when the code below is not only those)."""
    row = site.before.count("\n")
    tab = tab_width(lines)
    line_start = site.before[site.before.rfind("\n") + 1 :]
    if site.middle.startswith("\n"):
        # The cursor's line itself may be the enclosing head (an opener on a ``def`` line).
        probe, top = width(site.middle.split("\n")[1], tab), row
    else:
        probe, top = width(line_start if not line_start.strip() else lines[row], tab), row - 1
    head_row = None
    for i in range(top, -1, -1):
        if lines[i].strip() and width(lines[i], tab) < probe and is_head(lines, i, lang, tab):
            head_row = i
            break
    pad = lead(lines[head_row]) if head_row is not None else ""
    # The sibling: the next head at that indentation below the middle, else the one above.
    below = range(row + site.middle.count("\n") + 1, len(lines))
    above = range((row if head_row is None else head_row) - 1, -1, -1)
    sibling = None
    for i in itertools.chain(below, above):
        if lead(lines[i]) == pad and lines[i].strip() and is_head(lines, i, lang, tab):
            sibling = i
            break
    if sibling is None or sibling == head_row:
        return pad, [], []
    head = []
    for x in lines[sibling : sibling + 3]:
        if not x.strip():
            break
        head.append(x.rstrip("\n"))
    closers: list[str] = []
    after = site.after.split("\n")
    if head_row is not None and after and not after[0].strip():
        for x in after[1:6]:
            if not CLOSER_LINE_OF.get(lang, CLOSER_LINE).match(x):
                break
            closers.append(x)
            if lead(x) == pad:
                break
        if not closers or lead(closers[-1]) != pad:
            closers = []
    dedented = [x[len(pad) :] if x.startswith(pad) else x.lstrip() for x in head]
    return pad, dedented, closers


def faults(
    site: Site, lang: str, lines: list[str], rng: random.Random
) -> dict[str, Callable[[], str]]:
    """The faults this site can carry, as makers of the raw output."""
    makers: dict[str, Callable[[], str]] = {}
    after = site.after.split("\n")
    tail = after[0]
    lp = site.before[site.before.rfind("\n") + 1 :]
    kind, middle = site.kind, site.middle
    if kind == "midline":
        # The whole rest of the line again, or only its first tokens.
        cuts = [m.end() for m in quality._TOKEN.finditer(tail)]
        makers["suffix_repeat"] = lambda: middle + tail[: rng.choice([len(tail), *cuts])]
    if kind in ("line_end", "block", "opener", "next") and any(x.strip() for x in after[1:4]):
        makers["suffix_repeat"] = lambda: middle + "\n".join(after[: rng.randint(1, 3) + 1])
    if kind == "bracket":
        closers = tail.rstrip()
        makers["bracket_doubled"] = lambda: middle + closers[: rng.randint(1, len(closers))]
    if kind in ("line_end", "block", "opener", "next"):
        pad, head, shut = run_on_parts(site, lines, lang)
        if head:

            def run_on() -> str:
                gap = rng.choice(["\n", "\n\n", "\n\n\n"])
                body = "\n".join(pad + x for x in head)
                if shut and (lang in END_LANGS or rng.random() < 0.5):
                    return middle + "\n" + "\n".join(shut) + gap + body
                return middle + gap + body

            makers["run_on"] = run_on
    over = over_closed(lp + middle, len(lp), tail, lang)
    if over is not None:
        makers["over_closed"] = lambda: over[len(lp) :]
    if lp[-1:] == " ":
        makers["leading_space"] = lambda: " " + middle
    if kind == "opener":
        makers["repeated_line"] = lambda: middle + "\n" + middle.split("\n")[-1]
    if kind == "block":
        makers["leading_newline"] = lambda: "\n" + lp + middle
        full = (lp + middle).split("\n")
        above = site.before.rstrip().split("\n")[-1]
        variants = [middle + "\n" + full[-1]]
        if len(full) > 1:
            variants.append(middle + "\n" + "\n".join(full))
        if above.strip() and lead(above) == lp:
            variants.append(above[len(lp) :] + "\n" + lp + middle)
        makers["repeated_line"] = lambda: rng.choice(variants)
    tag = FENCE_TAG.get(lang, lang)

    def fence() -> str:
        opening = "```" + rng.choice([tag, tag, ""]) + "\n"
        closing = rng.choice(["\n```", "\n```\n"])
        if middle.startswith("\n"):
            return opening + middle[1:] + closing
        return opening + (lp if not lp.strip() else "") + middle + closing

    makers["fence"] = fence
    return makers


def over_closed(text: str, cursor: int, tail: str, lang: str) -> str | None:
    """``text`` with its first line closing once more than it does (``f(g(x)))``), where that
    line ends the cursor's line (nothing after it), has code before its closers and the
    added closer comes at or after the ``cursor`` (an index of ``text``): what a
    model writes when it loses count, with no closer after the cursor to compare. Not in a
    comment, whose brackets are prose."""
    first, sep, rest = text.partition("\n")
    found = _CLOSING_RUN.search(first)
    if tail.strip() or found is None or not found.group(1).strip() or found.end(2) < cursor:
        return None
    if brackets.without_trailing_comment(first, lang) != first.rstrip():
        return None
    closers = found.group(2)
    return first[: found.end(2)] + closers[-1] + first[found.end(2) :] + sep + rest


def serve(site: Site, lang: str, raw: str, asked: bool, seed: int) -> tuple[str, int]:
    """What the server would show for this raw output: (text, characters replaced). Deltas
    of 1-8 characters; ``should_stop`` where the engine asks it, on a delta with a line
    break."""
    doc = site.before + site.after
    path = "/" + site.path.split("/", 1)[1]
    ctx = context.build(doc, len(site.before), "file://" + path, language=lang, path=path)
    multiline = postprocess.wants_multiline(ctx, "auto")
    rng = random.Random(seed)
    text = ""
    while raw:
        size = rng.randint(1, 8)
        delta, raw = raw[:size], raw[size:]
        text += delta
        if postprocess.breaks_line(delta) and postprocess.should_stop(text, ctx, multiline):
            break
    shown = postprocess.clean(postprocess.clean(text, ctx, multiline, asked), ctx, multiline, asked)
    return shown, postprocess.replace_length(shown, ctx)


def run(
    files: dict[str, Files], per_file: int, seed: int, show: str | None
) -> dict[str, Counter[str]]:
    """Counts per language: sites, intact perfect answers per mode, and per fault the cases
    and exact repairs. ``show`` prints the cases whose label contains it."""
    stats: dict[str, Counter[str]] = {}
    for lang, picked in files.items():
        counts = stats.setdefault(lang, Counter())
        lines_of = dict(picked)
        for n, site in enumerate(make_sites(lang, picked, per_file, seed)):
            # Seeded per site: a language's cases do not depend on which others run.
            site_seed = zlib.crc32(f"{seed}:{n}:{lang}".encode()) & 0xFFFF
            want = site.before + site.middle + site.after
            counts["sites"] += 1
            outputs = [(f"perfect-{m}", site.middle, m == "invoked") for m in ("auto", "invoked")]
            makers = faults(site, lang, lines_of[site.path], random.Random(site_seed))
            outputs += [(fault, make(), False) for fault, make in makers.items()]
            for what, raw, asked in outputs:
                shown, replaced = serve(site, lang, raw, asked, site_seed)
                ok = site.before + shown + site.after[replaced:] == want
                counts[f"n:{what}"] += 1
                counts[f"ok:{what}"] += ok
                label = f"{what}/{lang}/{site.kind}"
                if not ok and show is not None and show in label:
                    print(f"--- {label} {site.path}")
                    print(f"prefix tail: {site.before[-160:]!r}")
                    print(f"suffix head: {site.after[:120]!r}")
                    print(f"raw:   {raw!r}\nshown: {shown!r} replace={replaced}")
                    print(f"want:  {site.middle!r}")
    return stats


def figures(counts: Counter[str], files: int) -> dict[str, Any]:
    """The shares right: perfect answers per mode; faulty ones overall, without fences and
    per fault."""

    def share(*what: str) -> float | None:
        n = sum(counts[f"n:{w}"] for w in what)
        return sum(counts[f"ok:{w}"] for w in what) / n if n else None

    return {
        "files": files,
        "sites": counts["sites"],
        "intact_auto": share("perfect-auto"),
        "intact_invoked": share("perfect-invoked"),
        "faulty": sum(counts[f"n:{f}"] for f in FAULTS),
        "repaired": share(*FAULTS),
        "repaired_without_fence": share(*FAULTS[:-1]),
        "faults": {f: {"cases": counts[f"n:{f}"], "repaired": share(f)} for f in FAULTS},
    }


def table(results: dict[str, dict[str, Any]]) -> str:
    """Per language, then per fault over all languages."""

    def pct(share: float | None) -> str:
        return "-" if share is None else f"{share:.1%}"

    rows = [
        "| language | files | sites | intact auto | intact invoked | faulty | repaired "
        "| w/o fence |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for lang, r in results.items():
        name = "**all**" if lang == "all" else lang
        rows.append(
            f"| {name} | {r['files']} | {r['sites']} | {pct(r['intact_auto'])} | "
            f"{pct(r['intact_invoked'])} | {r['faulty']} | {pct(r['repaired'])} | "
            f"{pct(r['repaired_without_fence'])} |"
        )
    rows += ["", "| fault | cases | repaired exactly |", "| --- | ---: | ---: |"]
    for fault, r in results["all"]["faults"].items():
        rows.append(f"| {fault} | {r['cases']} | {pct(r['repaired'])} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=lang_corpus.DEFAULT_CACHE)
    parser.add_argument("--langs", default="", help="comma-separated, default all")
    parser.add_argument("--files", type=int, default=40, help="files per language")
    parser.add_argument("--per-file", type=int, default=15, help="sites per file")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--show", nargs="?", const="", metavar="FILTER", help="print cases not right"
    )
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    langs = args.langs.split(",") if args.langs else list(lang_corpus.LANGUAGES)
    unknown = set(langs) - set(lang_corpus.LANGUAGES)
    if unknown:
        parser.error(f"unknown languages: {', '.join(sorted(unknown))}")
    started = time.perf_counter()
    sources = sorted({s for lang in langs for s, _ in lang_corpus.LANGUAGES[lang]})
    status = lang_corpus.fetch(args.corpus, sources, print)
    for source, why in status.items():
        if why.startswith("missing"):
            print(f"not fetched: {source} ({why.removeprefix('missing: ')})")
    files = {lang: lang_corpus.pick(args.corpus, lang, args.files) for lang in langs}
    for lang in [lang for lang, picked in files.items() if not picked]:
        print(f"{lang}: no files (its packages could not be fetched): left out")
        del files[lang]
    if not files:
        return 1
    fetched = time.perf_counter()
    stats = run(files, args.per_file, args.seed, args.show)
    results = {lang: figures(counts, len(files[lang])) for lang, counts in stats.items()}
    total = sum(stats.values(), Counter())
    results["all"] = figures(total, sum(map(len, files.values())))
    package = str(Path(codestral_lsp.__file__).parent)
    print(
        f"languages bench: {len(files)} languages, up to {args.files} files each, "
        f"{args.per_file} sites per file, seed {args.seed}; package {package}"
    )
    print(table(results))
    print(f"(corpus {fetched - started:.1f} s, cases {time.perf_counter() - fetched:.1f} s)")
    if args.json:
        picked = {lang: [label for label, _ in f] for lang, f in files.items()}
        out = {"package": package, "seed": args.seed, "per_file": args.per_file}
        out |= {"sources": status, "results": results, "files": picked}
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
