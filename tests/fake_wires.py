"""Real HTTP servers on 127.0.0.1 for every wire format codestral-lsp speaks.

:class:`FakeWire` extends :class:`~tests.fake_fim.FakeFim` (same ``Reply`` knobs, same request
log) with the other formats: OpenAI text completions, OpenAI chat completions, Ollama's
``/api/generate`` (NDJSON) and llama.cpp's ``/infill`` (SSE without ``[DONE]``). Like the real
endpoints it is strict: a wrong path is 404, a field the API does not know (or a ``null``) is
rejected, and with ``keys`` set a wrong bearer token is 401. ``GET {url}/models`` answers 200
for an accepted key and 401 otherwise (key-type detection).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any

from fake_fim import Answer, FakeFim, Received, Reply, _Handler

PATHS = {
    "mistral": "/v1/fim/completions",
    "openai": "/v1/completions",
    "chat": "/v1/chat/completions",
    "ollama": "/api/generate",
    "llamacpp": "/infill",
}

# Fields each API accepts (its schema); anything else is an error, as on the real servers.
FIELDS = {
    "mistral": {
        "model",
        "prompt",
        "suffix",
        "temperature",
        "top_p",
        "max_tokens",
        "min_tokens",
        "stream",
        "stop",
        "random_seed",
        "metadata",
        "prompt_cache_key",
    },
    "openai": {"model", "prompt", "suffix", "max_tokens", "temperature", "top_p", "stop"}
    | {"stream", "seed", "n", "echo", "logprobs", "user"},
    "chat": {"model", "messages", "max_tokens", "temperature", "top_p", "stop", "stream"}
    | {"seed", "n", "user"},
    "ollama": {"model", "prompt", "suffix", "stream", "options", "raw", "keep_alive"}
    | {"format", "system", "template", "images", "think"},
    "llamacpp": {"input_prefix", "input_suffix", "input_extra", "prompt", "n_predict"}
    | {"temperature", "stop", "stream", "seed", "top_k", "top_p", "cache_prompt", "n_indent"},
}

# Langdock's page lists these fields (no ``prompt_cache_key``, no ``metadata``) and one model.
LANGDOCK_FIELDS = FIELDS["mistral"] - {"prompt_cache_key", "metadata"}
LANGDOCK_MODELS = {"codestral-2501"}

VLLM_SUFFIX_ERROR = {
    "object": "error",
    "message": "suffix is not currently supported",
    "type": "BadRequestError",
    "param": None,
    "code": 400,
}


class FakeWire(FakeFim):
    """A fake endpoint of one wire format (``mistral``, ``openai``, ``chat``, ``ollama``,
    ``llamacpp``). ``rejects_suffix`` makes the ``openai`` fake behave like vLLM."""

    def __init__(
        self,
        wire: str,
        answer: Answer | None = None,
        keys: set[str] | None = None,
        rejects_suffix: bool = False,
        fields: set[str] | None = None,
        models: set[str] | None = None,
    ) -> None:
        if wire not in PATHS:
            raise ValueError(wire)
        self.wire = wire
        self.keys = keys
        self.rejects_suffix = rejects_suffix
        # A gateway's own dialect of the wire: the fields it accepts, the models it serves.
        self.fields = FIELDS[wire] if fields is None else fields
        self.models = models
        super().__init__(answer)
        # A short poll interval: stopping the fake waits for one poll, and tests start many.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def handler_base(self) -> type[BaseHTTPRequestHandler]:
        return _WireHandler

    @property
    def url(self) -> str:
        """Base URL in the form the ``baseUrl`` setting takes for this wire format."""
        root = f"http://127.0.0.1:{self.port}"
        return root + "/v1" if PATHS[self.wire].startswith("/v1/") else root

    @property
    def completions(self) -> list[Received]:
        """The POSTed completion requests (probes of ``/models`` left out)."""
        return [r for r in self.requests if r.method == "POST"]


class _WireHandler(_Handler):
    fake: FakeWire

    def do_GET(self) -> None:
        received = Received("GET", self.path, dict(self.headers.items()), {})
        with self.fake._lock:
            self.fake.requests.append(received)
        if self.path != "/v1/models":
            self._send_whole(404, json.dumps({"detail": "Not Found"}), {})
        elif self._key_ok():
            self._send_whole(200, json.dumps({"object": "list", "data": [{"id": "m"}]}), {})
        else:
            self._send_whole(401, json.dumps({"detail": "Unauthorized"}), {})

    def do_POST(self) -> None:
        received = self._received()
        body = received.body
        reply = self.fake.reply_for(received)
        refusal = self._refusal(body)
        if refusal is not None:
            self._send_whole(refusal[0], json.dumps(refusal[1]), {})
            return
        if self._fault(reply):
            return
        if body.get("stream"):
            self._stream_wire(reply)
        else:
            answer = _whole(self.fake.wire, reply.text, reply.finish)
            self._send_whole(200, json.dumps(answer), reply.headers)

    def _key_ok(self) -> bool:
        keys = self.fake.keys
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        return keys is None or token in keys

    def _refusal(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        """What the real server would refuse before generating anything."""
        wire = self.fake.wire
        if self.path != PATHS[wire]:
            return 404, {"detail": "Not Found"}
        if not self._key_ok():
            return 401, {"message": "Unauthorized", "request_id": "fake"}
        extra = sorted(k for k, v in body.items() if k not in self.fake.fields or v is None)
        if extra:
            return 422, {
                "detail": [
                    {
                        "type": "extra_forbidden",
                        "loc": ["body", name],
                        "msg": "Extra inputs are not permitted",
                        "input": body[name],
                    }
                    for name in extra
                ]
            }
        if self.fake.models is not None and body.get("model") not in self.fake.models:
            return 400, {"message": f"Invalid model: {body.get('model')}"}
        if wire == "openai" and self.fake.rejects_suffix and "suffix" in body:
            return 400, VLLM_SUFFIX_ERROR
        return None

    def _stream_wire(self, reply: Reply) -> None:
        wire = self.fake.wire
        ndjson = wire == "ollama"
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson" if ndjson else "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        text, size = reply.text, reply.chunk_chars
        pieces = [text[i : i + size] for i in range(0, len(text), size)]
        events = [_event(wire, piece, False) for piece in pieces]
        if not reply.cut:
            events.extend(_closing(wire, reply.finish))
        try:
            for event in events:
                self._chunk(
                    json.dumps(event, ensure_ascii=False) + "\n"
                    if ndjson
                    else f"data: {json.dumps(event, ensure_ascii=False)}\n\n"
                )
                if reply.chunk_delay and self._wait_or_disconnect(reply.chunk_delay):
                    return
            if not reply.cut and wire != "llamacpp" and not ndjson:
                self._chunk("data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")
            if reply.cut:
                self.close_connection = True
            else:
                self.fake.note_completed()
        except (BrokenPipeError, ConnectionResetError):
            self.fake.note_disconnect()
            self.close_connection = True


# llama.cpp's name for each finish reason.
_LLAMACPP_STOP = {"stop": "eos", "length": "limit"}


def _whole(wire: str, text: str, finish: str) -> dict[str, Any]:
    """A non-streamed answer in the wire format's shape; ``finish`` is ``stop`` or ``length``."""
    if wire == "openai":
        choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": finish}
        return {"id": "cmpl-fake", "object": "text_completion", "model": "m", "choices": [choice]}
    if wire in ("chat", "mistral"):
        message = {"role": "assistant", "content": text}
        choice = {"index": 0, "message": message, "finish_reason": finish}
        return {"id": "fake", "object": "chat.completion", "model": "m", "choices": [choice]}
    if wire == "ollama":
        return {"model": "codestral", "response": text, "done": True, "done_reason": finish}
    return {
        "content": text,
        "stop": True,
        "stop_type": _LLAMACPP_STOP[finish],
        "tokens_predicted": 1,
    }


