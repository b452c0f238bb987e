"""HTTP plumbing shared by providers: the client, status-to-error mapping, SSE and NDJSON reading.

This is the only module that catches httpx exceptions.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import email.utils
import functools
import json
import logging
import os
import re
import ssl
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import certifi
import httpx

from codestral_lsp import __version__
from codestral_lsp.providers import (
    AnswerCut,
    AnswerTooLong,
    AuthError,
    BadRequestError,
    BadResponseError,
    ConnectError,
    Endpoint,
    FimRequest,
    ProviderError,
    RateLimitError,
    UpstreamError,
    UpstreamTimeout,
)

log = logging.getLogger(__name__)

USER_AGENT = f"codestral-lsp/{__version__}"
# The longest pause a rate limit's Retry-After may ask for: longer, and a typing user would take
# completions for broken rather than paused.
MAX_RETRY_AFTER_S = 300.0

# A whole JSON answer, or one line of a stream, larger than this is no FIM answer (one of the
# longest ``max_tokens`` allows is a few hundred KB even with every character escaped): it is
# not read on, so an endpoint gone wrong cannot fill the memory of every editor's server.
MAX_BODY_BYTES = 4 * 1024 * 1024
# What of an error response's body is read to describe it.
MAX_ERROR_BYTES = 64 * 1024
# No tokenizer's tokens run longer than this many characters on average (a run of spaces is
# among the longest), so an answer longer than ``max_tokens`` times this ignores the limit;
# the slack keeps a tiny ``max_tokens`` from cutting an answer that honours it.
CHARS_PER_TOKEN = 16
SLACK_CHARS = 1024


def answer_limit(max_tokens: int) -> int:
    """The most characters an answer that honours ``max_tokens`` may hold, generously."""
    return max_tokens * CHARS_PER_TOKEN + SLACK_CHARS


def make_client(endpoint: Endpoint) -> httpx.AsyncClient:
    """One long-lived client per provider: keep-alive connections are most of the latency win."""
    timeout = httpx.Timeout(
        connect=endpoint.connect_timeout,
        read=endpoint.read_timeout,
        write=endpoint.read_timeout,
        pool=endpoint.connect_timeout,
    )
    limits = httpx.Limits(max_connections=8, max_keepalive_connections=4, keepalive_expiry=90)
    return new_client(timeout, endpoint.proxy, limits)


def new_client(
    timeout: httpx.Timeout | float, proxy: str | None, limits: httpx.Limits | None = None
) -> httpx.AsyncClient:
    """A client going through ``proxy`` (``None``: direct) that trusts :func:`tls_context`.

    Raises :class:`ConnectError` for a proxy httpx cannot use (a port that is not a number).
    """
    try:
        return httpx.AsyncClient(
            timeout=timeout,
            limits=limits or httpx.Limits(),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
            # The proxy comes as a parameter (the caller read the environment); nothing else
            # of the environment (a .netrc, say) may change where requests go or what they carry.
            trust_env=False,
            proxy=proxy,
            verify=tls_context(),
        )
    except (ValueError, ImportError, httpx.InvalidURL) as err:
        raise ConnectError(f"cannot use the proxy {proxy_host(proxy)}: {err}") from None


def proxy_host(proxy: str | None) -> str:
    """``proxy`` as scheme, host and port only (its URL may hold a password)."""
    parts = urlsplit(proxy or "")
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The roots a server's certificate must chain to: certifi's (httpx's own default) and the
    system's (OpenSSL's default paths, which ``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` replace).
    A network that inspects TLS has its root in the system's store, or named in
    ``SSL_CERT_FILE``: with certifi's alone, every request there failed."""
    context = ssl.create_default_context(cafile=certifi.where())
    context.load_default_certs()
    return context


def auth_headers(api_key: str) -> dict[str, str]:
    """Bearer authorisation, or nothing for keyless local servers."""
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


