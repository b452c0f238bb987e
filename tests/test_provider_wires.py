"""Contract tests of every wire format against a real HTTP server on 127.0.0.1.

For each format: the request the provider sends (path, headers, body fields, nothing the API
does not know, never ``null``), the completion it returns streamed and not, and how each
documented error body becomes a typed error.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fake_fim import FakeFim, Reply
from fake_wires import FIELDS, PATHS, FakeWire

from codestral_lsp.providers import (
    AnswerCut,
    AnswerTooLong,
    AuthError,
    BadRequestError,
    BadResponseError,
    Endpoint,
    FimRequest,
    Provider,
    ProviderError,
    RateLimitError,
    UpstreamError,
    _http,
    create,
)
from codestral_lsp.providers._http import answer_limit, body_lines
from codestral_lsp.providers.holefill import extract

WIRES = ("mistral", "openai", "chat", "ollama", "llamacpp")
KEY = "sk-test-0123456789abcd"
PREFIX = "def add(a, b):\n    return "
SUFFIX = "\n\nprint(add(1, 2))\n"
MIDDLE = "a + b"


def request(stream: bool = True, **extra: Any) -> FimRequest:
    return FimRequest(
        prompt=PREFIX,
        suffix=SUFFIX,
        model="codestral-latest",
        max_tokens=32,
        stream=stream,
        **extra,
    )


# The most text an answer to ``request()`` may hold.
LIMIT = answer_limit(request().max_tokens)


@pytest.fixture(params=WIRES)
def wire(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fake(wire: str) -> Iterator[FakeWire]:
    with FakeWire(wire, Reply(text=MIDDLE), keys={KEY}) as server:
        yield server


async def collect(provider: Provider, req: FimRequest) -> str:
    try:
        return "".join([delta async for delta in provider.stream(req)])
    finally:
        await provider.aclose()


def provider_for(fake: FakeWire, key: str = KEY) -> Provider:
    return create(Endpoint(fake.wire, fake.url, key))


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
async def test_completion_and_request_shape(fake: FakeWire, stream: bool) -> None:
    assert await collect(provider_for(fake), request(stream)) == MIDDLE
    [sent] = fake.completions
    assert sent.path == PATHS[fake.wire]
    assert sent.headers["Authorization"] == f"Bearer {KEY}"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["User-Agent"].startswith("codestral-lsp/")
    assert set(sent.body) <= FIELDS[fake.wire]
    assert None not in sent.body.values()
    assert sent.body["stream"] is stream


async def test_mistral_body() -> None:
    req = request(stop=("\n\n",), prompt_cache_key="ck", random_seed=7, min_tokens=1)
    with FakeWire("mistral", Reply(text=MIDDLE)) as fake:
        assert await collect(provider_for(fake), req) == MIDDLE
    assert fake.completions[0].body == {
        "model": "codestral-latest",
        "prompt": PREFIX,
        "suffix": SUFFIX,
        "max_tokens": 32,
        "temperature": 0.0,
        "stream": True,
        "stop": ["\n\n"],
        "prompt_cache_key": "ck",
        "random_seed": 7,
        "min_tokens": 1,
    }


async def test_openai_body_leaves_out_mistral_only_fields() -> None:
    req = request(stop=("\n\n",), prompt_cache_key="ck", random_seed=7, min_tokens=1)
    with FakeWire("openai", Reply(text=MIDDLE)) as fake:
        assert await collect(provider_for(fake), req) == MIDDLE
    assert fake.completions[0].body == {
        "model": "codestral-latest",
        "prompt": PREFIX,
        "suffix": SUFFIX,
        "max_tokens": 32,
        "temperature": 0.0,
        "stream": True,
        "stop": ["\n\n"],
        "seed": 7,
    }


async def test_chat_body_carries_the_file_with_a_hole() -> None:
    req = request(stop=("\n\n",), prompt_cache_key="ck", path="/src/add.py")
    with FakeWire("chat", Reply(text=MIDDLE)) as fake:
        assert await collect(provider_for(fake), req) == MIDDLE
    body = fake.completions[0].body
    assert set(body) == {"model", "messages", "max_tokens", "temperature", "stream"}
    assert body["max_tokens"] == 32  # the engine's default has room for wrapping, not a bound
    system, user = body["messages"]
    assert system["role"] == "system" and "no code fences" in system["content"]
    assert user["role"] == "user"
    assert f"{PREFIX}<FILL_HERE>{SUFFIX}" in user["content"]
    assert "/src/add.py" in user["content"]


async def test_chat_answers_stop_where_the_stop_setting_says() -> None:
    # The chat endpoint is sent no stops (they could cut a fence or a sentence before the
    # code): the code taken out of the answer ends at the first one.
    with FakeWire("chat", Reply(text="```python\na + b\n```")) as fake:
        assert await collect(provider_for(fake), request(stop=("+", "\n\n"))) == "a "
    assert "stop" not in fake.completions[0].body


async def test_ollama_body_puts_sampling_under_options() -> None:
    req = request(stop=("\n\n",), prompt_cache_key="ck", random_seed=3)
    with FakeWire("ollama", Reply(text=MIDDLE)) as fake:
        assert await collect(provider_for(fake, ""), req) == MIDDLE
    sent = fake.completions[0]
    assert "Authorization" not in sent.headers
    assert sent.body == {
        "model": "codestral-latest",
        "prompt": PREFIX,
        "suffix": SUFFIX,
        "stream": True,
        "options": {"temperature": 0.0, "num_predict": 32, "stop": ["\n\n"], "seed": 3},
    }


@pytest.mark.parametrize("wire", ["ollama", "openai"])
async def test_the_end_of_a_file_is_still_filled_in_the_middle(wire: str) -> None:
    """Ollama's templates fill in the middle only for a non-empty suffix (ollama/ollama#6932):
    at the end of a file the suffix sent is a line break, on its native and OpenAI APIs."""
    with FakeWire(wire, Reply(text=MIDDLE)) as fake:
        await collect(provider_for(fake, ""), dataclasses.replace(request(), suffix=""))
    assert fake.completions[0].body["suffix"] == "\n"


async def test_llamacpp_body_sends_other_files_as_input_extra() -> None:
    others = (("util.py", "def sub(a, b):\n    return a - b\n"),)
    req = request(other_files=others, prompt_cache_key="ck")
    with FakeWire("llamacpp", Reply(text=MIDDLE)) as fake:
        assert await collect(provider_for(fake, ""), req) == MIDDLE
    assert fake.completions[0].body == {
        "input_prefix": PREFIX,
        "input_suffix": SUFFIX,
        "input_extra": [{"filename": "util.py", "text": others[0][1]}],
        "n_predict": 32,
        "temperature": 0.0,
        "stream": True,
    }


async def test_fake_refuses_unknown_and_null_fields(fake: FakeWire) -> None:
    """The strictness the shape tests rely on: the fake answers 422 like Mistral does."""
    body = {"frequency_penalty": 0.1, "stream": None}
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient() as client:
        response = await client.post(
            fake.url.removesuffix("/v1") + PATHS[fake.wire], json=body, headers=headers
        )
    assert response.status_code == 422
    fields = {item["loc"][1] for item in response.json()["detail"]}
    assert fields == {"frequency_penalty", "stream"}


async def test_wrong_key_is_an_auth_error(fake: FakeWire) -> None:
    with pytest.raises(AuthError) as caught:
        await collect(provider_for(fake, "sk-wrong-key-000000"), request())
    assert caught.value.status == 401
    assert "Unauthorized" in str(caught.value)
    assert "sk-wrong" not in str(caught.value)


ERROR_BODIES: list[tuple[int, dict[str, str], Any, type[ProviderError], str]] = [
    # Mistral 422, the three shapes seen in the field.
    (
        422,
        {},
        {"detail": [{"type": "extra_forbidden", "loc": ["body", "store"], "msg": "Extra inputs"}]},
        BadRequestError,
        "store: Extra inputs",
    ),
    (
        422,
        {},
        {
            "object": "error",
            "message": {
                "detail": [{"loc": ["body", "n"], "msg": "Extra inputs are not permitted"}]
            },
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        },
        BadRequestError,
        "n: Extra inputs are not permitted",
    ),
    (
        422,
        {},
        {
            "object": "Error",
            "detail": [{"loc": ["body", "max_tokens"], "msg": "Input should be a valid integer"}],
            "message": [{"loc": ["body", "max_tokens"], "msg": "Input should be a valid integer"}],
            "type": "invalid_request_error",
            "code": 3001,
        },
        BadRequestError,
        "max_tokens: Input should be a valid integer",
    ),
    # 401, two shapes.
    (401, {}, {"message": "Unauthorized", "request_id": "c61f"}, AuthError, "Unauthorized"),
    (401, {}, {"detail": "Unauthorized"}, AuthError, "Unauthorized"),
    # 429, two shapes, with the two ways of saying when to come back.
    (
        429,
        {"Retry-After": "7"},
        {"message": "Requests rate limit exceeded"},
        RateLimitError,
        "Requests rate limit exceeded",
    ),
    (
        429,
        {"ratelimitbysize-reset": "12"},
        {
            "object": "error",
            "message": "Rate limit exceeded",
            "type": "rate_limited",
            "param": None,
            "code": "1300",
        },
        RateLimitError,
        "Rate limit exceeded",
    ),
    # OpenAI-style (LiteLLM, aimlapi, llama.cpp) and Ollama-style bodies.
    (
        400,
        {},
        {"error": {"message": "Invalid model name", "type": "invalid_request_error", "code": 400}},
        BadRequestError,
        "Invalid model name",
    ),
    (
        404,
        {},
        {"error": 'model "codestral" not found, try pulling it first'},
        BadRequestError,
        "try pulling it first",
    ),
    # A wrong path (``/v1`` missing or doubled) names the settings to look at.
    (404, {}, {"detail": "Not Found"}, BadRequestError, "check baseUrl and model"),
    (503, {}, {"message": "Service unavailable", "type": "server_error"}, UpstreamError, "503"),
    # llama.cpp with a model that has no fill-in-the-middle tokens: no retry will change it.
    (
        501,
        {},
        {"error": {"code": 501, "message": "Infill is not supported by this model"}},
        BadRequestError,
        "Infill is not supported by this model",
    ),
]


@pytest.mark.parametrize(("status", "headers", "body", "kind", "detail"), ERROR_BODIES)
async def test_error_bodies(
    fake: FakeWire,
    status: int,
    headers: dict[str, str],
    body: Any,
    kind: type[ProviderError],
    detail: str,
) -> None:
    fake.answer = Reply(status=status, body=json.dumps(body), headers=headers)
    with pytest.raises(kind) as caught:
        await collect(provider_for(fake), request())
    assert detail in str(caught.value)
    if kind is RateLimitError:
        assert isinstance(caught.value, RateLimitError)
        assert caught.value.retry_after == float(next(iter(headers.values())))


async def test_cut_stream_is_an_upstream_error(fake: FakeWire) -> None:
    fake.answer = Reply(text="a + b and more", cut=True)
    with pytest.raises(UpstreamError):
        await collect(provider_for(fake), request())


async def test_malformed_answer_is_a_bad_response(fake: FakeWire) -> None:
    fake.answer = Reply(malformed=True)
    with pytest.raises(BadResponseError):
        await collect(provider_for(fake), request(stream=False))


@pytest.mark.parametrize("wire", [w for w in WIRES if w != "chat"])  # chat: extracted whole
async def test_streams_arrive_in_pieces(wire: str) -> None:
    text = "a + b\n    # ünïcode and more"
    with FakeWire(wire, Reply(text=text, chunk_chars=3)) as fake:
        provider = provider_for(fake)
        try:
            deltas = [delta async for delta in provider.stream(request())]
        finally:
            await provider.aclose()
    assert len(deltas) > 3
    assert "".join(deltas) == text


async def test_vllm_suffix_refusal_switches_to_the_raw_template() -> None:
    with FakeWire("openai", Reply(text=MIDDLE), rejects_suffix=True) as fake:
        provider = provider_for(fake)
        try:
            first = "".join([d async for d in provider.stream(request())])
            second = "".join([d async for d in provider.stream(request(stream=False))])
        finally:
            await provider.aclose()
    assert first == second == MIDDLE
    refused, raw, later = (r.body for r in fake.completions)
    assert refused["suffix"] == SUFFIX
    for body in (raw, later):
        assert "suffix" not in body
        # No "<s>": vLLM adds the start of sequence itself (add_special_tokens).
        assert body["prompt"] == f"[SUFFIX]{SUFFIX}[PREFIX]{PREFIX}"
        assert body["stop"] == ["[PREFIX]", "[SUFFIX]"]


async def test_other_400s_are_not_retried_raw() -> None:
    body = {"error": {"message": "max_tokens is too large", "type": "invalid_request_error"}}
    with (
        FakeWire("openai", Reply(status=400, body=json.dumps(body))) as fake,
        pytest.raises(BadRequestError, match="max_tokens is too large"),
    ):
        await collect(provider_for(fake), request())
    assert len(fake.completions) == 1


async def test_ollama_error_line_inside_the_stream() -> None:
    """Ollama reports a failure after the 200 as an ``error`` line of the NDJSON stream."""
    lines = [{"response": "a +", "done": False}, {"error": "llama runner process has terminated"}]
    content = "".join(json.dumps(line) + "\n" for line in lines).encode()
    endpoint = Endpoint("ollama", "http://127.0.0.1:11434", "")
    error = "llama runner process has terminated"
    seen = await deltas_before(endpoint, content, "application/x-ndjson", error)
    assert seen == ["a +"]


async def test_llamacpp_error_line_inside_the_stream() -> None:
    """llama.cpp reports a failure after the 200 on an ``error:`` line of its own."""
    failure = {"code": 500, "message": "the request exceeds the available context size"}
    content = (
        f'data: {{"content": "a +", "stop": false}}\n\nerror: {json.dumps(failure)}\n\n'
    ).encode()
    endpoint = Endpoint("llamacpp", "http://127.0.0.1:8080", "")
    seen = await deltas_before(endpoint, content, "text/event-stream", "exceeds the available")
    assert seen == ["a +"]


async def deltas_before(endpoint: Endpoint, content: bytes, kind: str, error: str) -> list[str]:
    """What a provider yields from a 200 answer of ``content`` before the UpstreamError
    saying ``error`` that it must raise."""

    def answer(req: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=content, headers={"Content-Type": kind})

    provider = create(endpoint)
    provider._client = httpx.AsyncClient(transport=httpx.MockTransport(answer))  # type: ignore[attr-defined]
    seen: list[str] = []
    with pytest.raises(UpstreamError, match=error):
        try:
            async for delta in provider.stream(request()):
                seen.append(delta)
        finally:
            await provider.aclose()
    return seen


async def test_a_provider_closed_while_a_request_waited_refuses_it_as_upstream_trouble(
    fake: FakeWire,
) -> None:
    # New settings close the provider; an invoked request's extra candidates may still be
    # waiting for an upstream slot with it. httpx alone raises a bare RuntimeError, which
    # failed the whole editor request with an internal error.
    provider = provider_for(fake)
    await provider.aclose()
    with pytest.raises(ProviderError, match="settings changed"):
        await collect(provider, request(True))
    assert fake.completions == []


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
async def test_answers_one_after_another_share_one_connection(fake: FakeWire, stream: bool) -> None:
    # A connection closed before the answer's end marker was read to its end could not be
    # reused: a new TCP connection (and TLS handshake) for every suggestion.
    provider = provider_for(fake)
    try:
        for _ in range(3):
            assert "".join([delta async for delta in provider.stream(request(stream))]) == MIDDLE
    finally:
        await provider.aclose()
    assert fake.connections == 1


@pytest.mark.parametrize("odd", ["\u2028", "\u2029", "\x85"], ids=["LS", "PS", "NEL"])
async def test_line_separators_inside_the_models_text_are_text(fake: FakeWire, odd: str) -> None:
    # JSON encoders (llama.cpp's, Go's, serde_json) leave these unescaped in strings; only CR
    # and LF end a line of an event stream or of NDJSON.
    fake.answer = Reply(text=f"s = 'a{odd}b'")
    assert await collect(provider_for(fake), request(True)) == f"s = 'a{odd}b'"


class Chunks(httpx.AsyncByteStream):
    """A body arriving in the given pieces."""

    def __init__(self, *parts: bytes) -> None:
        self.parts = parts

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            yield part


async def test_body_lines_end_at_cr_and_lf_only_and_drop_a_byte_order_mark() -> None:
    # Cut inside a CRLF and inside a UTF-8 character; the charset named is not the body's.
    body = Chunks(
        b"\xef\xbb\xbfdata: a\r", b"\ndata: b\xe2\x80", b"\xa8c\rdata: \xc3", b"\xa9\n\nend"
    )
    response = httpx.Response(
        200, headers={"Content-Type": "text/event-stream; charset=iso-8859-1"}, stream=body
    )
    lines = [line async for line in body_lines(response)]
    assert lines == ["data: a", "data: b\u2028c", "data: é", "", "end"]


async def test_a_model_stopping_on_an_error_is_a_broken_stream_not_an_answer() -> None:
    # Mistral's finish_reason "error": the text so far may stop mid-line, so the engine keeps
    # its complete lines and says so, as for a stream that broke off.
    got: list[str] = []
    with FakeFim(Reply(text="total = 0\n    tot", chunk_chars=12, finish="error")) as fake:
        provider = create(Endpoint("mistral", fake.url, KEY))
        with pytest.raises(UpstreamError, match="error"):
            async for delta in provider.stream(request(True)):
                got.append(delta)
        await provider.aclose()
    assert "".join(got) == "total = 0\n    tot"


async def test_an_error_in_a_200_answer_never_carries_the_key() -> None:
    # ProviderError's text travels on to logs and messages; a gateway may echo the key.
    echo = json.dumps({"error": {"message": f"bad key {KEY}"}})
    with FakeFim(Reply(status=200, body=echo)) as fake:
        provider = create(Endpoint("mistral", fake.url, KEY))
        with pytest.raises(UpstreamError) as caught:
            await collect(provider, request(True))
    assert KEY not in str(caught.value) and "bad key ***" in str(caught.value)


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
async def test_an_answer_cut_at_max_tokens_says_so_after_its_text(wire: str, stream: bool) -> None:
    # finish_reason "length" (done_reason, stop_type "limit"): the last line may stop mid-way,
    # which only the provider can tell; the text itself all arrives, on a reusable connection.
    text = "total = 0\n    tot"
    with FakeWire(wire, Reply(text=text, finish="length"), keys={KEY}) as fake:
        provider = provider_for(fake)
        got: list[str] = []
        try:
            for _ in range(2):
                got.clear()
                with pytest.raises(AnswerCut):
                    async for delta in provider.stream(request(stream)):
                        got.append(delta)
        finally:
            await provider.aclose()
        expected = text if wire != "chat" else extract(text, PREFIX)
        assert "".join(got) == expected
        assert fake.connections == 1


async def read(provider: Provider, req: FimRequest) -> tuple[str, ProviderError | None]:
    """The text a request yields and the provider error it ends with."""
    got: list[str] = []
    try:
        async for delta in provider.stream(req):
            got.append(delta)
    except ProviderError as err:
        return "".join(got), err
    return "".join(got), None


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
async def test_text_far_past_max_tokens_is_cut_at_the_bound_on_a_closed_connection(
    wire: str, stream: bool
) -> None:
    text = "total = 0\n" + "a" * (8 * LIMIT)
    with FakeWire(wire, Reply(text=text, chunk_chars=64), keys={KEY}) as fake:
        provider = provider_for(fake)
        try:
            for _ in range(2):
                got, err = await read(provider, request(stream))
                assert isinstance(err, AnswerTooLong)
                assert got == (text[:LIMIT] if wire != "chat" else extract(text[:LIMIT], PREFIX))
        finally:
            await provider.aclose()
        # A stream's rest was never read: its connection was closed, not given back to the
        # pool. A JSON answer (within its own bound) was read whole: its connection serves on.
        assert fake.connections == (2 if stream else 1)


async def test_a_json_answer_of_megabytes_is_a_bad_response_not_read_on(
    wire: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_http, "MAX_BODY_BYTES", 64 * 1024)
    with FakeWire(wire, Reply(text="a" * 256 * 1024), keys={KEY}) as fake:
        provider = provider_for(fake)
        try:
            for _ in range(2):
                got, err = await read(
                    provider, dataclasses.replace(request(False), max_tokens=100_000)
                )
                assert got == ""
                assert isinstance(err, BadResponseError) and "larger than" in str(err)
        finally:
            await provider.aclose()
        assert fake.connections == 2


async def test_one_streamed_line_of_megabytes_is_a_bad_response_not_read_on(
    wire: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One event holding it all: no text can come of it before its line ends.
    monkeypatch.setattr(_http, "MAX_BODY_BYTES", 64 * 1024)
    text = "a" * 256 * 1024
    with FakeWire(wire, Reply(text=text, chunk_chars=len(text)), keys={KEY}) as fake:
        provider = provider_for(fake)
        try:
            got, err = await read(provider, dataclasses.replace(request(True), max_tokens=100_000))
        finally:
            await provider.aclose()
    assert got == ""
    assert isinstance(err, BadResponseError) and "line" in str(err)
