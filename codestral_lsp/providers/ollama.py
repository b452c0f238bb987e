"""Ollama's native generate API (``POST {baseUrl}/api/generate`` with ``suffix``): the model's
own FIM template is applied by Ollama; the stream is newline-delimited JSON, not SSE."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from codestral_lsp.providers import AnswerCut, BadResponseError, FimRequest, UpstreamError
from codestral_lsp.providers._http import (
    HttpProvider,
    ndjson,
    raise_stream_error,
    read_json,
)


def generate_body(request: FimRequest) -> dict[str, Any]:
    """The request body; sampling settings go under ``options`` as Ollama expects."""
    options: dict[str, Any] = {
        "temperature": request.temperature,
        "num_predict": request.max_tokens,
    }
    if request.stop:
        options["stop"] = list(request.stop)
    if request.random_seed is not None:
        options["seed"] = request.random_seed
    return {
        "model": request.model,
        "prompt": request.prompt,
        "suffix": fim_suffix(request.suffix),
        "stream": request.stream,
        "options": options,
    }


def fim_suffix(suffix: str) -> str:
    """The suffix to send: never empty. Ollama's templates fill in the middle only when there is
    a suffix (``{{- if .Suffix }}``); with ``""`` (the cursor at the end of a file) Codestral's
    gets the instruction template and answers as a chat (ollama/ollama#6932). A line break is
    what follows the last line of a file anyway."""
    return suffix or "\n"


def response_text(chunk: Any) -> tuple[str, bool]:
    """The text of one answer object and whether it is the last one."""
    if not isinstance(chunk, Mapping):
        raise BadResponseError("the answer is not a JSON object")
    raise_stream_error(chunk)
    text = chunk.get("response", "")
    if not isinstance(text, str):
        raise BadResponseError("'response' is not a string")
    return text, bool(chunk.get("done"))


def check_cut(chunk: Mapping[str, Any]) -> None:
    """Raise :class:`AnswerCut` when the last object says ``num_predict`` ran out."""
    if chunk.get("done_reason") == "length":
        raise AnswerCut


class OllamaGenerate(HttpProvider):
    """Provider for Ollama's ``/api/generate``, JSON and NDJSON."""

    async def _texts(self, request: FimRequest) -> AsyncIterator[str]:
        """Yield the generated middle as it arrives."""
        async with self._post(
            generate_body(request), request.stream, "application/x-ndjson, application/json"
        ) as response:
            if not request.stream:
                whole = await read_json(response)
                text, _ = response_text(whole)
                if text:
                    yield text
                check_cut(whole)
                return
            async for chunk in ndjson(response):
                text, done = response_text(chunk)
                if text:
                    yield text
                if done:
                    check_cut(chunk)
                    return
        raise UpstreamError("the stream ended before its 'done' line")