# A string decoded from JSON holds surrogates only unpaired (a pair becomes one character).
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def json_body(body: Mapping[str, Any]) -> bytes:
    """``body`` as UTF-8 JSON. An unpaired surrogate, which an editor may send inside a
    document's text (a JavaScript string may hold one) and UTF-8 cannot encode, is sent as
    U+FFFD: one odd character must not fail every request whose prompt includes it."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _LONE_SURROGATE.sub("\ufffd", text).encode()


@asynccontextmanager
async def post(
    client: httpx.AsyncClient,
    url: str,
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    proxy: str | None = None,
) -> AsyncIterator[httpx.Response]:
    """POST a JSON body and yield the streaming response once its status is known to be good
    (``proxy``: the one ``client`` goes through, named in errors)."""
    if client.is_closed:
        # Closed for new settings while this request waited for an upstream slot (an invoked
        # request's extra candidates): httpx would raise a bare RuntimeError.
        raise ProviderError(f"not sent to {url}: the settings changed")
    sent = {**headers, "Content-Type": "application/json"}
    try:
        response = await client.send(
            client.build_request("POST", url, content=json_body(body), headers=sent), stream=True
        )
        ended = False
        try:
            if response.status_code >= 300:
                raise without_key(error_for(response, await _body_head(response)), headers)
            try:
                yield response
            except AnswerCut:
                ended = True  # the answer is complete as an answer: its rest is read as usual
                raise
            except ProviderError as err:
                raise without_key(err, headers) from None  # an error event in a 200 answer
            ended = True
        finally:
            # Shielded: a cancel landing while the response closes (the engine drops a stream
            # the moment nobody waits for it; httpcore may even deliver one late) would leave
            # httpcore's connection marked busy, and eight of those exhaust the pool for good
            # (every later call: PoolTimeout).
            await asyncio.shield(_release(response, ended))
    except httpx.TimeoutException as err:
        raise UpstreamTimeout(
            f"{url}{_through(proxy)} did not answer in time ({type(err).__name__})"
        ) from None
    except httpx.ProxyError as err:
        raise ConnectError(
            f"the proxy {proxy_host(proxy)} would not connect to {url}: {_reason(err)}"
        ) from None
    except httpx.ConnectError as err:
        raise ConnectError(f"cannot reach {url}{_through(proxy)}: {_reason(err)}") from None
    except httpx.RemoteProtocolError as err:
        raise UpstreamError(f"{url} broke off the answer: {_reason(err)}") from None
    except httpx.HTTPError as err:
        raise UpstreamError(f"request to {url} failed: {_reason(err)}") from None


def without_key(err: ProviderError, headers: Mapping[str, str]) -> ProviderError:
    """``err`` with the bearer token removed from its text: some gateways echo the header they
    rejected, and error text travels on to logs and messages."""
    token = headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and token in err.message:
        err.message = err.message.replace(token, "***")
        err.args = (err.message,)
    return err


# What httpx's errors that come without a message mean to a user.
_SILENT_ERRORS = {
    "ReadError": "the connection was closed or reset",
    "WriteError": "the connection broke while sending",
    "CloseError": "the connection broke while closing",
}


def _reason(err: Exception) -> str:
    name = type(err).__name__
    text = str(err).strip() or _SILENT_ERRORS.get(name, name)
    line = text.splitlines()[0][:200]
    if "CERTIFICATE_VERIFY_FAILED" in line:
        line += f" ({_roots_hint()})"
    return line


def _roots_hint() -> str:
    named = os.environ.get("SSL_CERT_FILE")
    if named and not (os.path.isfile(named) and os.access(named, os.R_OK)):
        # OpenSSL skips a file it cannot read without a word.
        return f"SSL_CERT_FILE names {named}, which cannot be read: its roots are not trusted"
    return (
        "a network that inspects TLS needs its root certificate in the system's store, "
        "or named in SSL_CERT_FILE"
    )


def _through(proxy: str | None) -> str:
    return f" through the proxy {proxy_host(proxy)}" if proxy else ""


async def _body_head(response: httpx.Response) -> bytes:
    """An error response's body, or its first :data:`MAX_ERROR_BYTES` (enough to describe it:
    a huge error page is not read on, and its connection is not reused)."""
    head = b""
    with contextlib.suppress(httpx.HTTPError):
        async for chunk in response.aiter_bytes():
            head += chunk
            if len(head) >= MAX_ERROR_BYTES:
                break
    return head[:MAX_ERROR_BYTES]


def error_for(response: httpx.Response, body: bytes) -> ProviderError:
    """Translate an error response (``body``: its body, or the head of it) into the provider
    error tree."""
    status = response.status_code
    detail = error_detail(response, body)
    where = _where(response)
    if status in (401, 403):
        return AuthError(f"HTTP {status} from {where}: {detail}", status)
    if status == 429:
        wait = retry_after(response.headers)
        told = f" (retry after {wait:.0f} s)" if wait is not None else ""
        return RateLimitError(f"HTTP 429 from {where}: {detail}{told}", wait)
    if status in (404, 405):
        return BadRequestError(
            f"HTTP {status} from {where}: {detail} (no such endpoint or model there: check "
            "baseUrl and model)",
            status,
        )
    if status in (400, 413, 422, 501):
        # 501: the server cannot do this at all (llama.cpp: "Infill is not supported by this
        # model"); no retry and no pause will change that.
        return BadRequestError(f"HTTP {status} from {where}: {detail}", status)
    if 300 <= status < 400:
        # Not followed: the key must only go where the settings say.
        target = response.headers.get("location") or "another address"
        return BadRequestError(
            f"HTTP {status} from {where}: redirected to {target}; redirects are not followed, "
            "so set baseUrl to the address that answers",
            status,
        )
    return UpstreamError(f"HTTP {status} from {where}: {detail}", status)


def error_detail(response: httpx.Response, raw: bytes) -> str:
    """A short one-line description from any of the error body shapes endpoints use (an HTML
    error page is told by its title)."""
    text = raw.decode("utf-8", "replace")
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        return one_line(_page_text(text))[:200] or response.reason_phrase or "no detail"
    return one_line(_describe(body))[:300] or "no detail"


def one_line(text: str) -> str:
    """``text`` with every run of whitespace, line breaks included, as one space."""
    return " ".join(text.split())


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def _page_text(text: str) -> str:
    """An HTML page's title (else its text without tags); other text as it is."""
    if "<html" not in text[:500].lower() and "<!doctype" not in text[:500].lower():
        return text
    title = _TITLE.search(text)
    return title.group(1) if title else _TAG.sub(" ", text)


