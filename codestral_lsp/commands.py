"""The `complete` and `check` commands: the completion pipeline without an editor."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from codestral_lsp import context, languages
from codestral_lsp.engine import Engine, Request
from codestral_lsp.log import REDACTOR
from codestral_lsp.providers import (
    AnswerCut,
    AuthError,
    Endpoint,
    FimRequest,
    Provider,
    ProviderError,
    UpstreamTimeout,
    create,
    is_loopback,
)
from codestral_lsp.proxy import ProxyUnusable, proxy_for, routes, shown
from codestral_lsp.settings import (
    Problem,
    Settings,
    from_env,
    key_host_advice,
    key_hosts,
    mask,
    mask_url,
    pasted_keys,
    resolve,
    section,
)

# The environment variable holding the settings an editor sends its server, as JSON, for
# `check` and `complete` to use above the environment.
EDITOR_SETTINGS = "CODESTRAL_LSP_SETTINGS"
# The whole test request of `check`, however the endpoint answers.
CHECK_DEADLINE_S = 15.0

WIRE_NAMES = {
    "mistral": "Mistral FIM, /fim/completions, SSE",
    "openai": "OpenAI text completions with suffix, /completions, SSE",
    "chat": "OpenAI chat completions with a hole-filling prompt, /chat/completions, SSE",
    "ollama": "Ollama generate with suffix, /api/generate, NDJSON",
    "llamacpp": "llama.cpp infill, /infill, SSE",
}


def load_settings() -> tuple[Settings, list[Problem]]:
    """Settings for the commands: defaults, the environment, and above it the settings an
    editor would send, as JSON in :data:`EDITOR_SETTINGS` (so that an editor's "check"
    command checks what its server uses: a ``codestral.apiKey`` for a preset that takes no
    key from the environment, say). The keys are handed to the log's redactor, as the
    server does, so no message of the commands can show them."""
    editor, problem = _editor_layer(os.environ.get(EDITOR_SETTINGS, ""))
    layers = [from_env(os.environ), editor]
    settings, problems = resolve(layers)
    for key in [*pasted_keys(layers), settings.api_key]:
        REDACTOR.add(key)
    return settings, [*([problem] if problem else []), *problems]


def _editor_layer(text: str) -> tuple[dict[str, Any], Problem | None]:
    """The settings layer :data:`EDITOR_SETTINGS` holds: a JSON object (the ``codestral``
    section, or a whole settings tree holding one); none, and the problem, when it is not."""
    if not text.strip():
        return {}, None
    try:
        value = json.loads(text)
    except ValueError as err:
        return {}, Problem(EDITOR_SETTINGS, f"{EDITOR_SETTINGS} is no JSON: {err}")
    if not isinstance(value, dict):
        return {}, Problem(EDITOR_SETTINGS, f"{EDITOR_SETTINGS} must be a JSON object")
    return section(value), None


def _first_wrong(problems: list[Problem]) -> str:
    """The first settings problem that stops a command (an unknown key does not): going on
    would mean another endpoint, or no key, than the user asked for."""
    return next((problem.message for problem in problems if not problem.unknown), "")


def _fail(reason: str) -> int:
    sys.stderr.write(f"codestral-lsp: {REDACTOR.scrub(reason)}\n")
    return 1


def parse_spot(spot: str) -> tuple[Path, int, int]:
    """``FILE:LINE:COL`` (1-based) to a path and 0-based line and column."""
    path, line, col = spot.rsplit(":", 2)
    # Plain ASCII digits: int() would also take "+2", " 2", "2_0" and other scripts' digits.
    if not path or not (_NUMBER.fullmatch(line) and _NUMBER.fullmatch(col)):
        raise ValueError(spot)
    if int(line) < 1 or int(col) < 1:
        raise ValueError(spot)
    return Path(path), int(line) - 1, int(col) - 1


_NUMBER = re.compile(r"[0-9]+")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def offset_of(text: str, line: int, col: int) -> int:
    """Code-point offset of a 0-based line and column; ``ValueError`` if outside the file.
    Lines end at ``\n``, ``\r\n`` or a lone ``\r``, as an editor's do."""
    starts = [0, *(m.end() for m in _LINE_BREAK.finditer(text))]
    if line >= len(starts):
        raise ValueError("position outside the file")
    end = _LINE_BREAK.search(text, starts[line])
    length = (end.start() if end else len(text)) - starts[line]
    if col > length:
        raise ValueError("position outside the file")
    return starts[line] + col