def _event(wire: str, piece: str, last: bool) -> dict[str, Any]:
    """One streamed event carrying ``piece``."""
    finish = "stop" if last else None
    if wire == "openai":
        choice = {"text": piece, "index": 0, "logprobs": None, "finish_reason": finish}
        return {"id": "cmpl-fake", "object": "text_completion", "choices": [choice]}
    if wire in ("chat", "mistral"):
        choice = {"index": 0, "delta": {"content": piece}, "finish_reason": finish}
        return {"id": "fake", "object": "chat.completion.chunk", "choices": [choice]}
    if wire == "ollama":
        return {"model": "codestral", "response": piece, "done": last}
    return {"content": piece, "stop": last}


def _closing(wire: str, finish: str) -> list[dict[str, Any]]:
    """The events that end a stream properly (before ``[DONE]`` where there is one)."""
    closing = [_event(wire, "", True)]
    if wire in ("openai", "chat", "mistral"):
        closing[0]["choices"][0]["finish_reason"] = finish
    if wire == "ollama":
        closing[0].update(done_reason=finish, eval_count=3)
    if wire == "llamacpp":
        closing[0].update(stop_type=_LLAMACPP_STOP[finish])
    if wire == "chat":
        closing.append({"id": "fake", "choices": [], "usage": {"total_tokens": 3}})
    return closing