def _describe(body: Any) -> str:
    if isinstance(body, str):
        return body
    if isinstance(body, list):
        return "; ".join(_describe(item) for item in body[:3])
    if not isinstance(body, dict):
        return str(body)
    if "loc" in body and "msg" in body:
        loc = ".".join(str(part) for part in body["loc"] if part != "body")
        return f"{loc}: {body['msg']}" if loc else str(body["msg"])
    for key in ("detail", "message", "error"):
        if body.get(key):
            return _describe(body[key])
    return json.dumps(body)[:200]


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait, from ``Retry-After`` (seconds or HTTP date) or a rate-limit reset header;
    at most :data:`MAX_RETRY_AFTER_S`. ``None`` when no header gives a usable wait (the engine
    then backs off on its own): an unparsable value, or none in the future."""
    raw = (headers.get("retry-after") or "").strip()
    if raw:
        return _bounded(_seconds(raw))
    for name, value in headers.items():
        lowered = name.lower()
        if "ratelimit" in lowered and "reset" in lowered:
            seconds = _number(value)
            if seconds is None:
                continue
            # Some gateways send an epoch timestamp rather than a delay.
            return _bounded(seconds - time.time() if seconds > 1e9 else seconds)
    return None


def _seconds(raw: str) -> float | None:
    """A ``Retry-After`` value as seconds from now: a number, or an HTTP date."""
    number = _number(raw)
    if number is not None:
        return number
    try:
        return email.utils.parsedate_to_datetime(raw).timestamp() - time.time()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _number(raw: str) -> float | None:
    try:
        return float(raw)
    except ValueError:
        return None


def _bounded(seconds: float | None) -> float | None:
    """A wait that is a wait: positive, and no longer than :data:`MAX_RETRY_AFTER_S` (a value of
    hours or ``inf`` would turn completions off for the session)."""
    if seconds is None or not seconds > 0:  # also NaN
        return None
    return min(seconds, MAX_RETRY_AFTER_S)


def whole_answer(response: httpx.Response, streamed: bool) -> bool:
    """Whether the answer is one JSON body rather than a stream: when none was asked for, and
    when a server answers a stream request with JSON anyway (a gateway that ignores ``stream``,
    or one reporting an error with a 200), which is then read whole instead of taken for a
    stream that ended before its end."""
    return not streamed or _content_type(response) == "application/json"


def _content_type(response: httpx.Response) -> str:
    kind: str = response.headers.get("content-type", "")
    return kind.split(";")[0].strip().lower()


# Event streams and NDJSON end lines at these only. httpx's aiter_lines also ends them at U+2028,
# U+2029 and U+0085, which JSON strings may hold unescaped (llama.cpp's, Go's and serde_json's
# encoders send them so): the JSON was cut in two.
_BREAK = re.compile(r"\r\n|\r|\n")
# What is left of an answer after its end marker (an end line, the chunked body's terminator)
# is on its way already; this bounds the wait for it all the same.
REST_S = 0.1
# A streamed response's line reader, for :func:`_release` (which every :func:`post` runs) to
# finish reading and drop.
_LINES: dict[httpx.Response, AsyncIterator[str]] = {}


def body_lines(response: httpx.Response) -> AsyncIterator[str]:
    """The lines of a streamed body, read once (see :func:`_release`)."""
    lines = _LINES.get(response)
    if lines is None:
        lines = _LINES[response] = _split_lines(response)
    return lines


async def _split_lines(response: httpx.Response) -> AsyncIterator[str]:
    """The body's lines, decoded as UTF-8 (which event streams and JSON always are, whatever
    charset a header names) without a leading byte-order mark."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    pending, started = "", False
    async for chunk in response.aiter_bytes():
        pending += decoder.decode(chunk)
        if not started and pending:
            pending, started = pending.removeprefix("\ufeff"), True
        # A CR at the end may be the first half of a CRLF.
        held = "\r" if pending.endswith("\r") else ""
        *complete, pending = _BREAK.split(pending[: len(pending) - len(held)])
        pending += held
        for line in complete:
            yield line
        if len(pending) > MAX_BODY_BYTES:
            raise BadResponseError(f"a line of the answer is longer than {_over_bound()}")
    *complete, pending = _BREAK.split(pending + decoder.decode(b"", final=True))
    for line in [*complete, pending] if pending else complete:
        yield line