async def complete_command(spot: str) -> int:
    """Print one completion at a spot in a file."""
    try:
        path, line, col = parse_spot(spot)
    except ValueError:
        return _fail(f"expected FILE:LINE:COL with 1-based numbers, got {spot!r}")
    if path.exists() and not path.is_file():
        # A directory, a device (/dev/zero would be read forever) or a FIFO (blocks forever).
        return _fail(f"cannot read {path}: not a regular file")
    try:
        from codestral_lsp.cli import read_source

        text = read_source(path)
        offset = offset_of(text, line, col)
    except OSError as err:
        return _fail(f"cannot read {path}: {err.strerror}")
    except ValueError:
        return _fail(f"{spot} is outside {path}")
    if "\0" in text:
        return _fail(f"{path} looks binary (it holds NUL bytes); nothing was sent")
    settings, problems = load_settings()
    wrong = _first_wrong(problems)
    if wrong:
        return _fail(wrong)
    errors: list[ProviderError] = []
    engine = Engine(settings, errors.append, create)
    full = str(path.resolve())
    # The prompt an editor's server would send for this cursor: the same budget, the file named
    # in the multi-file header (relative to the current directory, as to a workspace root), and
    # the language the line rules know it by.
    ctx = context.build(
        text,
        offset,
        path.resolve().as_uri(),
        language=languages.for_file(path.name),
        path=full,
        budget=engine.budget(),
        shown_path=context.display_path(full, [os.getcwd()]),
    )
    blocked = engine.blocked_reason(ctx)
    if blocked:
        await engine.aclose()
        return _fail(_blocked_text(blocked, path, settings))
    try:
        suggestion = await engine.complete(Request(ctx, invoked=True, is_current=lambda: True))
    finally:
        await engine.aclose()
    if errors:
        advice = key_host_advice(settings) if isinstance(errors[0], AuthError) else ""
        return _fail(f"{errors[0]} ({advice})" if advice else str(errors[0]))
    if not suggestion:
        return _fail(f"no completion at {spot}: the model suggested nothing there")
    sys.stdout.write(suggestion + ("" if suggestion.endswith("\n") else "\n"))
    return 0


def _blocked_text(reason: str, path: Path, settings: Settings) -> str:
    return {
        "off": f"completion is off: {settings.off}",
        "disabled": "completion is disabled (enable = false)",
        "excluded": f"{path} matches an exclude pattern; its content is never sent",
        "no-key": _no_key_text(settings),
        "no-endpoint": "no endpoint: set CODESTRAL_BASE_URL",
    }.get(reason, reason)


def _no_key_text(settings: Settings) -> str:
    if settings.provider in ("codestral", "mistral"):
        return "no API key: set CODESTRAL_API_KEY (or MISTRAL_API_KEY for api.mistral.ai)"
    return f'no API key for provider "{settings.provider}": set CODESTRAL_API_KEY'


