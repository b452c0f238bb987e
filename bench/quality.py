"""Quality bench: does post-processing repair known model faults, and leave clean output alone?

Cases come from real files (the Python standard library this interpreter ships), at seeded
sites whose ground-truth middle is known: the code really there. For each case a "model output"
is made that carries one known fault (or none), streamed through the same rules the server
runs (``should_stop`` per delta, then ``clean`` twice as the engine does, then
``replace_length`` for the item's range), and the resulting document is compared with the real
one. A repair counts only when the document comes out exactly right.

    .venv/bin/python bench/quality.py [--cases N] [--seed S] [--show]

Sites (the cursor and the true middle):

* ``midline``: inside a line before word characters, the middle a run of whole tokens;
* ``line_end``: inside a line, the middle the rest of the line;
* ``block``: after a line's indentation, the middle the lines to the end of the block (a blank
  line or a less indented line, at most 8 lines);
* ``opener``: at the end of a line ending with ``:``, the middle the block's body;
* ``next``: at the end of a finished line, the middle the statements below it, from the next
  line at its own indentation (it may close blocks) to a blank line or a less indented line;
* ``bracket``: right after an opening bracket or quote whose closer ends the line, as an
  editor's auto-close leaves it; the middle what is between.

Faults: ``suffix_repeat`` (the rest of the line, whole or its first tokens, or the next 1-3
lines re-typed), ``bracket_doubled`` (all or the start of the auto-closed tail typed again),
``run_on`` (a real definition from another module appended after 0-2 blank lines at the
enclosing definition's indentation), ``leading_space`` (one space before the middle where the
prefix ends with a space), ``leading_newline`` (a line break and the indentation again, at a
blank cursor line), ``repeated_line`` (the last line twice, the whole block twice, or the line
above the cursor re-typed first).

By design a multi-line suggestion never spans a blank line, so sites stop at blank lines.
"""

from __future__ import annotations

import argparse
import io
import random
import re
import sys
import sysconfig
import time
import tokenize
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from codestral_lsp import context
from codestral_lsp.postprocess import clean, replace_length, should_stop, wants_multiline

SITES = ("midline", "line_end", "block", "opener", "next", "bracket")
# How often each fault is given to a site that can carry it; the rest of the outputs are clean.
FAULT_RATES = {
    "suffix_repeat": 0.12,
    "bracket_doubled": 0.12,
    "run_on": 0.12,
    "leading_space": 0.10,
    "leading_newline": 0.08,
    "repeated_line": 0.12,
}
MAX_BLOCK_LINES = 8
_TOKEN = re.compile(r"\w+|[^\w\s]")
_DEF = re.compile(r"^(\s*)(async def|def|class) ")
PAIRS = {"(": ")", "[": "]", "{": "}"}


@dataclass(frozen=True)
class Site:
    """A place in a real file: the text before the middle, the middle, the text after."""

    kind: str
    path: str
    before: str
    middle: str
    after: str


@dataclass(frozen=True)
class Case:
    """A site and the raw model output made for it."""

    site: Site
    fault: str
    raw: str


