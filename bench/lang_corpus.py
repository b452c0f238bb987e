"""The corpus of bench/languages.py: real third-party files in 59 languages, fetched, never
committed.

The files come from pinned packages: Debian packages by name (``apt-get download``, then
``dpkg-deb -x``; no root needed), the upstream sources of a Debian package (``debsrc:``, the
``.orig`` tarball its source package names, from the same mirror), npm packages by name and
version (``npm pack``) and PyPI wheels by name and version (``pip download``, unpacked as the
zip files they are). A glob through ``.jar!/`` reads inside the jars it names (Clojure's
libraries ship their sources there). The first
run fetches them into a cache directory and keeps the files the globs below name; later runs
read the cache and touch no network. A Debian package's version is the one the machine's apt
sources offer (Debian 12 when this was written; the newest offered where apt would pick an
installed version the mirror no longer has); the file fetched is kept in the cache and in
``--json``'s output, so runs can be compared.

Picking is seeded and fixed: per language, each (package, glob) pool's files in sorted order,
shuffled by a seed of their own (a missing package shifts no other pick), are taken in turn
across pools (so one big package does not make the whole language), skipping unusable ones
(not UTF-8, CR line ends but C#'s CRLF, over 150 KB, a line over 400 characters: minified or
generated) and repeated contents.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

DEFAULT_CACHE = Path.home() / ".cache" / "codestral-lsp" / "bench-corpus"
FILE_SEED = 20240611
MAX_BYTES = 150_000
MAX_LINE = 400
MIN_LINES = 25
# A Cargo.toml is short: with 25 lines TOML would have hardly any files.
MIN_LINES_OF = {"toml": 10}
# The shell globs also match the odd Perl script or binary: a shebang must name a shell.
_SHELL = re.compile(r"#!\s*\S*/(?:env\s+)?(?:ba|da)?sh\b")
_MARKER = ".fetched.json"
# Where files written on Windows are the rule: their CRLF line ends are read as LF.
CRLF_LANGS = {"csharp"}

# Crates by their Debian names: their sources for Rust, their Cargo.toml for TOML.
CRATES = (
    "anyhow base64 bitflags byteorder bytes cfg-if chrono clap either fnv glob hashbrown hex "
    "indexmap itertools itoa lazy-static log memchr once-cell rand regex scopeguard semver "
    "serde serde-json smallvec syn tempfile thiserror time walkdir"
)
GO = "spf13-cobra spf13-pflag google-uuid pkg-errors"
EXPO = "npm:expo-modules-core@2.2.3"
SCREENS = "npm:react-native-screens@4.4.0"
# Common Lisp libraries as Debian ships their sources (for the Lisps that load them).
CL_LIBS = (
    "alexandria ppcre hunchentoot cffi usocket lparallel esrap postmodern bordeaux-threads swank"
)
PROTOS = "npm:google-proto-files@6.0.1"
ELM_PAGES = "npm:elm-pages@3.1.3"
GHDL = "usr/lib/ghdl/src"
CLJ_LIBS = (
    "libclojure-java libcore-async-clojure libcore-match-clojure libcheshire-clojure "
    "libclj-time-clojure libcompojure-clojure libcore-cache-clojure libmedley-clojure "
    "libring-core-clojure libtools-cli-clojure libtools-reader-clojure libdata-json-clojure"
)


def _each(names: str, glob: str, form: str = "deb:{}") -> list[tuple[str, str]]:
    return [(form.format(name), glob) for name in names.split()]


# language (its LSP languageId) -> (package, glob of the files to take from it)
LANGUAGES: dict[str, list[tuple[str, str]]] = {
    "c": [
        *_each("linux-libc-dev libssl-dev libpq-dev x11proto-dev", "usr/**/*.h"),
        ("deb:libcurl4-doc", "usr/share/doc/**/*.c"),
    ],
    "cpp": [
        ("deb:libstdc++-12-dev", "usr/include/c++/**/*"),
        ("deb:nlohmann-json3-dev", "usr/include/**/*.hpp"),
        ("deb:nlohmann-json3-dev", "usr/share/doc/**/*.cpp"),
        ("deb:libfmt-dev", "usr/include/**/*.h"),
        (EXPO, "package/common/cpp/**/*"),
    ],
    "javascript": [
        *_each("express@4.21.2 node-forge@1.3.1 pino@9.5.0", "package/lib/**/*.js", "npm:{}"),
        *_each("readable-stream@4.5.2", "package/lib/**/*.js", "npm:{}"),
        *_each("semver@7.6.3 chokidar@3.6.0", "package/**/*.js", "npm:{}"),
    ],
    "typescript": [
        ("npm:rxjs@7.8.1", "package/src/**/*.ts"),
        ("npm:type-fest@4.26.1", "package/source/**/*.d.ts"),
        (EXPO, "package/src/**/*.ts"),
    ],
    "go": _each(GO, "usr/share/gocode/**/*.go", "deb:golang-github-{}-dev"),
    "rust": _each(CRATES, "usr/share/cargo/**/*.rs", "deb:librust-{}-dev"),
    "ruby": _each("libruby3.1 ruby-rack", "usr/**/*.rb"),
    "lua": _each("lua-penlight lua-json", "usr/share/lua/**/*.lua"),
    "php": _each("php-monolog php-symfony-console php-psr-log", "usr/share/php/**/*.php"),
    "java": [(EXPO, "package/android/**/*.java"), (SCREENS, "package/android/**/*.java")],
    "kotlin": [(EXPO, "package/android/**/*.kt"), (SCREENS, "package/android/**/*.kt")],
    "swift": [(EXPO, "package/ios/**/*.swift")],
    "emacs-lisp": _each(
        "elpa-magit elpa-company elpa-dash elpa-yasnippet elpa-markdown-mode",
        "usr/share/emacs/site-lisp/**/*.el",
    ),
    "shellscript": [
        ("deb:bash-completion", "usr/share/bash-completion/completions/*"),
        ("deb:initramfs-tools-core", "usr/share/initramfs-tools/**/*"),
        ("deb:pbuilder", "usr/lib/pbuilder/*"),
        ("deb:dracut-core", "usr/lib/dracut/**/*.sh"),
        ("deb:debianutils", "usr/*bin/*"),
    ],
    "json": [
        ("deb:cmake-data", "usr/share/cmake-*/**/*.json"),
        ("deb:iso-codes", "usr/share/iso-codes/json/*.json"),
    ],
    "yaml": _each("ansible-core ruby-faker", "usr/**/*.yml"),
    "toml": _each(CRATES, "usr/share/cargo/**/*.toml", "deb:librust-{}-dev"),
    "html": _each("sqlite3-doc libffi-dev libxslt1-dev libexpat1-dev", "usr/share/doc/**/*.html"),
    "css": [
        *_each("libsource-highlight-common docutils-common", "usr/share/**/*.css"),
        ("npm:purecss@3.0.0", "package/build/*.css"),
    ],
    # Languages no rule was written for: what a user of one meets.
    "perl": [("deb:perl-modules-5.36", "usr/share/perl/**/*.pm")],
    "erlang": [("deb:erlang-src", "usr/lib/erlang/lib/**/*.erl")],
    "scheme": [("deb:guile-3.0-libs", "usr/share/guile/**/*.scm")],
    "sql": [("deb:postgresql-15", "usr/share/postgresql/**/*.sql")],
    "vim": [
        ("deb:vim-runtime", "usr/share/vim/vim90/autoload/**/*.vim"),
        ("deb:vim-runtime", "usr/share/vim/vim90/ftplugin/*.vim"),
    ],
    "latex": [("deb:texlive-latex-base", "usr/share/texlive/texmf-dist/tex/latex/**/*.sty")],
    "makefile": [("deb:automake", "usr/share/automake-*/am/*.am")],
    "markdown": [("npm:pino@9.5.0", "package/docs/*.md"), ("npm:rxjs@7.8.1", "package/*.md")],
    "ocaml": [("deb:ocaml", "usr/lib/ocaml/*.ml")],
    "cmake": [("deb:cmake-data", "usr/share/cmake-*/Modules/*.cmake")],
    "tcl": [("deb:tcllib", "usr/share/tcltk/tcllib*/**/*.tcl")],
    "csharp": [("npm:react-native-windows@0.76.0", "package/**/*.cs")],
    "haskell": [
        ("deb:hugs", "usr/lib/hugs/packages/**/*.hs"),
        ("deb:hugs", "usr/lib/hugs/programs/**/*.hs"),
        ("deb:hugs", "usr/lib/hugs/oldlib/*.hs"),
    ],
    "nim": [("deb:nim", "usr/lib/nim/lib/**/*.nim")],
    "r": [("deb:r-cran-ggplot2", "usr/**/*.R")],
    "pascal": [
        ("deb:fpc-source-3.2.2", "usr/share/fpcsrc/*/packages/fcl-*/src/**/*.pp"),
        ("deb:fpc-source-3.2.2", "usr/share/fpcsrc/*/rtl/objpas/**/*.pp"),
    ],
    "prolog": [("deb:swi-prolog-core", "usr/lib/swi-prolog/library/**/*.pl")],
    "objective-c": [("deb:libgnustep-base-dev", "usr/include/GNUstep/**/*.h")],
    "vue": [("npm:primevue@4.2.5", "package/**/*.vue")],
    "svelte": [
        ("npm:flowbite-svelte@0.47.4", "package/dist/**/*.svelte"),
        ("npm:bits-ui@0.21.16", "package/dist/**/*.svelte"),
    ],
    "solidity": [("npm:@openzeppelin/contracts@5.1.0", "package/**/*.sol")],
    "d": [("deb:libgphobos-12-dev", "usr/lib/gcc/*/12/include/d/**/*.d")],
    "ada": [("deb:gnat-12", "usr/lib/gcc/*/12/adainclude/*.ad[sb]")],
    "zig": [("pypi:ziglang==0.13.0", "ziglang/lib/std/**/*.zig")],
    "crystal": [
        ("deb:crystal", "usr/lib/crystal/lib/*.cr"),
        ("deb:crystal", "usr/lib/crystal/lib/compiler/**/*.cr"),
    ],
    "fish": [
        ("deb:fish-common", "usr/share/fish/functions/*.fish"),
        ("deb:fish-common", "usr/share/fish/completions/*.fish"),
    ],
    "lisp": _each(CL_LIBS, "usr/share/common-lisp/source/**/*.lisp", "deb:cl-{}"),
    "racket": [
        ("deb:racket-common", f"usr/share/racket/{lib}/**/*.rkt")
        for lib in ("collects/racket", "pkgs/gui-lib", "pkgs/web-server-lib", "pkgs/plot-lib")
    ],
    "elm": [
        (ELM_PAGES, "package/src/**/*.elm"),
        (ELM_PAGES, "package/generator/**/*.elm"),
        ("npm:elm-review@2.13.5", "package/**/*.elm"),
    ],
    "proto": [
        (PROTOS, f"package/google/{api}/**/*.proto")
        for api in ("protobuf", "api", "type", "iam", "firestore", "spanner")
    ],
    "verilog": [("deb:yosys", "usr/share/yosys/*.v"), ("deb:yosys", "usr/share/yosys/*/**/*.v")],
    "vhdl": [
        ("deb:ghdl-common", f"{GHDL}/ieee2008/*.vhdl"),
        ("deb:ghdl-common", f"{GHDL}/ieee/v93/*.vhdl"),
        ("deb:ghdl-common", f"{GHDL}/synopsys/*.vhdl"),
        ("deb:ghdl-common", f"{GHDL}/std/*.vhdl"),
        ("deb:ghdl-common", f"{GHDL}/std/v08/*.vhdl"),
        ("deb:ghdl-common", f"{GHDL}/upf/*.vhdl"),
    ],
    "typescriptreact": [
        *_each("@radix-ui/themes@3.1.6 react-day-picker@9.4.4", "package/src/**/*.tsx", "npm:{}"),
        *_each(
            "react-aria-components@1.5.0 @uiw/react-md-editor@4.0.4",
            "package/src/**/*.tsx",
            "npm:{}",
        ),
    ],
    "python": _each(
        "requests==2.32.3 rich==13.9.4 click==8.1.7 attrs==24.2.0 jinja2==3.1.4",
        "**/*.py",
        "pypi:{}",
    ),
    "scss": [
        ("npm:bootstrap@5.3.3", "package/scss/**/*.scss"),
        ("npm:bulma@1.0.2", "package/sass/**/*.scss"),
        ("npm:foundation-sites@6.9.0", "package/scss/**/*.scss"),
    ],
    "xml": [("deb:docbook-xsl", "usr/share/xml/docbook/stylesheet/docbook-xsl/**/*.xsl")],
    "clojure": _each(CLJ_LIBS, "usr/share/java/*.jar!/**/*.clj", "deb:{}"),
    "elixir": [("debsrc:elixir", "*/lib/*/lib/**/*.ex")],
    "scala": [
        ("debsrc:scala", "*/src/library/**/*.scala"),
        ("debsrc:scala", "*/src/reflect/**/*.scala"),
    ],
    "groovy": [
        ("debsrc:groovy", "*/src/main/**/*.groovy"),
        ("debsrc:groovy", "*/subprojects/*/src/main/**/*.groovy"),
    ],
}


def source_globs() -> dict[str, list[str]]:
    """Each package's globs over all languages: what its cache keeps, whichever languages a
    run asks for."""
    out: dict[str, set[str]] = {}
    for pools in LANGUAGES.values():
        for source, glob in pools:
            out.setdefault(source, set()).add(glob)
    return {source: sorted(globs) for source, globs in out.items()}


def source_dir(cache: Path, source: str) -> Path:
    return cache.joinpath(*source.split(":", 1))


def cached(cache: Path, source: str) -> str | None:
    """The package file a cached source came from; None when it must be fetched (absent, or
    kept for other globs by another version of this file)."""
    try:
        marker = json.loads((source_dir(cache, source) / _MARKER).read_text())
    except (OSError, ValueError):
        return None
    return marker["file"] if marker["globs"] == source_globs()[source] else None


def fetch(cache: Path, sources: list[str], say: Callable[[str], None]) -> dict[str, str]:
    """Bring ``sources`` into the cache. Returns, for each, the package file it came from, or
    ``missing: <why>``."""
    status = {s: file for s in sources if (file := cached(cache, s))}
    todo = [s for s in sources if s not in status]
    if not todo:
        return status
    say(f"fetching {len(todo)} packages into {cache}")
    with tempfile.TemporaryDirectory() as tmp:
        debs = [s[4:] for s in todo if s.startswith("deb:")]
        npms = [s[4:] for s in todo if s.startswith("npm:")]
        got = _debs(debs, tmp)
        wheels = [s[5:] for s in todo if s.startswith("pypi:")]
        npm = ["npm", "pack", "--loglevel=error", "--pack-destination", tmp]
        got |= _download(npm, npms, tmp, _npm_file)
        pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:"]
        got |= _download([*pip, "-d", tmp], wheels, tmp, lambda n: n.split("==")[0] + "-*.whl")
        got |= {s[7:]: _upstream(s[7:], tmp) for s in todo if s.startswith("debsrc:")}
        for source in todo:
            kind, name = source.split(":", 1)
            file = got[name]
            status[source] = file
            if file.startswith("missing"):
                continue
            root = Path(tmp, "x", name)
            root.mkdir(parents=True)
            why = _unpack(kind, Path(tmp, file), root)
            if why:
                status[source] = f"missing: {file} could not be unpacked ({why})"
                continue
            globs = source_globs()[source]
            _open_jars(root, globs)
            _keep(root, source_dir(cache, source), globs)
            marker = json.dumps({"file": file, "globs": globs})
            (source_dir(cache, source) / _MARKER).write_text(marker)
    return status


def _download(
    command: list[str | Path], names: list[str], where: str, pattern: Callable[[str], str]
) -> dict[str, str]:
    """Run ``command`` on all ``names`` at once; when that fails (one unknown name fails the
    whole call), on each alone, to tell which. Name -> file, or ``missing: <why>``."""
    error = _run([*command, *names], where) if names else None
    out: dict[str, str] = {}
    for name in names:
        why = _run([*command, name], where) if error and len(names) > 1 else error
        files = sorted(Path(where).glob(pattern(name)))
        out[name] = files[-1].name if files else f"missing: {why or 'no file'}"
    return out


def _debs(names: list[str], where: str) -> dict[str, str]:
    """``_download`` for Debian packages. apt picks the installed version even once the mirror
    has replaced it (a point release), and then cannot fetch it: such a name is asked for
    again at the newest version the mirror offers."""
    command: list[str | Path] = ["apt-get", "download", "-q"]
    got = _download(command, names, where, lambda n: f"{n.split('=')[0]}_*.deb")
    pinned = {}
    for name in names:
        if got[name].startswith("missing") and (version := _mirror_version(name)):
            pinned[f"{name}={version}"] = name
    again = _download(command, list(pinned), where, lambda n: f"{n.split('=')[0]}_*.deb")
    for asked, name in pinned.items():
        if not again[asked].startswith("missing"):
            got[name] = again[asked]
    return got


def _mirror_version(name: str) -> str | None:
    """The newest version of Debian package ``name`` an apt source offers, or None."""
    try:
        shown = subprocess.run(
            ["apt-cache", "madison", name], capture_output=True, text=True, timeout=120
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    offered = [cols[1] for line in shown.splitlines() if len(cols := line.split(" | ")) == 3]
    return offered[0].strip() if offered else None


def _upstream(name: str, where: str) -> str:
    """Fetch the upstream tarball of binary package ``name``'s source package into ``where``:
    the file name, or ``missing: <why>``. apt knows no ``deb-src`` here, so the ``.dsc`` is
    read from the pool directory the binary package's own address names."""
    try:
        done = subprocess.run(
            ["apt-get", "download", "--print-uris", name],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        shown = subprocess.run(
            ["apt-cache", "show", "--no-all-versions", name],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
        pool = done.stdout.split("'")[1].rsplit("/", 1)[0]
        fields = dict(re.findall(r"^(Source|Version): (.+)$", shown, re.M))
        source, _, version = fields.get("Source", name).partition(" (")
        version = (version.rstrip(")") or fields["Version"]).split(":")[-1]
        dsc = _get(f"{pool}/{source}_{version}.dsc").decode()
        orig = re.search(r"^ \w+ \d+ (\S+\.orig\.tar\.\w+)$", dsc, re.M)
        if not orig:
            return f"missing: no upstream tarball in {source}_{version}.dsc"
        Path(where, orig[1]).write_bytes(_get(f"{pool}/{orig[1]}"))
    except (OSError, IndexError, KeyError, subprocess.SubprocessError) as err:
        return f"missing: {err}"
    return orig[1]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=300) as answer:
        data: bytes = answer.read()
    return data


def _open_jars(root: Path, globs: list[str]) -> None:
    """Unpack each jar a ``.jar!/`` glob names into a folder beside it called ``<jar>!``, so
    that the glob then reads as a plain one. Links to jars (Debian's unversioned names) are
    skipped: the same files."""
    for glob in globs:
        if ".jar!/" not in glob:
            continue
        for jar in root.glob(glob.split("!/", 1)[0]):
            if jar.is_file() and not jar.is_symlink():
                try:
                    with zipfile.ZipFile(jar) as archive:
                        archive.extractall(jar.with_name(jar.name + "!"))
                except (OSError, zipfile.BadZipFile):
                    continue


def _npm_file(name: str) -> str:
    """The file ``npm pack`` writes for ``name``: ``@scope/pkg@1.0`` -> ``scope-pkg-1.0.tgz``."""
    return name.lstrip("@").replace("/", "-").replace("@", "-") + ".tgz"


def _unpack(kind: str, file: Path, root: Path) -> str | None:
    """Unpack a fetched package file into ``root``; None, or why it failed."""
    if kind == "pypi":
        try:
            with zipfile.ZipFile(file) as wheel:
                wheel.extractall(root)
        except (OSError, zipfile.BadZipFile) as err:
            return str(err)
        return None
    deb = kind == "deb"
    return _run(["dpkg-deb", "-x", file, root] if deb else ["tar", "-xf", file, "-C", root], "/")


def _run(command: list[str | Path], where: str) -> str | None:
    """None when ``command`` succeeds, else the start of its error output."""
    try:
        done = subprocess.run(command, cwd=where, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as err:  # no apt-get or npm, or stuck
        return str(err)
    if done.returncode == 0:
        return None
    # apt's warnings come first (W:); npm's second error line names what was not found.
    lines = [
        x for x in (done.stderr or done.stdout).splitlines() if x.strip()[:2] not in ("", "W:")
    ]
    return "; ".join(lines[:2]) or f"exit code {done.returncode}"


def _keep(root: Path, dest: Path, globs: list[str]) -> None:
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for glob in globs:
        for path in root.glob(glob):
            # Files too big to be picked would only fill the cache.
            if path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_BYTES:
                target = dest / path.relative_to(root)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)


def read(path: Path, lang: str) -> list[str] | None:
    """A file's lines (with their line ends, trailing whitespace stripped: a perfect model
    writes none), or None when the file is not usable."""
    data = path.read_bytes()
    if lang in CRLF_LANGS:
        data = data.replace(b"\r\n", b"\n")
    if len(data) > MAX_BYTES or b"\0" in data or b"\r" in data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    raw = text.split("\n")
    if len(raw) <= MIN_LINES_OF.get(lang, MIN_LINES) or max(map(len, raw)) > MAX_LINE:
        return None
    if lang == "shellscript" and text.startswith("#!") and not _SHELL.match(text):
        return None
    lines = [line.rstrip() + "\n" for line in raw]
    if lines[-1] == "\n":
        lines.pop()
    return lines


def pick(cache: Path, lang: str, count: int) -> list[tuple[str, list[str]]]:
    """``count`` files of ``lang`` from its cached packages, as (package/path, lines)."""
    pools = []
    for source, glob in LANGUAGES[lang]:
        root = source_dir(cache, source)
        if cached(cache, source):
            paths = sorted(p.relative_to(root).as_posix() for p in root.glob(glob) if p.is_file())
            random.Random(f"{FILE_SEED}:{lang}:{source}:{glob}").shuffle(paths)
            pools.append((source, root, paths))
    picked: list[tuple[str, list[str]]] = []
    seen: set[bytes] = set()
    while len(picked) < count and any(paths for _, _, paths in pools):
        for source, root, paths in pools:
            while paths and len(picked) < count:
                path = paths.pop()
                lines = read(root / path, lang)
                digest = hashlib.sha1("".join(lines or ()).encode()).digest()
                if lines and digest not in seen:
                    seen.add(digest)
                    picked.append((f"{source}/{path}", lines))
                    break
    return picked