async def check_command(key_host: bool = False, hosts: Mapping[str, str] | None = None) -> int:
    """Show the effective configuration and one tiny request's result; with ``key_host``, also
    which Mistral host the key belongs to (the key then goes to both).

    ``hosts`` replaces the two Mistral hosts of that detection (tests use local servers).
    """
    settings, problems = load_settings()
    hosts = key_hosts() if hosts is None else hosts
    out = sys.stdout
    out.write(f"codestral-lsp configuration (key shown as {mask(settings.api_key)}):\n")
    out.write(json.dumps(settings.public_view(), indent=2, ensure_ascii=False) + "\n")
    for problem in problems:
        out.write(f"problem: {problem.message}\n")
    wrong = _first_wrong(problems)
    if wrong:
        return _fail(wrong)
    base_url = Engine(settings, lambda err: None, create, hosts).endpoint()
    try:
        proxy = proxy_for(base_url)
    except ProxyUnusable as err:
        return _fail(str(err))
    # The whole test request's deadline; timeoutMs when set (a local model still loading).
    deadline = settings.timeout_ms / 1000 if settings.timeout_ms else CHECK_DEADLINE_S
    endpoint = Endpoint(
        settings.preset.wire,
        base_url,
        settings.api_key,
        read_timeout=deadline,
        allow_insecure_http=settings.allow_insecure_http,
        needs_key=settings.preset.needs_key,
        proxy=proxy,
    )
    out.write(f"provider: {settings.provider} ({WIRE_NAMES[endpoint.wire]})\n")
    out.write(f"wire format: {endpoint.wire}\n")
    out.write(f"endpoint: {mask_url(endpoint.base_url)}\n")
    out.write(f"model: {settings.effective_model}\n")
    if not endpoint.base_url:
        return _fail("no endpoint: set CODESTRAL_BASE_URL (codestral.baseUrl)")
    out.write(f"request: POST {mask_url(endpoint.url)}\n")
    if proxy:
        out.write(f"proxy: {shown(proxy)}\n")
    if not settings.api_key:
        if settings.preset.needs_key and not is_loopback(endpoint.base_url):
            return _fail(_no_key_text(settings))
        out.write("key: none (not needed by a server on this machine)\n")
    advice = key_host_advice(settings)
    if key_host and advice and settings.api_key:
        line, advice = await _key_host_report(settings, hosts)
        out.write(line + "\n")
    return await _test_request(settings, endpoint, advice, deadline)


async def _key_host_report(settings: Settings, hosts: Mapping[str, str]) -> tuple[str, str]:
    """The ``key:`` line for the Mistral hosts, and what to set if the key is on the wrong one."""
    from codestral_lsp.providers import keyhost

    said = await keyhost.verdicts(settings.api_key, hosts, routes(hosts))
    found = keyhost.accepting(said)
    used = keyhost.host_of(hosts[settings.provider])
    key = mask(settings.api_key)
    if found is None:
        silent = [keyhost.host_of(hosts[name]) for name, ok in said.items() if ok is None]
        if silent:
            return f"key: {key} not checked: {' and '.join(silent)} did not answer", ""
        names = " nor ".join(keyhost.host_of(url) for url in hosts.values())
        return f"key: {key} was accepted by neither {names}", ""
    owner_host = keyhost.host_of(hosts[found])
    if found == settings.provider:
        return f'key: {key} belongs to {owner_host} (provider "{found}")', ""
    advice = keyhost.switch_advice(found)
    return f"key: {key} belongs to {owner_host}, not {used}: {advice}", advice


async def _answer(provider: Provider, request: FimRequest) -> str:
    """The whole answer, also when it ran to ``max_tokens`` (the test asks for only a few)."""
    parts: list[str] = []
    with contextlib.suppress(AnswerCut):
        async for delta in provider.stream(request):
            parts.append(delta)
    return "".join(parts)


async def _test_request(
    settings: Settings, endpoint: Endpoint, advice: str, deadline: float
) -> int:
    """Send one tiny non-streamed request and print its result and latency."""
    request = FimRequest(
        prompt="def add(a, b):\n    return ",
        suffix="\n",
        model=settings.effective_model,
        max_tokens=8,
        stream=False,
    )
    started = time.monotonic()
    try:
        provider = create(endpoint)
        try:
            # Overall, not per read: an endpoint trickling bytes keeps a read timeout at bay.
            async with asyncio.timeout(deadline):
                text = await _answer(provider, request)
        except TimeoutError:
            raise UpstreamTimeout(
                f"no complete answer within {deadline:g} s (codestral.timeoutMs, "
                "env CODESTRAL_TIMEOUT_MS, sets this limit)"
            ) from None
        finally:
            await provider.aclose()
    except ProviderError as err:
        hint = f" ({advice})" if advice and isinstance(err, AuthError) else ""
        ms = (time.monotonic() - started) * 1e3
        return _fail(f"test request failed after {ms:.0f} ms: {err}{hint}")
    ms = (time.monotonic() - started) * 1e3
    sys.stdout.write(f"test request: ok in {ms:.0f} ms: {text!r}\n")
    return 0
