"""The `complete` and `check` commands: the completion pipeline without an editor."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from codestral_lsp import context
from codestral_lsp.engine import Engine, Request
from codestral_lsp.providers import FimRequest, ProviderError, create
from codestral_lsp.settings import Problem, Settings, from_env, mask, resolve


def load_settings() -> tuple[Settings, list[Problem]]:
    """Settings for the commands: defaults and environment."""
    return resolve([from_env(os.environ)])


def _fail(reason: str) -> int:
    sys.stderr.write(f"codestral-lsp: {reason}\n")
    return 1


def parse_spot(spot: str) -> tuple[Path, int, int]:
    """``FILE:LINE:COL`` (1-based) to a path and 0-based line and column."""
    path, line, col = spot.rsplit(":", 2)
    if not path or int(line) < 1 or int(col) < 1:
        raise ValueError(spot)
    return Path(path), int(line) - 1, int(col) - 1


def offset_of(text: str, line: int, col: int) -> int:
    """Code-point offset of a 0-based line and column; ``ValueError`` if outside the file."""
    lines = text.split("\n")
    if line >= len(lines) or col > len(lines[line].rstrip("\r")):
        raise ValueError("position outside the file")
    return sum(len(x) + 1 for x in lines[:line]) + col


async def complete_command(spot: str) -> int:
    """Print one completion at a spot in a file."""
    try:
        path, line, col = parse_spot(spot)
    except ValueError:
        return _fail(f"expected FILE:LINE:COL with 1-based numbers, got {spot!r}")
    try:
        from codestral_lsp.cli import read_source

        text = read_source(path)
        offset = offset_of(text, line, col)
    except OSError as err:
        return _fail(f"cannot read {path}: {err.strerror}")
    except ValueError:
        return _fail(f"{spot} is outside {path}")
    settings, problems = load_settings()
    for problem in problems:
        sys.stderr.write(f"codestral-lsp: {problem.message}\n")
    errors: list[ProviderError] = []
    engine = Engine(settings, errors.append, create)
    ctx = context.build(text, offset, path.resolve().as_uri(), path=str(path.resolve()))
    blocked = engine.blocked_reason(ctx)
    if blocked:
        await engine.aclose()
        return _fail(_blocked_text(blocked, path))
    try:
        suggestion = await engine.complete(Request(ctx, invoked=True, is_current=lambda: True))
    finally:
        await engine.aclose()
    if errors:
        return _fail(str(errors[0]))
    sys.stdout.write(suggestion + ("\n" if suggestion and not suggestion.endswith("\n") else ""))
    return 0


def _blocked_text(reason: str, path: Path) -> str:
    return {
        "disabled": "completion is disabled (enable = false)",
        "excluded": f"{path} matches an exclude pattern; its content is never sent",
        "no-key": "no API key: set CODESTRAL_API_KEY (or MISTRAL_API_KEY for api.mistral.ai)",
        "no-endpoint": "no endpoint: set CODESTRAL_BASE_URL",
        "insecure-http": "not sending the API key unencrypted over http://; use https://",
    }.get(reason, reason)


async def check_command() -> int:
    """Show the effective configuration and the result of one tiny request."""
    settings, problems = load_settings()
    out = sys.stdout
    out.write(f"codestral-lsp configuration (key shown as {mask(settings.api_key)}):\n")
    out.write(json.dumps(settings.public_view(), indent=2) + "\n")
    out.write(f"wire format: {settings.preset.wire}\n")
    out.write(f"endpoint: {settings.endpoint}\n")
    for problem in problems:
        out.write(f"problem: {problem.message}\n")
    if settings.preset.needs_key and not settings.api_key:
        return _fail("no API key: set CODESTRAL_API_KEY (or MISTRAL_API_KEY for api.mistral.ai)")
    if settings.key_in_clear:
        return _fail(f"not sending the API key unencrypted to {settings.endpoint}; use https://")
    from codestral_lsp.providers import Endpoint

    provider = create(
        Endpoint(settings.preset.wire, settings.endpoint, settings.api_key, read_timeout=10)
    )
    request = FimRequest(
        prompt="def add(a, b):\n    return ",
        suffix="\n",
        model=settings.effective_model,
        max_tokens=8,
        stream=False,
    )
    started = time.monotonic()
    try:
        text = "".join([delta async for delta in provider.stream(request)])
    except ProviderError as err:
        return _fail(f"request failed after {(time.monotonic() - started) * 1e3:.0f} ms: {err}")
    finally:
        await provider.aclose()
    out.write(f"test request: ok in {(time.monotonic() - started) * 1e3:.0f} ms: {text!r}\n")
    return 0
