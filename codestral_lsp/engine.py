"""One completion's life: gates, typing-through, debounce, streaming, deadlines, circuits.

The engine answers "what should be suggested at this cursor?" with a string. It owns the
upstream streams (as tasks, not as part of any LSP request) so that a request cancelled by the
editor does not kill a stream the next keystroke can attach to.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from codestral_lsp.cache import GenerationStore
from codestral_lsp.context import PREFIX_TOKENS, Context, token_budget_chars, trim_prefix
from codestral_lsp.exclude import is_excluded
from codestral_lsp.generation import Generation
from codestral_lsp.pace import Pace
from codestral_lsp.postprocess import clean, first_line_done, wants_multiline
from codestral_lsp.providers import (
    AuthError,
    Endpoint,
    FimRequest,
    Provider,
    ProviderError,
    RateLimitError,
    UpstreamTimeout,
)
from codestral_lsp.settings import Settings

log = logging.getLogger(__name__)

DEADLINE_AUTOMATIC_S = 5.0
DEADLINE_INVOKED_S = 15.0
MAX_TOKENS_SINGLE = 64
MAX_TOKENS_MULTI = 160
GLOBAL_STREAMS = 2
# How long an unwatched stream may live on: long enough for the next keystroke's request to
# attach to it, short enough that abandoned generations stop costing tokens.
LINGER_S = 0.25
# Soft deadline: a stream still going this long after it started, with a complete non-blank
# line in hand, is stopped and what arrived is kept (the user is waiting).
SOFT_DEADLINE_S = 1.2
# A multi-line answer whose first line is complete is sent if the rest takes longer than this.
PARTIAL_AFTER_S = 0.1
RATE_LIMIT_MAX_BACKOFF_S = 60.0

ProviderFactory = Callable[[Endpoint], Provider]
Reporter = Callable[[ProviderError], None]


@dataclass(frozen=True, slots=True)
class Options:
    """Engine switches for benchmarking (environment only, not user settings).

    ``CODESTRAL_LSP_NAIVE=1``: one upstream request per completion request, no debounce, no
    typing-through, no cache (the bench's baseline). ``CODESTRAL_LSP_PREFETCH=1``: "ready
    before asked", fetch what follows a suggestion as soon as the user types into it. Off by
    default: in bench/replay.py it raised upstream requests by about half for a gain of under
    two points of accepted characters.
    """

    naive: bool = False
    prefetch: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Options:
        """Read the switches from an environment."""
        return cls(
            naive=environ.get("CODESTRAL_LSP_NAIVE", "") == "1",
            prefetch=environ.get("CODESTRAL_LSP_PREFETCH", "") == "1",
        )


@dataclass(frozen=True, slots=True)
class Request:
    """A completion request as the engine sees it."""

    ctx: Context
    invoked: bool
    is_current: Callable[[], bool]


class Circuit:
    """Whether upstream may be called: closed by auth failures and rate limits."""

    def __init__(self) -> None:
        self.auth_failed = False
        self.open_until = 0.0
        self._strikes = 0

    def allows(self) -> bool:
        """True when a call may go out now."""
        return not self.auth_failed and time.monotonic() >= self.open_until

    def record(self, err: ProviderError) -> None:
        """Open the circuit as the error demands."""
        if isinstance(err, AuthError):
            self.auth_failed = True
        elif isinstance(err, RateLimitError):
            self._strikes += 1
            wait = err.retry_after
            if wait is None:
                wait = min(RATE_LIMIT_MAX_BACKOFF_S, 2.0**self._strikes)
            self.open_until = time.monotonic() + wait

    def success(self) -> None:
        """A call went through: forget past rate-limit strikes."""
        self._strikes = 0


def cache_key(uri: str) -> str:
    """``prompt_cache_key`` per file, so Mistral bills a repeated prefix at 10 %."""
    import hashlib  # lazy: start-up time matters more than the first request's microseconds

    return "codestral-lsp-" + hashlib.sha256(uri.encode()).hexdigest()[:24]


class Engine:
    """Turns cursors into suggestions; one per server."""

    def __init__(
        self,
        settings: Settings,
        report: Reporter,
        factory: ProviderFactory,
        options: Options | None = None,
    ) -> None:
        self.settings = settings
        self.options = options or Options()
        self.pace = Pace()
        self._report = report
        self._factory = factory
        self._provider: Provider | None = None
        self.store = GenerationStore()
        self.circuit = Circuit()
        self._live: dict[str, Generation] = {}
        self._slots = asyncio.Semaphore(GLOBAL_STREAMS)
        self.upstream_calls = 0

    async def configure(self, settings: Settings) -> None:
        """Adopt new settings: new provider, empty cache, circuits reset."""
        self.settings = settings
        for gen in self.store.clear():
            self._stop(gen)
        for gen in list(self._live.values()):
            self._stop(gen)
        self.circuit = Circuit()
        old, self._provider = self._provider, None
        if old is not None:
            await old.aclose()

    def warm_up(self) -> None:
        """Import the HTTP stack in the background once the session is up: it is kept out of
        start-up (spawn to ``initialize``), and should not land on the first keystroke either."""
        import importlib
        import threading

        threading.Thread(
            target=importlib.import_module,
            args=("codestral_lsp.providers._http",),
            name="warm-up",
            daemon=True,
        ).start()

    def document_changed(self, uri: str) -> None:
        """Note an edit of ``uri`` (feeds the adaptive debounce; O(1))."""
        self.pace.edited(uri)

    def document_closed(self, uri: str) -> None:
        """Release everything held for a closed document."""
        self.pace.forget(uri)
        for gen in self.store.drop_document(uri):
            self._stop(gen)
        live = self._live.pop(uri, None)
        if live is not None:
            self._stop(live)

    def blocked_reason(self, ctx: Context) -> str | None:
        """Why no request may be sent for this cursor, or ``None``."""
        settings = self.settings
        if not settings.enable:
            return "disabled"
        if is_excluded(ctx.path or ctx.uri, settings.exclude):
            return "excluded"
        if settings.preset.needs_key and not settings.api_key:
            return "no-key"
        if not settings.endpoint:
            return "no-endpoint"
        return None

    async def complete(self, request: Request) -> str:
        """The suggestion for ``request.ctx`` (empty when there is none)."""
        ctx = request.ctx
        if self.blocked_reason(ctx):
            return ""
        multiline = wants_multiline(ctx, self.settings.multiline)
        deadline = self._deadline(request.invoked)
        try:
            async with asyncio.timeout(deadline):
                text = await self._suggest(request, multiline)
        except TimeoutError:
            log.info("no suggestion within %.1f s", deadline)
            return ""
        if text and not request.is_current():
            log.debug("dropped a stale suggestion for %s", ctx.uri)
            return ""
        return text

    async def _suggest(self, request: Request, multiline: bool) -> str:
        ctx = request.ctx
        if self.options.naive:
            return await self._fetch(request, multiline)
        reused = self._reusable(ctx)
        if reused is not None:
            gen, typed = reused
            if typed and not gen.confirmed and self.options.prefetch:
                gen.confirmed = True
                self._prefetch(gen)
            return await self._serve(gen, typed, ctx, multiline)
        if not request.invoked and not self._taken_whole(ctx):
            await asyncio.sleep(self._debounce_s(ctx))
            if not request.is_current():
                return ""
            reused = self._reusable(ctx)
            if reused is not None:
                return await self._serve(reused[0], reused[1], ctx, multiline)
        return await self._fetch(request, multiline)

    async def _fetch(self, request: Request, multiline: bool) -> str:
        if not self.circuit.allows():
            return ""
        gen = self._start(request.ctx, multiline, request.invoked)
        return await self._serve(gen, "", request.ctx, multiline)

    def _reusable(self, ctx: Context) -> tuple[Generation, str] | None:
        for gen in self.store.recent(ctx.uri):
            typed = gen.typed_since(ctx)
            if typed is not None and gen.error is None and gen.continues(typed):
                return gen, typed
        return None

    def _taken_whole(self, ctx: Context) -> bool:
        """Whether the newest suggestion was just accepted or typed through to its end: the
        user wants the continuation now, so it skips the debounce."""
        for gen in self.store.recent(ctx.uri):
            typed = gen.typed_since(ctx)
            if typed is None or not gen.done or gen.error is not None:
                continue
            shown = gen.shown
            return bool(shown) and typed.startswith(shown) and len(typed) - len(shown) <= 2
        return False

    def _prefetch(self, gen: Generation) -> None:
        """ "Ready before asked": once the user typed into a finished suggestion, fetch what
        follows it, so the next suggestion is there when this one is used up."""
        if not self.options.prefetch or not gen.done or gen.error is not None:
            return
        shown = gen.shown
        if not shown or gen.prefetched or not self.circuit.allows():
            return
        gen.prefetched = True
        ctx = gen.ctx
        line = (ctx.line_prefix + shown).rsplit("\n", 1)[-1]
        after = dataclasses.replace(
            ctx,
            offset=ctx.offset + len(shown),
            prefix=trim_prefix(ctx.prefix + shown, token_budget_chars(PREFIX_TOKENS)),
            line_prefix=line,
        )
        self._start(after, wants_multiline(after, self.settings.multiline), invoked=False)

    def _start(self, ctx: Context, multiline: bool, invoked: bool) -> Generation:
        previous = self._live.pop(ctx.uri, None)
        if previous is not None and not previous.done:
            self._stop(previous)
        gen = Generation(ctx=ctx, multiline=multiline)
        if not self.options.naive:
            self.store.add(gen)
        self._live[ctx.uri] = gen
        gen.task = asyncio.create_task(self._run(gen, self._fim_request(ctx, multiline, invoked)))
        return gen

    def _fim_request(self, ctx: Context, multiline: bool, invoked: bool) -> FimRequest:
        settings = self.settings
        default_tokens = MAX_TOKENS_MULTI if multiline else MAX_TOKENS_SINGLE
        return FimRequest(
            prompt=ctx.prefix,
            suffix=ctx.suffix,
            model=settings.effective_model,
            max_tokens=settings.max_tokens or default_tokens,
            temperature=settings.temperature,
            stop=settings.stop,
            stream=True,
            prompt_cache_key=cache_key(ctx.uri),
            min_tokens=1 if invoked else None,
            path=ctx.path,
        )

    async def _run(self, gen: Generation, request: FimRequest) -> None:
        try:
            async with self._slots:
                self.upstream_calls += 1
                await self._pump(gen, self._get_provider(), request)
            self.circuit.success()
            gen.finish()
            if gen.confirmed:
                self._prefetch(gen)
        except ProviderError as err:
            self._fail(gen, err)
        except asyncio.CancelledError:
            self.store.discard(gen)
            gen.finish()
            raise
        finally:
            if self._live.get(gen.ctx.uri) is gen:
                del self._live[gen.ctx.uri]

    async def _pump(self, gen: Generation, provider: Provider, request: FimRequest) -> None:
        stream = provider.stream(request)
        try:
            async for delta in stream:
                if gen.first_token is None:
                    self.pace.observed(time.monotonic() - gen.started)
                gen.append(delta)
                self.store.resize(gen)
                if complete_enough(gen):
                    break
        finally:
            await stream.aclose()  # type: ignore[attr-defined]

    def _fail(self, gen: Generation, err: ProviderError) -> None:
        if isinstance(err, UpstreamTimeout) and "\n" in gen.text.lstrip("\n"):
            # Keep the complete lines that arrived in time rather than nothing.
            gen.text = gen.text[: gen.text.rstrip("\n").rfind("\n") + 1]
            gen.finish()
            return
        self.store.discard(gen)
        gen.finish(err)
        self.circuit.record(err)
        log.warning("completion failed: %s", err)
        self._report(err)

    async def _serve(self, gen: Generation, typed: str, ctx: Context, multiline: bool) -> str:
        gen.waiters += 1
        gen.wanted_at = time.monotonic()
        partial_at: float | None = None
        try:
            while True:
                if gen.error is not None:
                    return ""
                shown = gen.shown
                if not shown.startswith(typed) and (gen.done or not typed.startswith(shown)):
                    return ""
                rest = shown[len(typed) :]
                if gen.done or (not multiline and first_line_done(rest)):
                    return clean(rest, ctx, multiline)
                if multiline and first_line_done(rest):
                    # Show the complete lines if the rest of the block is slow to come.
                    partial_at = partial_at or time.monotonic() + PARTIAL_AFTER_S
                    if not await gen.changed_within(partial_at - time.monotonic()):
                        return clean(complete_lines(rest), ctx, multiline)
                    continue
                await gen.changed()
        finally:
            gen.waiters -= 1
            gen.wanted_at = time.monotonic()
            if gen.waiters == 0 and not gen.done:
                linger = 0.0 if self.options.naive else LINGER_S
                asyncio.get_running_loop().call_later(linger, self._stop_if_idle, gen)

    def _stop_if_idle(self, gen: Generation) -> None:
        """Close a stream nobody waited for during the linger (a later attach re-arms it)."""
        if gen.waiters or gen.done:
            return
        idle = time.monotonic() - gen.wanted_at
        linger = 0.0 if self.options.naive else LINGER_S
        if idle >= linger:
            self._stop(gen)
        else:
            asyncio.get_running_loop().call_later(linger - idle, self._stop_if_idle, gen)

    def _stop(self, gen: Generation) -> None:
        if gen.task is not None and not gen.task.done():
            gen.task.cancel()

    def _get_provider(self) -> Provider:
        if self._provider is None:
            settings = self.settings
            read_timeout = (settings.timeout_ms or DEADLINE_AUTOMATIC_S * 1000) / 1000
            self._provider = self._factory(
                Endpoint(
                    wire=settings.preset.wire,
                    base_url=settings.endpoint,
                    api_key=settings.api_key,
                    read_timeout=read_timeout,
                )
            )
        return self._provider

    def _debounce_s(self, ctx: Context) -> float:
        ms = self.settings.debounce_ms
        return self.pace.delay(ctx) if ms is None else ms / 1000

    def _deadline(self, invoked: bool) -> float:
        if self.settings.timeout_ms is not None:
            return self.settings.timeout_ms / 1000
        return DEADLINE_INVOKED_S if invoked else DEADLINE_AUTOMATIC_S

    async def aclose(self) -> None:
        """Stop every stream and close the provider."""
        await self.configure(self.settings)


def complete_enough(gen: Generation) -> bool:
    """Early stop: the first line in single-line mode; in multi-line mode a blank line after
    the block, the model starting to re-type the line after the cursor, or the soft deadline
    with a complete line in hand."""
    text = gen.text
    if not gen.multiline:
        return first_line_done(text)
    body = text.lstrip("\n")
    if "\n\n" in body.rstrip(" \t"):
        return True
    if not text.endswith("\n") or not body.strip():
        return False
    if repeats_suffix(text, gen.ctx):
        return True
    return time.monotonic() - gen.started >= SOFT_DEADLINE_S


def repeats_suffix(text: str, ctx: Context) -> bool:
    """Whether the last complete line of ``text`` equals the first non-blank line after the
    cursor's line (the model started writing what already follows)."""
    lines = text.rstrip("\n").rsplit("\n", 1)
    last = lines[-1].strip()
    if not last or len(lines) < 2:
        return False
    after = ctx.suffix[len(ctx.line_suffix) :]
    for line in after.splitlines()[:8]:
        if line.strip():
            return line.strip() == last
    return False


def complete_lines(text: str) -> str:
    """``text`` up to its last line break that follows some content."""
    body_start = len(text) - len(text.lstrip("\n"))
    end = text.rfind("\n")
    return text[:end] if end > body_start else ""