async def _release(response: httpx.Response, ended: bool) -> None:
    """Close ``response``. When the provider saw its answer end, what is left of it is read
    first: read to its end, the connection goes back to the pool; closed before, every
    suggestion paid a new connection (and a TLS handshake)."""
    lines = _LINES.pop(response, None)
    if ended and lines is not None and not response.is_closed:
        with contextlib.suppress(TimeoutError, httpx.HTTPError, BadResponseError):
            async with asyncio.timeout(REST_S):
                async for _ in lines:
                    pass
    await response.aclose()


async def sse_data(response: httpx.Response, until_done: bool = True) -> AsyncIterator[str]:
    """Yield the payload of each ``data:`` line until ``[DONE]``; comments and blanks skipped.

    With ``until_done`` a stream that ends without ``[DONE]`` was cut; servers that have no
    such line (llama.cpp) pass ``False`` and judge the end from their own events.
    """
    events = 0
    try:
        async for line in body_lines(response):
            if line.startswith("error:"):
                # llama.cpp reports a failure mid-stream on a line of its own.
                raise_stream_error({"error": _json_or_text(line[6:].strip())})
                continue
            if not line.startswith("data:"):
                continue
            payload = line[5:].strip()
            if payload == "[DONE]":
                return
            if payload:
                events += 1
                yield payload
    except httpx.TimeoutException:
        raise UpstreamTimeout("the stream stalled") from None
    except httpx.HTTPError as err:
        raise UpstreamError(f"the stream broke off: {_reason(err)}") from None
    kind = _content_type(response)
    if not events and kind != "text/event-stream":
        got = kind or "no content type"
        raise BadResponseError(f"{_where(response)} sent no event stream but {got}")
    if until_done:
        raise UpstreamError("the stream ended before [DONE]")


def _json_or_text(text: str) -> Any:
    """``text`` read as JSON, or as itself when it is none."""
    try:
        return json.loads(text)
    except ValueError:
        return text


