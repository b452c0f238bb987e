"""Command line: serve LSP (stdio or TCP), or run one completion (`complete`) or a `check`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from codestral_lsp import __version__


def parser() -> argparse.ArgumentParser:
    """The argument parser (public: the README documents these flags)."""
    p = argparse.ArgumentParser(
        prog="codestral-lsp",
        description="Codestral fill-in-the-middle completion as a language server.",
    )
    p.add_argument("--version", action="version", version=f"codestral-lsp {__version__}")
    p.add_argument("--stdio", action="store_true", help="serve LSP on stdin/stdout (default)")
    p.add_argument("--tcp", action="store_true", help="serve LSP over TCP (for debugging)")
    p.add_argument("--host", default="127.0.0.1", help="TCP host (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=2087, help="TCP port (default 2087)")
    p.add_argument(
        "--log-level",
        default=os.environ.get("CODESTRAL_LOG_LEVEL"),
        help="DEBUG, INFO, WARNING or ERROR (env CODESTRAL_LOG_LEVEL; logs go to stderr): INFO "
        "when serving, ERROR for complete and check",
    )
    sub = p.add_subparsers(dest="command")
    complete = sub.add_parser("complete", help="print one completion at FILE:LINE:COL (1-based)")
    complete.add_argument("spot", metavar="FILE:LINE:COL")
    sub.add_parser("check", help="show the effective configuration and try one tiny request")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `codestral-lsp` script and `python -m codestral_lsp`."""
    args = parser().parse_args(argv)
    from codestral_lsp.log import setup_stderr

    # The one-shot commands answer with one line on failure; the log would repeat it.
    setup_stderr(args.log_level or ("ERROR" if args.command else "INFO"))
    if args.command == "complete":
        from codestral_lsp.commands import complete_command

        return asyncio.run(complete_command(args.spot))
    if args.command == "check":
        from codestral_lsp.commands import check_command

        return asyncio.run(check_command())
    return serve(args.tcp, args.host, args.port)


def serve(tcp: bool, host: str, port: int) -> int:
    """Run the language server until the client says exit (or closes stdin)."""
    started = time.monotonic()
    from codestral_lsp.server import create_server

    server = create_server()
    import logging

    logging.getLogger(__name__).debug("server ready in %.0f ms", (time.monotonic() - started) * 1e3)
    if tcp:
        server.start_tcp(host, port)
    else:
        server.start_io()
    # pygls swallows the SystemExit of `exit`; the code must still say whether shutdown came.
    return server.exit_code


def read_source(path: Path) -> str:
    """A file's text: UTF-8 (with a BOM removed), undecodable bytes replaced."""
    return path.read_bytes().decode("utf-8", errors="replace").removeprefix("\ufeff")


if __name__ == "__main__":
    sys.exit(main())
