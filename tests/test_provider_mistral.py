"""Mistral FIM provider: request body and headers, JSON and SSE answers, every error kind.

These unit tests use httpx.MockTransport; the end-to-end tests use a real HTTP server.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from codestral_lsp.providers import (
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
from codestral_lsp.providers.mistral import MistralFim

KEY = "sk-unit-test-key-0000"
Handler = Callable[[httpx.Request], httpx.Response]


def provider(handler: Handler) -> MistralFim:
    fim = MistralFim(Endpoint("mistral", "https://codestral.example/v1", KEY))
    fim._client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return fim


def request(**overrides: object) -> FimRequest:
    fields: dict[str, object] = {
        "prompt": "def f(",
        "suffix": "):\n",
        "model": "codestral-latest",
        "max_tokens": 32,
    }
    fields.update(overrides)
    return FimRequest(**fields)  # type: ignore[arg-type]


async def collect(fim: MistralFim, req: FimRequest) -> str:
    return "".join([delta async for delta in fim.stream(req)])


def sse(*events: str) -> httpx.Response:
    body = "".join(f"data: {e}\n\n" for e in events)
    return httpx.Response(200, text=body, headers={"Content-Type": "text/event-stream"})


def chunk(text: str, finish: str | None = None) -> str:
    return json.dumps(
        {
            "id": "1",
            "model": "m",
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}],
        }
    )


async def test_body_has_only_known_fields_and_bearer_key() -> None:
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return sse(chunk("x", "stop"), "[DONE]")

    await collect(provider(handler), request(stop=("\n\n",), prompt_cache_key="k"))

    (req,) = seen
    assert req.url == "https://codestral.example/v1/fim/completions"
    assert req.headers["Authorization"] == f"Bearer {KEY}"
    assert req.headers["Accept"] == "text/event-stream"
    body = json.loads(req.content)
    assert body == {
        "model": "codestral-latest",
        "prompt": "def f(",
        "suffix": "):\n",
        "max_tokens": 32,
        "temperature": 0.0,
        "stream": True,
        "stop": ["\n\n"],
        "prompt_cache_key": "k",
    }


async def test_sse_deltas_joined_and_comments_ignored() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        body = (
            ": ping\n\n"
            f"data: {json.dumps({'id': '1', 'model': 'm', 'choices': [{'index': 0, 'delta': {'role': 'assistant', 'content': ''}, 'finish_reason': None}]})}\n\n"  # noqa: E501
            f"data:{chunk('a, ')}\n\n"
            f"data: {chunk('b', 'stop')}\n\n"
            "data: [DONE]\n\n"
        )
        return httpx.Response(200, text=body)

    assert await collect(provider(handler), request()) == "a, b"


async def test_json_answer_with_content_chunks() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        assert json.loads(req.content)["stream"] is False
        content = [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]
        return httpx.Response(200, json={"choices": [{"message": {"content": content}}]})

    assert await collect(provider(handler), request(stream=False)) == "ab"


@pytest.mark.parametrize("text", [7, None, {"x": 1}], ids=["number", "null", "object"])
async def test_a_content_chunk_whose_text_is_no_string(text: object) -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        content = [{"type": "text", "text": "a"}, {"type": "text", "text": text}]
        return httpx.Response(200, json={"choices": [{"message": {"content": content}}]})

    if text is None:  # no text in a chunk: it adds nothing
        assert await collect(provider(handler), request(stream=False)) == "a"
        return
    with pytest.raises(BadResponseError, match="content chunk"):
        await collect(provider(handler), request(stream=False))


async def test_a_huge_error_page_is_described_from_its_head() -> None:
    read: list[int] = []

    async def page() -> AsyncIterator[bytes]:
        yield b"<html><head><title>Gateway exploded</title></head><body>"
        for _ in range(1000):  # 64 MB, were it all read
            read.append(1)
            yield b"x" * 65536

    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(502, content=page(), headers={"Content-Type": "text/html"})

    with pytest.raises(UpstreamError, match="Gateway exploded"):
        await collect(provider(handler), request())
    assert len(read) <= 2


def status(code: int, body: str, headers: dict[str, str] | None = None) -> Handler:
    return lambda req: httpx.Response(code, text=body, headers=headers or {})


@pytest.mark.parametrize(
    ("handler", "error", "detail"),
    [
        pytest.param(
            status(401, '{"message":"Unauthorized","request_id":"x"}'),
            AuthError,
            "Unauthorized",
            id="401-message",
        ),
        pytest.param(
            status(401, '{"detail":"Unauthorized"}'), AuthError, "Unauthorized", id="401-detail"
        ),
        pytest.param(status(403, "Forbidden"), AuthError, "Forbidden", id="403-text"),
        pytest.param(
            status(
                422,
                '{"detail":[{"type":"extra_forbidden","loc":["body","store"],'
                '"msg":"Extra inputs are not permitted","input":false}]}',
            ),
            BadRequestError,
            "store: Extra inputs are not permitted",
            id="422-detail",
        ),
        pytest.param(
            status(
                422,
                '{"object":"error","message":{"detail":[{"loc":["body","n"],'
                '"msg":"Extra inputs are not permitted"}]},'
                '"type":"invalid_request_error","param":null,"code":null}',
            ),
            BadRequestError,
            "n: Extra inputs",
            id="422-nested",
        ),
        pytest.param(
            status(
                422,
                '{"object":"Error","detail":[{"loc":["body","model"],"msg":"bad"}],'
                '"message":[],"type":"invalid_request_error","code":3001}',
            ),
            BadRequestError,
            "model: bad",
            id="422-object-error",
        ),
        pytest.param(status(500, "oops"), UpstreamError, "oops", id="500"),
        pytest.param(
            status(200, "{not json"),
            BadResponseError,
            "/v1/fim/completions answered not JSON",
            id="malformed",
        ),
        pytest.param(
            status(200, '{"choices": "x"}'), BadResponseError, "choices", id="wrong-shape"
        ),
    ],
)
async def test_errors_are_typed(handler: Handler, error: type[ProviderError], detail: str) -> None:
    with pytest.raises(error) as caught:
        await collect(provider(handler), request(stream=False))
    assert detail in str(caught.value)
    assert KEY not in str(caught.value)


@pytest.mark.parametrize(
    ("headers", "body", "retry_after"),
    [
        pytest.param(
            {"Retry-After": "7"}, '{"message":"Requests rate limit exceeded"}', 7.0, id="seconds"
        ),
        pytest.param(
            {},
            '{"object":"error","message":"Rate limit exceeded","type":"rate_limited",'
            '"param":null,"code":"1300"}',
            None,
            id="no-header",
        ),
        pytest.param({"x-ratelimit-reset-requests": "3"}, "{}", 3.0, id="reset-header"),
        pytest.param({"Retry-After": "soon"}, "{}", None, id="not-a-number-nor-a-date"),
        pytest.param({"Retry-After": "Mon, 99 Foo 2025"}, "{}", None, id="broken-date"),
        pytest.param({"Retry-After": "-5"}, "{}", None, id="negative"),
        pytest.param({"Retry-After": "nan"}, "{}", None, id="nan"),
        pytest.param({"Retry-After": "1e12"}, "{}", 300.0, id="hours-capped"),
        pytest.param({"Retry-After": "inf"}, "{}", 300.0, id="inf-capped"),
        pytest.param(
            {"Retry-After": "Thu, 01 Jan 2099 00:00:00 GMT"}, "{}", 300.0, id="far-date-capped"
        ),
    ],
)
async def test_rate_limit_carries_retry_after(
    headers: dict[str, str], body: str, retry_after: float | None
) -> None:
    with pytest.raises(RateLimitError) as caught:
        await collect(provider(status(429, body, headers)), request())
    assert caught.value.retry_after == retry_after


async def test_timeout_and_connection_errors_are_typed() -> None:
    def slow(req: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=req)

    def refused(req: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=req)

    with pytest.raises(UpstreamTimeout):
        await collect(provider(slow), request())
    with pytest.raises(ConnectError, match="Connection refused"):
        await collect(provider(refused), request())


async def test_stream_without_done_is_an_error() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=f"data: {chunk('par')}\n\n")

    with pytest.raises(UpstreamError, match="DONE"):
        await collect(provider(handler), request())


async def test_error_object_inside_stream() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        return sse(json.dumps({"error": {"message": "overloaded"}}))

    with pytest.raises(UpstreamError, match="overloaded"):
        await collect(provider(handler), request())


def test_repr_hides_key() -> None:
    fim = MistralFim(Endpoint("mistral", "https://x/v1", KEY))
    assert KEY not in repr(fim)
    assert KEY not in repr(Endpoint("mistral", "https://x/v1", KEY))


async def test_a_json_answer_to_a_stream_request_is_read_whole() -> None:
    """A gateway that ignores ``stream`` (or reports an error with a 200) answers JSON."""

    def answer(req: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"choices": [{"message": {"content": "ab"}}]})

    def overloaded(req: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"object": "error", "message": "Service overloaded"})

    assert await collect(provider(answer), request()) == "ab"
    with pytest.raises(UpstreamError, match="Service overloaded"):
        await collect(provider(overloaded), request())


async def test_a_page_instead_of_a_stream_is_named() -> None:
    page = "/v1/fim/completions sent no event stream but text/html"
    with pytest.raises(BadResponseError, match=page):
        await collect(
            provider(status(200, "<html>hi</html>", {"Content-Type": "text/html"})), request()
        )


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        pytest.param(
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
            "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n",
            "HTTP 502 from codestral.example/v1/fim/completions: 502 Bad Gateway",
            id="nginx-page",
        ),
        pytest.param(
            '{"message": "line one\\nline two\\n  line three"}',
            "HTTP 502 from codestral.example/v1/fim/completions: line one line two line three",
            id="json-lines",
        ),
    ],
)
async def test_error_details_are_one_line(body: str, detail: str) -> None:
    with pytest.raises(UpstreamError) as caught:
        await collect(provider(status(502, body)), request())
    assert str(caught.value) == detail
