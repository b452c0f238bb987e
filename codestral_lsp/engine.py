"""One completion's life: gates, typing-through, debounce, streaming, deadlines, circuits.

The engine answers "what should be suggested at this cursor?" with a string. It owns the
upstream streams (as tasks, not as part of any LSP request) so that a request cancelled by the
editor does not kill a stream the next keystroke can attach to.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from codestral_lsp import candidates
from codestral_lsp.cache import GenerationStore
from codestral_lsp.context import Budget, Context, is_word_char, moved, request_parts
from codestral_lsp.exclude import is_excluded
from codestral_lsp.generation import Generation
from codestral_lsp.pace import Pace
from codestral_lsp.postprocess import (
    breaks_line,
    clean,
    first_line_done,
    front_undecided,
    in_front_of_code,
    should_stop,
    wants_multiline,
    without_push_down,
    without_torn_line,
)
from codestral_lsp.providers import (
    WRAPPING_TOKENS,
    AnswerCut,
    AuthError,
    ConnectError,
    Endpoint,
    FimRequest,
    Provider,
    ProviderError,
    RateLimitError,
    UpstreamError,
    UpstreamTimeout,
    is_loopback,
)
from codestral_lsp.proxy import ProxyUnusable, proxy_for
from codestral_lsp.settings import Settings, key_hosts

log = logging.getLogger(__name__)

DEADLINE_AUTOMATIC_S = 5.0
DEADLINE_INVOKED_S = 15.0
MAX_TOKENS_SINGLE = 64
MAX_TOKENS_MULTI = 160
GLOBAL_STREAMS = 2
# An invoked request's extra candidates have slots of their own: queued behind the streams of
# typing (GLOBAL_STREAMS) they held the request's own call back, on a slow endpoint for its
# whole deadline.
EXTRA_STREAMS = 2
# How long an unwatched stream may live on: long enough for the next keystroke's request to
# attach to it, short enough that abandoned generations stop costing tokens.
LINGER_S = 0.25
# Soft deadline: a stream still going this long after it started, with a complete non-blank
# line in hand, is stopped and its complete lines are kept (the user is waiting).
SOFT_DEADLINE_S = 1.2
# A multi-line answer whose first line is complete is sent if the rest takes longer than this
# (counted once per generation), or at once to a user still typing.
PARTIAL_AFTER_S = 0.1
RATE_LIMIT_MAX_BACKOFF_S = 60.0
# Server-side failures in a row (5xx, a refused or dropped connection) pause automatic requests
# from the second on, for 1, 2, 4, then 8 s: an endpoint that is down or overloaded (Mistral
# asks for exponential backoff on 503) is not asked again with every typing burst, and one that
# comes back is in use again within seconds. Invoked requests still go out: they probe it.
OUTAGE_MAX_BACKOFF_S = 8.0
# An invoked request whose call failed before any text arrived is tried once more after this
# pause, while its user still waits: a gateway's passing 502 or a dropped connection should not
# answer an explicit request with nothing. Automatic requests never retry: by the time a retry
# answered, the user has typed on and the next keystroke asks anyway.
RETRY_PAUSE_S = 0.3
# Before the stale guard's last look: long enough for an edit already on the server's stdin to
# be applied, short next to anything a user notices.
SETTLE_S = 0.001
# "Ready before asked" goes ahead only for the last word of a suggestion's line: the rest of the
# word being typed, then punctuation (``ces(),``).
_LAST_WORD = re.compile(r"\w*[^\w\n]*")
# A stream whose text the user typed this many characters past (it sent nothing yet, or
# stalled after a few words) is not waited on: against a slow or stalled upstream each
# keystroke would otherwise wait for an answer to a prompt ever further behind (a stall until
# the read timeout), then start over too late.
STALE_SILENT_CHARS = 8
# The request asked ahead waits this long, so the answer to the keystroke that started it goes
# out first: it is needed a key or more later, the keystroke's answer now.
FOLLOW_AFTER_S = 0.01

ProviderFactory = Callable[[Endpoint], Provider]
Reporter = Callable[[ProviderError], None]


@dataclass(frozen=True, slots=True)
class Options:
    """Engine switches for benchmarking (environment only, not user settings).

    ``CODESTRAL_LSP_NAIVE=1``: one upstream request per completion request, no debounce, no
    typing-through, no cache (the bench's baseline).

    "Ready before asked" is kept only in the form bench/replay.py showed to cost no requests
    (:meth:`Engine._follow`, while the last word of a line is typed). Broader forms were
    measured and dropped: fetching what follows any suggestion once the user types into it
    (6-49 % more upstream requests for at most two points of accepted characters), once the
    last 8 characters of a one-line suggestion are reached (5-10 % more for half a point), or
    once two characters of its last line are typed (4-9 % more on three of four seeds, for about
    a point).
    """

    naive: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Options:
        """Read the switches from an environment."""
        return cls(naive=environ.get("CODESTRAL_LSP_NAIVE", "") == "1")


@dataclass(frozen=True, slots=True)
class Request:
    """A completion request as the engine sees it."""

    ctx: Context
    invoked: bool
    is_current: Callable[[], bool]


class Circuit:
    """Whether upstream may be called: closed by auth failures and rate limits, and for
    automatic requests by an endpoint failing again and again."""

    def __init__(self) -> None:
        self.auth_failed = False
        self.open_until = 0.0
        self.quiet_until = 0.0
        self._strikes = 0
        self._outages = 0

    def allows(self, invoked: bool = False) -> bool:
        """True when a call may go out now (an invoked one also while the endpoint is out)."""
        now = time.monotonic()
        if self.auth_failed or now < self.open_until:
            return False
        return invoked or now >= self.quiet_until

    @property
    def failing(self) -> bool:
        """Whether the last call failed on the server's side (a 5xx, a refused or dropped
        connection) with no success since."""
        return self._outages > 0

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
        elif isinstance(err, ConnectError | UpstreamError) and _passing(err):
            self._outages += 1
            if self._outages >= 2:
                pause = min(OUTAGE_MAX_BACKOFF_S, 2.0 ** (self._outages - 2))
                self.quiet_until = time.monotonic() + pause

    def success(self) -> None:
        """A call went through: forget past strikes and outages."""
        self._strikes = 0
        self._outages = 0
        self.quiet_until = 0.0


def unusable(settings: Settings, endpoint: str) -> str | None:
    """Why these settings cannot call ``endpoint`` at all ("disabled", "off", "no-endpoint",
    "no-key"), or ``None``. The engine's gate and the status editors show both read it."""
    if not settings.enable:
        return "disabled"
    if settings.off:
        return "off"
    if not endpoint:
        return "no-endpoint"
    if settings.preset.needs_key and not settings.api_key and not is_loopback(endpoint):
        return "no-key"
    return None


