"""Upstream model endpoints: the request every provider takes and the errors every one raises.

A provider turns a :class:`FimRequest` into an async stream of text deltas. It knows nothing
of LSP or of the settings object: it is built from plain values (URL, key, timeouts).

Error tree (httpx exceptions are translated in :mod:`._http` and nowhere else)::

    ProviderError
    ├── AuthError          401/403: the key is missing, wrong, or for the other host
    ├── BadRequestError    400/404/422: the endpoint rejected the request (field-level detail)
    ├── RateLimitError     429: carries ``retry_after`` seconds when the server said
    ├── UpstreamError      5xx or a stream that broke off
    ├── UpstreamTimeout    no answer within the deadline
    ├── ConnectError       connection refused, DNS failure, TLS failure
    ├── BadResponseError   an answer that is not the wire format
    ├── InsecureHttpError  the key would travel over plain HTTP to another machine
    └── AnswerCut          not a failure: the answer reached ``max_tokens`` (raised after it)
        └── AnswerTooLong  the endpoint ran far past ``max_tokens``: the answer is cut there
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit


@dataclass(frozen=True, slots=True)
class FimRequest:
    """One fill-in-the-middle request, independent of wire format."""

    prompt: str
    suffix: str
    model: str
    max_tokens: int
    temperature: float = 0.0
    stop: tuple[str, ...] = ()
    stream: bool = True
    prompt_cache_key: str | None = None
    random_seed: int | None = None
    min_tokens: int | None = None
    path: str = ""
    other_files: tuple[tuple[str, str], ...] = field(default=())


class ProviderError(Exception):
    """Base of every upstream failure; ``str(err)`` is safe to show (never holds the key)."""

    kind = "upstream"

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class AuthError(ProviderError):
    """The endpoint refused the key (HTTP 401 or 403)."""

    kind = "auth"


class BadRequestError(ProviderError):
    """The endpoint rejected the request itself (HTTP 400, 404 or 422)."""

    kind = "bad-request"


class RateLimitError(ProviderError):
    """HTTP 429; ``retry_after`` is in seconds when the server said when to come back."""

    kind = "rate-limit"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message, 429)
        self.retry_after = retry_after


class UpstreamError(ProviderError):
    """HTTP 5xx, or a stream that ended abnormally."""

    kind = "upstream"


class UpstreamTimeout(ProviderError):
    """No (complete) answer in time."""

    kind = "timeout"


class ConnectError(ProviderError):
    """The endpoint could not be reached at all."""

    kind = "connect"


class BadResponseError(ProviderError):
    """The endpoint answered with something that is not its wire format."""

    kind = "bad-response"


class InsecureHttpError(ProviderError):
    """The key would be sent over plain HTTP to a host that is not this machine."""

    kind = "insecure-http"


class AnswerCut(ProviderError):
    """Not a failure: the model stopped at ``max_tokens``, so the last line of what it yielded
    may stop mid-way. Raised after the answer's text, with the connection left reusable."""

    kind = "length"

    def __init__(self, message: str = "the answer reached max_tokens") -> None:
        super().__init__(message)


class AnswerTooLong(AnswerCut):
    """The endpoint sent far more text than ``max_tokens`` allows (it ignores the limit): the
    answer is cut there, like one that reached ``max_tokens``, since its first lines are as
    good as any cut answer's. Raised after the text that fits, with the connection closed:
    the rest is never read, however much of it there is."""

    kind = "too-long"


class Provider(Protocol):
    """An endpoint that streams the middle of a FIM request."""

    def stream(self, request: FimRequest) -> AsyncIterator[str]:
        """Yield text deltas; closing the iterator aborts the HTTP call."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


# Room for what a chat model wraps around the code (a fence, a short sentence), added to the
# engine's own token budget for the chat wire (not to a user's maxTokens, which is a bound).
WRAPPING_TOKENS = 32

# The path each wire format posts to, below the base URL.
WIRE_PATHS: dict[str, str] = {
    "mistral": "/fim/completions",
    "openai": "/completions",
    "chat": "/chat/completions",
    "ollama": "/api/generate",
    "llamacpp": "/infill",
}


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Plain values a provider is built from."""

    wire: str
    base_url: str
    api_key: str = field(repr=False)
    connect_timeout: float = 2.0
    read_timeout: float = 5.0
    allow_insecure_http: bool = False
    needs_key: bool = True
    # The proxy URL requests go through (``None``: direct); it may hold a password.
    proxy: str | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The URL completion requests are posted to."""
        parts = urlsplit(self.base_url)  # a query (?api-version=2) stays after the path
        return urlunsplit(parts._replace(path=parts.path.rstrip("/") + WIRE_PATHS[self.wire]))


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_insecure(url: str) -> bool:
    """Plain HTTP to another machine: anyone on the path can read what is sent."""
    return urlsplit(url).scheme == "http" and not is_loopback(url)


def guard_key(endpoint: Endpoint) -> Endpoint:
    """Refuse to send a key over plain HTTP to another machine unless the user opted in.

    A keyless preset (a local model server) just drops a key it does not need, so a
    ``CODESTRAL_API_KEY`` in the environment never leaks to a LAN server; a preset that needs
    the key raises :class:`InsecureHttpError`, naming the setting that allows it.
    """
    if not endpoint.api_key or endpoint.allow_insecure_http or not is_insecure(endpoint.base_url):
        return endpoint
    if not endpoint.needs_key:
        return dataclasses.replace(endpoint, api_key="")
    host = urlsplit(endpoint.base_url).hostname
    raise InsecureHttpError(
        f"refusing to send the API key over plain HTTP to {host}: use an https:// baseUrl, "
        "or set codestral.allowInsecureHttp = true (CODESTRAL_ALLOW_INSECURE_HTTP=1) if this "
        "network is trusted"
    )


def create(endpoint: Endpoint) -> Provider:
    """Build the provider for a wire format (imported lazily: httpx costs start-up time).

    Raises :class:`InsecureHttpError` (see :func:`guard_key`) and ``ValueError`` for a wire
    format nobody speaks.
    """
    endpoint = guard_key(endpoint)
    if endpoint.wire == "mistral":
        from codestral_lsp.providers.mistral import MistralFim

        return MistralFim(endpoint)
    if endpoint.wire == "openai":
        from codestral_lsp.providers.openai import OpenAiCompletions

        return OpenAiCompletions(endpoint)
    if endpoint.wire == "chat":
        from codestral_lsp.providers.chat import ChatCompletions

        return ChatCompletions(endpoint)
    if endpoint.wire == "ollama":
        from codestral_lsp.providers.ollama import OllamaGenerate

        return OllamaGenerate(endpoint)
    if endpoint.wire == "llamacpp":
        from codestral_lsp.providers.llamacpp import LlamaCppInfill

        return LlamaCppInfill(endpoint)
    raise ValueError(f"no provider speaks the {endpoint.wire!r} wire format")
