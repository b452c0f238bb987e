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
    └── BadResponseError   an answer that is not the wire format
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol


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


class Provider(Protocol):
    """An endpoint that streams the middle of a FIM request."""

    def stream(self, request: FimRequest) -> AsyncIterator[str]:
        """Yield text deltas; closing the iterator aborts the HTTP call."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Plain values a provider is built from."""

    wire: str
    base_url: str
    api_key: str = field(repr=False)
    connect_timeout: float = 2.0
    read_timeout: float = 5.0


def create(endpoint: Endpoint) -> Provider:
    """Build the provider for a wire format (imported lazily: httpx costs start-up time)."""
    if endpoint.wire == "mistral":
        from codestral_lsp.providers.mistral import MistralFim

        return MistralFim(endpoint)
    raise ValueError(f"no provider speaks the {endpoint.wire!r} wire format yet")