def corpus(rng: random.Random, files: int) -> list[tuple[str, list[str]]]:
    """Seeded sample of standard-library modules, as lines (with their line ends)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    paths = sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts)
    picked = rng.sample(paths, min(files, len(paths)))
    out = []
    for path in picked:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if "\t" in text or "\r" in text:
            continue
        out.append((str(path.relative_to(root)), text.splitlines(keepends=True)))
    return out


def code_lines(lines: list[str]) -> set[int]:
    """Indexes of lines that are code: not comments, not inside multi-line strings."""
    text = "".join(lines)
    inside: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                inside.update(range(tok.start[0] - 1, tok.end[0]))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return set()
    return {
        i
        for i, line in enumerate(lines)
        if i not in inside and line.strip() and not line.lstrip().startswith(("#", "@"))
    }


def indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def split(lines: list[str], row: int, col: int, middle: str) -> tuple[str, str]:
    """The text before and after ``middle`` starting at (row, col)."""
    before = "".join(lines[:row]) + lines[row][:col]
    rest = "".join(lines[row:])[col + len(middle) :]
    return before, rest


def midline_site(path: str, lines: list[str], row: int, rng: random.Random) -> Site | None:
    """Cursor inside a line, before word characters: the middle is a run of whole tokens."""
    line = lines[row].rstrip("\n")
    tokens = [m.span() for m in _TOKEN.finditer(line)]
    if len(tokens) < 3:
        return None
    first = rng.randrange(0, len(tokens) - 1)
    last = rng.randrange(first, min(len(tokens) - 1, first + 6))
    start, end = tokens[first][0], tokens[last][1]
    middle = line[start:end]
    if not re.search(r"\w", middle) or not re.search(r"\w", line[end:]):
        return None
    before, after = split(lines, row, start, middle)
    return Site("midline", path, before, middle, after)


def line_end_site(path: str, lines: list[str], row: int, rng: random.Random) -> Site | None:
    """Cursor inside a line with nothing after it: the middle is the rest of the line."""
    line = lines[row].rstrip("\n")
    tokens = [m.span() for m in _TOKEN.finditer(line)]
    if len(tokens) < 2:
        return None
    start = tokens[rng.randrange(1, len(tokens))][0]
    middle = line[start:]
    if not re.search(r"\w", middle):
        return None
    before, after = split(lines, row, start, middle)
    return Site("line_end", path, before, middle, after)


def block_site(path: str, lines: list[str], row: int, code: set[int]) -> Site | None:
    """Cursor after a line's indentation: the middle runs to the end of the block (a blank
    line or a line less indented than the first)."""
    base = indent(lines[row])
    if base == 0:
        return None
    end = row
    while (
        end + 1 < len(lines)
        and end + 1 - row < MAX_BLOCK_LINES
        and end + 1 in code
        and indent(lines[end + 1]) >= base
    ):
        end += 1
    middle = "".join(lines[row : end + 1])[base:].rstrip("\n")
    if len(middle.strip()) < 2:
        return None
    before, after = split(lines, row, base, middle)
    return Site("block", path, before, middle, after)


def opener_site(path: str, lines: list[str], row: int, code: set[int]) -> Site | None:
    """Cursor at the end of a line that opens a block (``if x:``): the middle is the block's
    body, on the lines below, up to a blank line or the end of the block."""
    line = lines[row].rstrip("\n")
    if not line.endswith(":") or row + 1 not in code:
        return None
    base = indent(line)
    end = row
    while (
        end + 1 < len(lines)
        and end + 1 - row <= MAX_BLOCK_LINES
        and end + 1 in code
        and indent(lines[end + 1]) > base
    ):
        end += 1
    if end == row:
        return None
    middle = "\n" + "".join(lines[row + 1 : end + 1]).rstrip("\n")
    before, after = split(lines, row, len(line), middle)
    return Site("opener", path, before, middle, after)


def next_site(path: str, lines: list[str], row: int, code: set[int]) -> Site | None:
    """Cursor at the end of a finished line (brackets balanced, not opening a block): the
    middle is the statements below, from the next line at its own indentation (which may close
    blocks) to a blank line or a line less indented than that first one."""
    line = lines[row].rstrip("\n")
    if row + 1 not in code or line.endswith((":", ",", "\\")) or not balanced(line):
        return None
    base = indent(lines[row + 1])
    end = row + 1
    while (
        end + 1 < len(lines)
        and end + 1 - row <= MAX_BLOCK_LINES
        and end + 1 in code
        and indent(lines[end + 1]) >= base
    ):
        end += 1
    middle = "\n" + "".join(lines[row + 1 : end + 1]).rstrip("\n")
    before, after = split(lines, row, len(line), middle)
    return Site("next", path, before, middle, after)


def balanced(line: str) -> bool:
    """Whether a line's brackets (outside simple string literals) close what they open."""
    code = re.sub(r"'[^']*'|\"[^\"]*\"", "", line)
    return all(code.count(o) == code.count(c) for o, c in PAIRS.items())