async def ndjson(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """Yield each JSON object of a newline-delimited JSON stream."""
    try:
        async for line in body_lines(response):
            if line.strip():
                yield _parsed(line, response)
    except httpx.TimeoutException:
        raise UpstreamTimeout("the stream stalled") from None
    except httpx.HTTPError as err:
        raise UpstreamError(f"the stream broke off: {_reason(err)}") from None


async def read_json(response: httpx.Response) -> Any:
    """Read a whole JSON body of at most :data:`MAX_BODY_BYTES`."""
    parts: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise BadResponseError(f"the answer is larger than {_over_bound()}")
            parts.append(chunk)
    except httpx.TimeoutException:
        raise UpstreamTimeout("the answer stalled") from None
    except httpx.HTTPError as err:
        raise UpstreamError(f"the answer broke off: {_reason(err)}") from None
    return _parsed(b"".join(parts), response)


def _parsed(raw: str | bytes, response: httpx.Response) -> Any:
    """:func:`parse_json`, its failure naming where the answer came from."""
    try:
        return parse_json(raw)
    except BadResponseError as err:
        raise BadResponseError(f"{_where(response)} answered {err}") from None


def _where(response: httpx.Response) -> str:
    """The host and path an answer came from, for messages (never the query: it may hold a
    secret)."""
    return f"{response.request.url.host}{response.request.url.path}"


def _over_bound() -> str:
    """What an answer over :data:`MAX_BODY_BYTES` is larger than, and the likely cause."""
    return f"{MAX_BODY_BYTES // (1024 * 1024)} MB (is baseUrl a FIM endpoint?)"


def parse_json(raw: str | bytes) -> Any:
    """Parse JSON or raise :class:`BadResponseError`."""
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        snippet = raw[:80] if isinstance(raw, str) else raw[:80].decode("utf-8", "replace")
        raise BadResponseError(f"not JSON: {snippet!r}") from None


def raise_stream_error(chunk: Mapping[str, Any]) -> None:
    """Some endpoints report failures as an ``error`` object inside a 200 stream."""
    if chunk.get("error") or str(chunk.get("object", "")).lower() == "error":
        what = _describe(chunk.get("error") or chunk)
        raise UpstreamError(f"the endpoint reported: {one_line(what)[:200]}")


def request_url(endpoint: Endpoint) -> str:
    """The URL requests go to. A ``user:password@`` in it becomes HTTP Basic auth, which
    takes the ``Authorization`` header the API key goes in: with a key, the key is what is
    sent, and the user is told once that the URL's credentials are not."""
    url = httpx.URL(endpoint.url)
    if not (endpoint.api_key and url.userinfo):
        return endpoint.url
    log.warning(
        "the user:password in baseUrl is not sent: the API key goes in the Authorization "
        "header that HTTP Basic auth would take"
    )
    return str(url.copy_with(userinfo=b""))


class HttpProvider:
    """What every HTTP provider shares: its URL, key header, pooled client and their closing."""

    def __init__(self, endpoint: Endpoint) -> None:
        self._url = request_url(endpoint)
        self._headers = auth_headers(endpoint.api_key)
        self._client = make_client(endpoint)
        self._proxy = endpoint.proxy
        if endpoint.proxy:
            log.info("requests go through the proxy %s", proxy_host(endpoint.proxy))
        self._told_too_long = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._url!r})"

    def _post(
        self, body: Mapping[str, Any], stream: bool, accept: str | None = None
    ) -> AbstractAsyncContextManager[httpx.Response]:
        """POST ``body`` asking for an event stream or a JSON answer (or ``accept``)."""
        wanted = accept or ("text/event-stream" if stream else "application/json")
        headers = {**self._headers, "Accept": wanted}
        return post(self._client, self._url, body, headers, self._proxy)

    def stream(self, request: FimRequest) -> AsyncIterator[str]:
        """Yield the generated middle as it arrives, at most :func:`answer_limit` characters:
        an endpoint that ignores ``max_tokens`` would otherwise stream without end, each
        character costing memory and early-stop checks."""
        return self._bounded(self._texts(request), request.max_tokens)

    def _texts(self, request: FimRequest) -> AsyncIterator[str]:
        """The answer's text deltas, as the wire format carries them."""
        raise NotImplementedError

    async def _bounded(self, texts: AsyncIterator[str], max_tokens: int) -> AsyncIterator[str]:
        """``texts`` up to the bound, then :class:`AnswerTooLong`."""
        left = limit = answer_limit(max_tokens)
        try:
            async for text in texts:
                if len(text) > left:
                    if left:
                        yield text[:left]
                    raise self._too_long(limit, max_tokens)
                left -= len(text)
                yield text
        finally:
            # Closed at its ``yield``, inside :func:`post`: the response is closed unread.
            await texts.aclose()  # type: ignore[attr-defined]

    def _too_long(self, limit: int, max_tokens: int) -> AnswerTooLong:
        """The cut, told in the log once per provider (it recurs at every keystroke)."""
        err = AnswerTooLong(
            f"{self._url} sent more than {limit} characters for max_tokens {max_tokens}: it "
            "ignores max_tokens, so its answers are cut there"
        )
        log.log(logging.DEBUG if self._told_too_long else logging.WARNING, "%s", err)
        self._told_too_long = True
        return err

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self._client.aclose()