def upstream(settings: Settings) -> tuple[object, ...]:
    """The settings that decide where requests go and whether they are accepted."""
    return (
        settings.api_key,
        settings.provider,
        settings.endpoint,
        settings.effective_model,
        settings.allow_insecure_http,
        settings.enable,
        settings.off,
        settings.timeout_ms,
    )


def _asked(settings: Settings) -> tuple[object, ...]:
    """The settings that shape what a request asks for (its answer, once cached)."""
    return (
        settings.max_tokens,
        settings.stop,
        settings.temperature,
        settings.multiline,
        settings.prompt_tokens,
        settings.suffix_share,
        settings.other_files_share,
    )


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
        hosts: Mapping[str, str] | None = None,
        options: Options | None = None,
    ) -> None:
        self.settings = settings
        self.options = options or Options()
        self.pace = Pace()
        # The Mistral presets' hosts (tests point them at local servers).
        self._hosts = dict(key_hosts() if hosts is None else hosts)
        self._report = report
        self._factory = factory
        self._provider: Provider | None = None
        self.store = GenerationStore()
        self.circuit = Circuit()
        # An invoked request's extra candidates met the endpoint's rate limit: asked no more.
        self._extras_refused = False
        self._live: dict[str, Generation] = {}
        self._last_failure = ""
        self._faults: set[str] = set()
        # Documents whose exclusion was already logged (once each, until closed).
        self._told_excluded: set[str] = set()
        self._slots = asyncio.Semaphore(GLOBAL_STREAMS)
        self._extra_slots = asyncio.Semaphore(EXTRA_STREAMS)
        self.upstream_calls = 0

    async def configure(self, settings: Settings) -> None:
        """Adopt new settings. A change of where requests go or how they are accepted (see
        :func:`upstream`) starts afresh: new provider, empty cache, circuits reset. A change
        of what a request asks for (``maxTokens``, ``stop``, ``temperature``, the prompt
        budget) empties the cache, whose answers were asked for otherwise, and keeps the warm
        connection. Any other (``debounceMs``, ``exclude``) keeps both."""
        old, self.settings = self.settings, settings
        if upstream(old) != upstream(settings):
            await self._reset()
        elif _asked(old) != _asked(settings):
            self._forget()

    def _forget(self) -> None:
        """Stop every stream and empty the cache."""
        for gen in self.store.clear():
            self._stop(gen)
        for gen in list(self._live.values()):
            self._stop(gen)

    async def _reset(self) -> None:
        """Stop every stream, empty the cache, reset the circuits, close the provider."""
        self._forget()
        self.circuit = Circuit()
        self._extras_refused = False
        old, self._provider = self._provider, None
        if old is not None:
            await old.aclose()

    def budget(self) -> Budget:
        """The prompt budget the settings ask for."""
        settings = self.settings
        return Budget(settings.prompt_tokens, settings.suffix_share, settings.other_files_share)

    def endpoint(self) -> str:
        """The base URL requests go to."""
        settings = self.settings
        if not settings.base_url and settings.provider in self._hosts:
            return self._hosts[settings.provider].rstrip("/")
        return settings.endpoint

    def warm_up(self) -> None:
        """Import the HTTP stack and load the TLS roots in the background once the session is
        up: they are kept out of start-up (spawn to ``initialize``), and should not land on the
        first keystroke either."""
        import threading

        threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()

    def document_changed(self, uri: str) -> None:
        """Note an edit of ``uri`` (feeds the adaptive debounce; O(1))."""
        self.pace.edited(uri)

    def document_closed(self, uri: str) -> None:
        """Release everything held for a closed document."""
        self.pace.forget(uri)
        self._told_excluded.discard(uri)
        self.surroundings_changed(uri)

    def surroundings_changed(self, uri: str) -> None:
        """Forget the suggestions made in ``uri``: text its prompts hold around it changed (a
        notebook's other cells). Typing-through alone would take an edit at the far end of
        the prompt for the budget's trim and keep serving them."""
        for gen in self.store.drop_document(uri):
            self._stop(gen)
        live = self._live.pop(uri, None)
        if live is not None:
            self._stop(live)

    def blocked_reason(self, ctx: Context) -> str | None:
        """Why no request may be sent for this cursor, or ``None``."""
        if self.settings.enable and is_excluded(ctx.path or ctx.uri, self.settings.exclude):
            return "excluded"
        return unusable(self.settings, self.endpoint())

    async def complete(self, request: Request) -> str:
        """The suggestion for ``request.ctx`` (empty when there is none)."""
        ctx = request.ctx
        blocked = self.blocked_reason(ctx)
        if blocked:
            if blocked == "excluded" and ctx.uri not in self._told_excluded:
                self._told_excluded.add(ctx.uri)
                log.info("no completions in %s: it matches a pattern in exclude", ctx.uri)
            return ""
        multiline = wants_multiline(ctx, self.settings.multiline)
        deadline = self._deadline(request.invoked)
        # The debounce is the user's pause, not the endpoint's time: a long debounceMs must
        # neither use up timeoutMs nor get the endpoint blamed for it.
        pause = 0.0 if request.invoked else self._debounce_s(ctx)
        asked_at = time.monotonic() + pause
        try:
            async with asyncio.timeout(deadline + pause):
                text = await self._suggest(request, multiline, pause)
        except TimeoutError:
            self._timed_out(ctx.uri, deadline, asked_at)
            return ""
        if not text:
            return ""
        # An edit the editor sent just before this answer may be waiting on stdin, unread or
        # not yet applied: give the loop a moment to take it in, then check.
        await asyncio.sleep(SETTLE_S)
        if not request.is_current():
            log.debug("dropped a stale suggestion for %s", ctx.uri)
            return ""
        return text

    def _timed_out(self, uri: str, deadline: float, asked_at: float) -> None:
        """A request got nothing usable by its deadline: the endpoint is slow, or it trickles
        bytes (keep-alive comments, a byte a second) that keep every read timeout at bay. The
        user is told (once per kind, by the reporter). A stream that has sent no text for as
        long as an invoked request may wait is closed, so the next keystroke asks afresh instead
        of joining it; one merely slow (a local model on a CPU) goes on, for the next keystroke
        to take up. The request's own stream started a little after it (debounce, the loop):
        its silence counts from ``asked_at``."""
        live = self._live.get(uri)
        silent_for = time.monotonic() - min(live.started, asked_at) if live is not None else 0.0
        if (
            live is not None
            and not live.done
            and not live.text
            and silent_for >= max(deadline, self._deadline(True))
        ):
            self._stop(live)
        self._report(
            UpstreamTimeout(
                f"{self.endpoint()} gave no suggestion within {deadline:.1f} s: it is slow or "
                "stalled (codestral.timeoutMs, or CODESTRAL_TIMEOUT_MS, sets the limit)"
            )
        )

    async def alternatives(self, request: Request) -> list[str]:
        """Extra candidates for an invoked request (distinct seeds, warmer); none otherwise."""
        ctx = request.ctx
        count = self.settings.invoked_candidates - 1
        if count < 1 or not request.invoked or self._extras_refused or self.blocked_reason(ctx):
            return []
        if not request.is_current() or not self.circuit.allows() or self.circuit.failing:
            return []  # an endpoint in trouble gets the request's own call only
        multiline = wants_multiline(ctx, self.settings.multiline)
        base = self._fim_request(ctx, multiline, invoked=True)
        try:
            async with asyncio.timeout(self._deadline(True)):
                found = await candidates.extra(
                    self._get_provider(), base, ctx, multiline, self._extra_slots, count
                )
        except RateLimitError:
            # The endpoint allows fewer calls than a request with extras makes (a free tier's
            # one per second): extras would only make the next keystroke's own call meet the
            # limit. Invoked requests ask once until the endpoint or key changes.
            if not self._extras_refused:
                log.warning(
                    "%s refused the extra candidates of an invoked request (rate limit): "
                    "invoked requests ask for one from now on (codestral.invokedCandidates)",
                    self.endpoint(),
                )
            self._extras_refused = True
            return []
        except (TimeoutError, ProviderError):
            # The first suggestion's path meets and reports the same trouble.
            return []
        return found if request.is_current() else []

    async def _suggest(self, request: Request, multiline: bool, pause: float) -> str:
        ctx = request.ctx
        if self.options.naive:
            return await self._fetch(request, multiline)
        began = time.monotonic()
        quiet = 0.0 if request.invoked else self.pace.asked(ctx.uri, began)
        text = await self._attach(ctx, multiline, request.invoked)
        if text is not None:
            return text
        if not request.invoked and not self._taken_whole(ctx):
            # The debounce is a quiet time after the user's last edit or cursor move, not a wait
            # per request: a request that already waited on a suggestion which then went
            # another way, or one an editor sent after its own idle delay (Helix, company-mode),
            # has had its pause.
            delay = pause - quiet - (time.monotonic() - began)
            if delay > 0:
                await asyncio.sleep(delay)
                if not request.is_current():
                    return ""
                text = await self._attach(ctx, multiline, request.invoked)
                if text is not None:
                    return text
        return await self._fetch(request, multiline)

    async def _attach(self, ctx: Context, multiline: bool, invoked: bool) -> str | None:
        """The rest of a suggestion the user is typing through (``""`` when nothing of it is
        worth showing), or ``None`` when there is none to attach to, or the one attached to
        turned out not to continue what was typed (the cursor needs a suggestion of its own).
        An automatic request at the very cursor of a finished empty answer gets that answer
        again: the same prompt would bring the same nothing."""
        reused = self._reusable(ctx, multiline, invoked)
        if reused is None:
            return None
        gen, typed = reused
        text = await self._serve(gen, typed, ctx, multiline)
        if text or gen.error is not None or gen.continues(typed) or (gen.done and not typed):
            return text
        return None

    async def _fetch(self, request: Request, multiline: bool) -> str:
        # The document may have changed or closed while this request waited on a suggestion
        # that then went another way: its prompt would be stale, or a closed file's.
        if not request.is_current() or not self.circuit.allows(request.invoked):
            return ""
        gen = self._start(request.ctx, multiline, request.invoked)
        return await self._serve(gen, "", request.ctx, multiline)

    def _reusable(
        self, ctx: Context, multiline: bool, invoked: bool
    ) -> tuple[Generation, str] | None:
        # The user who asks waits on no bet: a silent stream's prompt behind the cursor may
        # bring an answer that does not continue it, and on a slow endpoint a call made after
        # that would miss the deadline.
        silent_limit = 1 if invoked else STALE_SILENT_CHARS
        for gen in self.store.recent(ctx.uri):
            typed = gen.typed_since(ctx)
            if typed is None or gen.error is not None or _stopping(gen):
                continue
            if not gen.done and len(typed) - len(gen.text) >= silent_limit:
                continue  # its answer is behind the cursor: ask afresh rather than wait
            if gen.continues(typed) or (not invoked and not typed and gen.done):
                return gen, typed
            after = self._typed_beyond(gen, typed, ctx, multiline)
            if after is not None:
                return after, ""
        return None

    def _typed_beyond(
        self, gen: Generation, typed: str, ctx: Context, multiline: bool
    ) -> Generation | None:
        """What the model said after the cursor, as a suggestion of its own, when the user typed
        on past ``gen``'s suggestion along its raw answer (:meth:`Generation.beyond`). A request
        here would send the same prompt that answer already went on from, so at temperature 0
        it would bring the same text back: it is not asked."""
        rest = gen.beyond(typed)
        if not rest.strip():
            return None
        after = Generation(ctx=ctx, multiline=multiline, asked=gen.asked, text=rest, done=True)
        if not after.shown:
            return None
        self.store.add(after)
        return after

    def _taken_whole(self, ctx: Context) -> bool:
        """Whether the newest suggestion was just accepted or typed through to its end (maybe
        short of the line break and indentation it ends with): the user wants the continuation
        now, so it skips the debounce."""
        for gen in self.store.recent(ctx.uri):
            typed = gen.typed_since(ctx)
            if typed is None or not gen.done or gen.error is not None:
                continue
            shown = gen.shown
            body = shown.rstrip()
            return bool(body) and typed.startswith(body) and len(typed) - len(shown) <= 2
        return False

    def _start(
        self, ctx: Context, multiline: bool, invoked: bool, delay: float = 0.0
    ) -> Generation:
        previous = self._live.pop(ctx.uri, None)
        if previous is not None and not previous.done:
            self._stop(previous)
        gen = Generation(ctx=ctx, multiline=multiline, asked=invoked)
        if not self.options.naive:
            self.store.add(gen)
        self._live[ctx.uri] = gen
        request = self._fim_request(ctx, multiline, invoked)
        # A second try is for a passing glitch, not for an endpoint that failed before too.
        retries = int(invoked and not self.circuit.failing)
        gen.task = asyncio.create_task(self._run(gen, request, delay, retries))
        gen.task.add_done_callback(functools.partial(self._ended, gen))
        return gen

    def _fim_request(self, ctx: Context, multiline: bool, invoked: bool) -> FimRequest:
        settings = self.settings
        default_tokens = MAX_TOKENS_MULTI if multiline else MAX_TOKENS_SINGLE
        if settings.preset.wire == "chat":
            default_tokens += WRAPPING_TOKENS
        prompt, stops, other_files = request_parts(ctx, settings.preset.wire)
        return FimRequest(
            prompt=prompt,
            suffix=ctx.suffix,
            model=settings.effective_model,
            max_tokens=settings.max_tokens or default_tokens,
            temperature=settings.temperature,
            stop=settings.stop + stops,
            stream=True,
            # Per file; a notebook's cells share their notebook's (their prompts open alike).
            prompt_cache_key=cache_key(ctx.path or ctx.uri)
            if settings.preset.prompt_cache
            else None,
            min_tokens=1 if invoked else None,
            path=ctx.shown_path,
            other_files=other_files,
        )

    async def _run(self, gen: Generation, request: FimRequest, delay: float, retries: int) -> None:
        try:
            if delay:
                await asyncio.sleep(delay)
            await self._call(gen, request, retries)
            self.circuit.success()
            gen.finish()
        except ProviderError as err:
            self._fail(gen, err)

    def _ended(self, gen: Generation, task: asyncio.Task[None]) -> None:
        """``gen``'s task is over, however it ended. Cancelled (superseded, unwatched, closed),
        maybe before it ever ran, when none of :meth:`_run` executed, or failed by a fault of
        ours: it is cut off, leaves the cache, and its waiters wake (else they would wait out
        their deadline and report the endpoint slow)."""
        if not gen.done:
            fault = None if task.cancelled() else task.exception()
            if fault is not None:
                self._fault(fault)
            self.store.discard(gen)
            gen.cancelled = True
            gen.finish()
        if self._live.get(gen.ctx.uri) is gen:
            del self._live[gen.ctx.uri]

    def _fault(self, err: BaseException) -> None:
        """Log a fault of ours: the first of its kind with its traceback, later ones only at
        debug level (it may recur at every keystroke). Its message, not its repr, which may
        hold the whole prompt."""
        kind = type(err).__name__
        level = logging.DEBUG if kind in self._faults else logging.ERROR
        self._faults.add(kind)
        log.log(level, "completion failed: %s: %s", kind, err, exc_info=err)

    async def _call(self, gen: Generation, request: FimRequest, retries: int) -> None:
        """Stream ``request`` into ``gen``; after a failure that a second try may not meet, with
        nothing streamed yet and someone still waiting, try again up to ``retries`` times."""
        while True:
            try:
                async with self._slots:
                    self.upstream_calls += 1
                    await self._pump(gen, self._get_provider(), request)
                self._last_failure = ""
                return
            except (UpstreamError, UpstreamTimeout, ConnectError) as err:
                if retries <= 0 or gen.text or not gen.waiters or not _passing(err):
                    raise
                retries -= 1
                log.info("completion failed, trying once more: %s", err)
                await asyncio.sleep(RETRY_PAUSE_S)
                if not gen.waiters:
                    raise

    async def _pump(self, gen: Generation, provider: Provider, request: FimRequest) -> None:
        stream = provider.stream(request)
        try:
            async for delta in stream:
                if gen.first_token is None:
                    self.pace.observed(time.monotonic() - gen.started)
                gen.append(delta)
                self.store.resize(gen)
                if complete_enough(gen, delta):
                    # What came after the last line break may stop mid-word: a user typing past
                    # the suggestion along the answer (Generation.beyond) must not get it.
                    gen.text = without_torn_line(gen.text)
                    break
        except AnswerCut:
            gen.text = without_torn_line(gen.text)
        finally:
            await stream.aclose()  # type: ignore[attr-defined]

    def _fail(self, gen: Generation, err: ProviderError) -> None:
        if isinstance(err, UpstreamTimeout | UpstreamError) and "\n" in gen.text.lstrip("\n"):
            # Keep the complete lines that arrived (in time, or before the stream broke off)
            # rather than nothing.
            gen.text = gen.text[: gen.text.rstrip("\n").rfind("\n") + 1]
            gen.finish()
            return
        self.store.discard(gen)
        gen.finish(err)
        self.circuit.record(err)
        # The same failure keystroke after keystroke (an endpoint down) is one line, not one
        # per request; the next different one, or the first after a success, is news again.
        level = logging.DEBUG if str(err) == self._last_failure else logging.WARNING
        self._last_failure = str(err)
        log.log(level, "completion failed: %s", err)
        self._report(err)

    async def _serve(self, gen: Generation, typed: str, ctx: Context, multiline: bool) -> str:
        gen.waiters += 1
        gen.wanted_at = time.monotonic()
        try:
            while True:
                if gen.error is not None or gen.cancelled:
                    # Cancelled: cut off (new settings, the document closed, superseded), so
                    # what it holds may stop mid-word.
                    return ""
                shown = gen.shown
                if not shown.startswith(typed) and (gen.done or not typed.startswith(shown)):
                    return ""
                rest = shown[len(typed) :]
                if gen.done:
                    self._follow(gen, shown, typed)
                    text = _rest(rest, typed, ctx, multiline, gen.asked)
                    return text + _followed(gen, text, rest, multiline)
                # New lines in front of code on the cursor's line stream as a block too.
                block = multiline or in_front_of_code(rest, ctx) is not None
                # The break and indentation that push the code after the cursor down (they end
                # every cleaned answer in front of it) end no line of the stream.
                lines = without_push_down(rest)
                if not block and first_line_done(lines) and not front_undecided(rest, ctx):
                    return _rest(rest, typed, ctx, multiline, gen.asked)
                if block and first_line_done(lines):
                    wait = self._wait_for_more(gen, ctx.uri)
                    if wait <= 0:
                        return _rest(complete_lines(lines), typed, ctx, multiline, gen.asked)
                    await gen.changed_within(wait)
                    continue
                await gen.changed()
        finally:
            gen.waiters -= 1
            gen.wanted_at = time.monotonic()
            if gen.waiters == 0 and not gen.done:
                self._stop_when_unwatched(gen)

    def _follow(self, gen: Generation, shown: str, typed: str) -> None:
        """Ready before asked, where it pays: once the user is typing the last word of a
        finished suggestion that ends its line, ask for what comes after it. The request the
        user would make at the line's end goes out a few keys early, so its answer is there
        (and shown after the rest of the line) when the line is done. Only the end of the word
        and punctuation are left unconfirmed: a suggestion that goes wrong mostly does so at a
        word, and a suggestion the user has not reached the last word of is not asked ahead
        for (the bench measured both: broader triggers cost more requests than they save)."""
        rest = shown[len(typed) :]
        if gen.follow is not None:
            # The user is still typing toward it: wanted until the line's end is reached.
            gen.follow.wanted_at = max(gen.follow.wanted_at, self._reached_at(rest))
            return
        if self.options.naive or not self.circuit.allows():
            return
        if not typed or not rest or gen.ctx.line_suffix.strip():
            return
        begun = is_word_char(typed[-1]) or not is_word_char(rest[0])
        if not (begun and _LAST_WORD.fullmatch(rest)):
            return  # more than the end of a word begun is left unconfirmed
        after = moved(gen.ctx, shown, self.budget().prefix_chars)
        multiline = wants_multiline(after, self.settings.multiline)
        follow = self._start(after, multiline, invoked=False, delay=FOLLOW_AFTER_S)
        # Nobody waits on it before the line's end: it is wanted while the user types the rest
        # of the word (longer, and it would hold an upstream slot other documents need).
        follow.wanted_at = self._reached_at(rest)
        self._stop_when_unwatched(follow)
        gen.follow = follow

    def _reached_at(self, rest: str) -> float:
        """When a user typing at the usual pace will have typed ``rest``."""
        return time.monotonic() + len(rest) * self.pace.typing_gap

    def _wait_for_more(self, gen: Generation, uri: str) -> float:
        """How much longer the complete lines of a block still streaming are held back in the
        hope of the rest (0: send them now). A user in the middle of typing gets them at once:
        the next key asks again anyway and attaches to the stream for more. A user who stopped
        to look gets the block whole unless it is slow to come; that wait counts once per
        generation, not per keystroke."""
        if self.pace.typing(uri):
            return 0.0
        if gen.partial_at is None:
            gen.partial_at = time.monotonic() + PARTIAL_AFTER_S
        return gen.partial_at - time.monotonic()

    def _stop_when_unwatched(self, gen: Generation) -> None:
        """Close ``gen``'s stream once nobody has wanted it for the linger."""
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
        # Once: a second cancel landing in httpcore's clean-up of the first (a stream stopped as
        # unwatched, then superseded) left its connection marked busy, and after eight of
        # those every call failed with PoolTimeout.
        if gen.task is not None and not gen.task.done() and not _stopping(gen):
            gen.task.cancel()

    def _get_provider(self) -> Provider:
        if self._provider is None:
            settings = self.settings
            # The longest a request may wait: an automatic one ends at its own deadline, while
            # an invoked one may wait out a local model loading (its first token after 7 s).
            read_timeout = (settings.timeout_ms or DEADLINE_INVOKED_S * 1000) / 1000
            base_url = self.endpoint()
            try:
                proxy = proxy_for(base_url)
            except ProxyUnusable as err:
                raise ConnectError(str(err)) from None
            self._provider = self._factory(
                Endpoint(
                    wire=settings.preset.wire,
                    base_url=base_url,
                    api_key=settings.api_key,
                    read_timeout=read_timeout,
                    allow_insecure_http=settings.allow_insecure_http,
                    needs_key=settings.preset.needs_key,
                    proxy=proxy,
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
        await self._reset()


def complete_enough(gen: Generation, delta: str) -> bool:
    """Early stop, once ``delta`` has been appended: whatever the post-processing rules already
    decide (first line done in single-line mode, a cut point in multi-line mode), or the soft
    deadline with a complete non-blank line in hand."""
    text = gen.text
    if breaks_line(delta) and should_stop(text, gen.ctx, gen.multiline):
        return True
    if time.monotonic() - gen.started < SOFT_DEADLINE_S:
        return False
    body = text.lstrip("\n")
    return "\n" in body and bool(body.strip())


def _rest(rest: str, typed: str, ctx: Context, multiline: bool, asked: bool) -> str:
    """The remainder of a suggestion: cleaned for the cursor when nothing of it was typed, and
    as it was shown when the user is typing through it (without the line break that would put
    code after the cursor on a line of its own, when the editor already did). The rules judged
    the suggestion whole, at its own cursor; judged again from inside it, they would cut what it
    rightly holds: the lines after the one being typed (the cursor is mid-line now), the line
    break that puts the code after the cursor on a line of its own, a lone ``):`` ("too small"
    as a whole answer)."""
    if not typed:
        return clean(rest, ctx, multiline, asked)
    # Its closing line break was for code after the cursor that is on a line below by now.
    return rest if ctx.line_suffix.strip() else without_push_down(rest)


def _stopping(gen: Generation) -> bool:
    """Whether ``gen``'s stream was stopped, unfinished (it leaves the cache in its task's
    done-callback, which runs a loop turn after the task ends): a request joining it would get
    nothing, and ask nothing."""
    return gen.task is not None and gen.task.cancelling() > 0 and not gen.done


def _warm_up() -> None:
    from codestral_lsp.providers import _http

    _http.tls_context()


def _passing(err: ProviderError) -> bool:
    """Whether a second try may not meet ``err``: a 5xx, a broken or stalled stream, a connection
    that failed; not another status (a redirect, say), which the same request meets again."""
    return err.status is None or err.status >= 500


def _followed(gen: Generation, text: str, rest: str, multiline: bool) -> str:
    """What the suggestion asked for ahead (:meth:`Engine._follow`) adds to ``text``, the rest
    of ``gen`` as shown: its complete lines so far, shown as one suggestion with it (only when
    the rest is shown whole, so the two join where the second was asked for)."""
    follow = gen.follow
    if follow is None or follow.cancelled or follow.error is not None:
        return ""
    if not multiline or not text or text != rest:
        return ""
    more = follow.shown
    return more if follow.done else complete_lines(more)


def complete_lines(text: str) -> str:
    """``text`` up to its last line break that follows some content."""
    body_start = len(text) - len(text.lstrip("\n"))
    end = text.rfind("\n")
    return text[:end] if end > body_start else ""