def bracket_site(
    path: str, lines: list[str], row: int, rng: random.Random, quotes: str = "\"'"
) -> Site | None:
    """Cursor right after an opener whose closer (auto-inserted by the editor) ends the line;
    ``quotes`` are the characters that delimit strings in the file's language."""
    line = lines[row].rstrip("\n")
    stack: list[int] = []
    quote = ""
    found: list[tuple[int, int]] = []
    for i, char in enumerate(line):
        if quote:
            if char == quote[0]:
                found.append((int(quote[1:]), i))
                quote = ""
        elif char in quotes:
            quote = f"{char}{i}"
        elif char in PAIRS:
            stack.append(i)
        elif char in PAIRS.values() and stack:
            found.append((stack.pop(), i))
    good = [
        (o, c)
        for o, c in found
        if c > o + 1 and not re.search(r"\w", line[c:]) and re.search(r"\w", line[o + 1 : c])
    ]
    if not good:
        return None
    opener, closer = rng.choice(good)
    middle = line[opener + 1 : closer]
    before, after = split(lines, row, opener + 1, middle)
    return Site("bracket", path, before, middle, after)


def enclosing_def_indent(before: str) -> int:
    """Indentation of the ``def``/``class`` the cursor is in (less indented than the cursor)."""
    lines = before.split("\n")
    base = indent(lines[-1])
    for line in reversed(lines[:-1]):
        match = _DEF.match(line)
        if match and len(match.group(1)) < base:
            return len(match.group(1))
    return 0


def line_prefix(site: Site) -> str:
    return site.before[site.before.rfind("\n") + 1 :]


def faults(site: Site, defs: list[str], rng: random.Random) -> dict[str, Callable[[], str]]:
    """The faults this site can carry, as makers of the raw output."""
    makers: dict[str, Callable[[], str]] = {}
    after_lines = site.after.split("\n")
    tail = after_lines[0]
    lp = line_prefix(site)
    if site.kind == "midline":
        # The whole rest of the line again, or only its first tokens.
        cuts = [m.end() for m in _TOKEN.finditer(tail)]
        makers["suffix_repeat"] = lambda: site.middle + tail[: rng.choice([len(tail), *cuts])]
    if site.kind in ("line_end", "block", "opener", "next") and any(
        x.strip() for x in after_lines[1:4]
    ):
        count = rng.randint(1, 3)
        makers["suffix_repeat"] = lambda: site.middle + "\n".join(after_lines[: count + 1])
    if site.kind == "bracket":
        closers = tail.rstrip()
        makers["bracket_doubled"] = lambda: site.middle + closers[: rng.randint(1, len(closers))]
    if site.kind in ("line_end", "block", "opener", "next"):
        pad = " " * enclosing_def_indent(site.before)
        gap = rng.choice(["\n", "\n\n", "\n\n\n"])
        makers["run_on"] = lambda: site.middle + gap + "\n".join(pad + x for x in rng.choice(defs))
    if lp[-1:] == " ":
        makers["leading_space"] = lambda: " " + site.middle
    if site.kind == "opener":
        body = site.middle.split("\n")
        makers["repeated_line"] = lambda: site.middle + "\n" + body[-1]
    if site.kind == "block":
        makers["leading_newline"] = lambda: "\n" + lp + site.middle
        full = (lp + site.middle).split("\n")
        above = site.before.rstrip().split("\n")[-1]
        variants = [site.middle + "\n" + full[-1]]
        if len(full) > 1:
            variants.append(site.middle + "\n" + "\n".join(full))
        if above.strip() and indent(above) == len(lp):
            variants.append(above[len(lp) :] + "\n" + lp + site.middle)
        makers["repeated_line"] = lambda: rng.choice(variants)
    return makers


def sample_defs(files: list[tuple[str, list[str]]]) -> list[list[str]]:
    """Heads of real definitions (the line and up to two body lines), dedented: what a model
    runs on into."""
    out = []
    for _, lines in files:
        for i, line in enumerate(lines):
            match = _DEF.match(line)
            if match and i + 2 < len(lines):
                cut = len(match.group(1))
                head = [x.rstrip("\n")[cut:] for x in lines[i : i + 3]]
                if all(x.strip() for x in head):
                    out.append(head)
    return out


