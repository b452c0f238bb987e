"""Command line: serve LSP (stdio or TCP), or run one completion (`complete`) or a `check`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from codestral_lsp import __version__


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error said in one line (an editor's log shows each line of a
    failed server's stderr as an error of its own)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    """The argument parser (public: the README documents these flags)."""
    p = _Parser(
        prog="codestral-lsp",
        description="Codestral fill-in-the-middle completion as a language server.",
    )
    p.add_argument("--version", action="version", version=f"codestral-lsp {__version__}")
    p.add_argument("--stdio", action="store_true", help="serve LSP on stdin/stdout (default)")
    p.add_argument("--tcp", action="store_true", help="serve LSP over TCP (for debugging)")
    p.add_argument("--host", default="127.0.0.1", help="TCP host (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=2087, help="TCP port (default 2087)")
    p.add_argument(
        "--clientProcessId",
        dest="client_process_id",
        type=_process_id,
        help="the editor's process id (as vscode-languageclient passes it): the server exits "
        "when that process is gone, as for initialize's processId",
    )
    p.add_argument(
        "--log-level",
        type=_level,
        help="DEBUG, INFO (default), WARNING or ERROR (env CODESTRAL_LOG_LEVEL; logs go to stderr)",
    )
    sub = p.add_subparsers(dest="command")
    complete = sub.add_parser("complete", help="print one completion at FILE:LINE:COL (1-based)")
    complete.add_argument("spot", metavar="FILE:LINE:COL")
    check = sub.add_parser(
        "check", help="show the effective configuration and try one tiny request"
    )
    check.add_argument(
        "--key-host",
        action="store_true",
        help="also ask both Mistral hosts (codestral.mistral.ai, api.mistral.ai) which one knows "
        "the key: the key is sent to both",
    )
    for command in (complete, check):  # also after the command: `complete X:1:1 --log-level DEBUG`
        command.add_argument("--log-level", type=_level, default=argparse.SUPPRESS)
    return p


LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _process_id(value: str) -> int | None:
    """A process id; anything else is no id to watch rather than a server that will not start
    (the flag is the client library's, not the user's)."""
    return int(value) if value.strip().isdigit() else None


def _level(value: str) -> str:
    if value.upper() not in LEVELS:
        raise argparse.ArgumentTypeError(f"{value!r} is not one of {', '.join(LEVELS)}")
    return value.upper()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `codestral-lsp` script and `python -m codestral_lsp`."""
    args = parser().parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:  # Ctrl-C: the user knows why it stopped; no traceback
        return 130


def _env_level() -> str | None:
    """``CODESTRAL_LOG_LEVEL``; a wrong one is said and ignored (an editor starting the server
    with it should still get a server)."""
    value = os.environ.get("CODESTRAL_LOG_LEVEL", "").strip()
    if not value:
        return None
    try:
        return _level(value)
    except argparse.ArgumentTypeError as err:
        sys.stderr.write(f"codestral-lsp: CODESTRAL_LOG_LEVEL ignored: {err}\n")
        return None


def _run(args: argparse.Namespace) -> int:
    from codestral_lsp import log

    args.log_level = args.log_level or _env_level()

    log.setup_stderr(args.log_level or "INFO")
    if args.command is None:
        if args.log_level is None:
            # The editor gets the log as window/logMessage; many (Neovim) also file every line
            # of a server's stderr as an error. stderr keeps what matters without an editor.
            log.stderr_from(logging.WARNING)
        return serve(args.tcp, args.host, args.port, args.client_process_id)
    from codestral_lsp import commands

    # A one-shot command that fails says why in one line; the log lines that led there would
    # only repeat it, so they are shown when it succeeds (unless a log level was asked for).
    held = log.hold_stderr() if args.log_level is None else None
    if args.command == "complete":
        code = asyncio.run(commands.complete_command(args.spot))
    else:
        code = asyncio.run(commands.check_command(args.key_host))
    if held is not None:
        log.release(held, show=code == 0)
    return code


def serve(tcp: bool, host: str, port: int, client_process_id: int | None = None) -> int:
    """Run the language server until the client says exit (or closes stdin, or its process
    ``client_process_id`` is gone)."""
    started = time.monotonic()
    from codestral_lsp.server import create_server

    server = create_server()
    server.client_process_id = client_process_id
    logging.getLogger(__name__).debug("server ready in %.0f ms", (time.monotonic() - started) * 1e3)
    if tcp:
        try:
            server.start_tcp(host, port)
        except (OSError, OverflowError) as err:  # port taken or out of range, no such address
            sys.stderr.write(f"codestral-lsp: cannot listen on {host}:{port}: {err}\n")
            return 1
    else:
        server.start_io()
    # pygls swallows the SystemExit of `exit`; the code must still say whether shutdown came.
    return server.exit_code


def read_source(path: Path) -> str:
    """A file's text: UTF-8 (with a BOM removed), undecodable bytes replaced."""
    return path.read_bytes().decode("utf-8", errors="replace").removeprefix("\ufeff")


if __name__ == "__main__":
    sys.exit(main())