def make_cases(total: int, seed: int) -> list[Case]:
    """``total`` cases from seeded sites and faults."""
    rng = random.Random(seed)
    files = corpus(rng, 400)
    defs = sample_defs(files)
    rows = [sorted(code_lines(lines)) for _, lines in files]
    cases: list[Case] = []
    while len(cases) < total:
        pick = rng.randrange(len(files))
        path, lines = files[pick]
        if not rows[pick]:
            continue
        code = set(rows[pick])
        row = rng.choice(rows[pick])
        kind = rng.choice(SITES)
        if kind == "midline":
            site = midline_site(path, lines, row, rng)
        elif kind == "line_end":
            site = line_end_site(path, lines, row, rng)
        elif kind == "block":
            site = block_site(path, lines, row, code)
        elif kind == "opener":
            site = opener_site(path, lines, row, code)
        elif kind == "next":
            site = next_site(path, lines, row, code)
        else:
            site = bracket_site(path, lines, row, rng)
        if site is None:
            continue
        makers = faults(site, defs, rng)
        fault = "clean"
        roll = rng.random()
        for name, rate in FAULT_RATES.items():
            if roll < rate:
                fault = name if name in makers else "clean"
                break
            roll -= rate
        raw = site.middle if fault == "clean" else makers[fault]()
        cases.append(Case(site, fault, raw))
    return cases


def serve(case: Case, rng: random.Random) -> tuple[str, int]:
    """What the server would show for this raw output: (text, characters replaced)."""
    site = case.site
    doc = site.before + site.after
    ctx = context.build(
        doc, len(site.before), "file:///" + site.path, language="python", path=site.path
    )
    multiline = wants_multiline(ctx, "auto")
    text = ""
    raw = case.raw
    while raw:
        size = rng.randint(1, 8)
        text, raw = text + raw[:size], raw[size:]
        if should_stop(text, ctx, multiline):
            break
    shown = clean(clean(text, ctx, multiline), ctx, multiline)
    return shown, replace_length(shown, ctx)


def run(total: int, seed: int, show: bool = False) -> dict[str, Counter[str]]:
    """Counts per fault kind: cases, exact repairs, untouched clean outputs. ``show`` prints
    every case that did not come out exact."""
    stats: dict[str, Counter[str]] = {}
    rng = random.Random(seed + 1)
    for case in make_cases(total, seed):
        site = case.site
        shown, replaced = serve(case, rng)
        result = site.before + shown + site.after[replaced:]
        counts = stats.setdefault(case.fault, Counter())
        counts["n"] += 1
        counts[site.kind] += 1
        if result == site.before + site.middle + site.after:
            counts["exact"] += 1
        elif show:
            print(f"--- {case.fault}/{site.kind} {site.path}")
            print(f"prefix tail: {site.before[-120:]!r}")
            print(f"suffix head: {site.after[:120]!r}")
            print(f"raw:   {case.raw!r}\nshown: {shown!r} replace={replaced}")
            print(f"want:  {site.middle!r}")
    return stats


def table(stats: dict[str, Counter[str]]) -> str:
    """The report: per fault kind, cases and share repaired to exactly the ground truth."""
    rows = ["| output kind | cases | sites (" + "/".join(SITES) + ") | exact | target |"]
    rows.append("| --- | ---: | --- | ---: | ---: |")
    faulty_n = faulty_exact = 0
    for kind in ["clean", *FAULT_RATES]:
        counts = stats.get(kind)
        if not counts:
            continue
        share = counts["exact"] / counts["n"]
        sites = "/".join(str(counts[s]) for s in SITES)
        target = "99 % untouched" if kind == "clean" else ""
        label = "clean (left unchanged)" if kind == "clean" else f"{kind} (repaired exactly)"
        rows.append(f"| {label} | {counts['n']} | {sites} | {share:.1%} | {target} |")
        if kind != "clean":
            faulty_n += counts["n"]
            faulty_exact += counts["exact"]
    rows.append(
        f"| all faults (repaired exactly) | {faulty_n} | | {faulty_exact / faulty_n:.1%} | 95 % |"
    )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show", action="store_true", help="print every case not exact")
    args = parser.parse_args()
    started = time.perf_counter()
    stats = run(args.cases, args.seed, args.show)
    print(f"quality bench: {args.cases} cases, seed {args.seed}, Python stdlib {sys.version[:4]}")
    rates = ", ".join(f"{name} {rate:.0%}" for name, rate in FAULT_RATES.items())
    print(f"fault rates (where a site can carry the fault): {rates}; the rest clean")
    print(table(stats))
    print(f"({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
