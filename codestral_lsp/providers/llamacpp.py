"""llama.cpp server's infill API (``POST {baseUrl}/infill``): prefix, suffix and other open
files as ``input_extra``; the server applies the model's FIM (and repo-level) template. The
stream is SSE without a ``[DONE]`` line: the last event says ``"stop": true``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from codestral_lsp.providers import AnswerCut, BadResponseError, FimRequest, UpstreamError
from codestral_lsp.providers._http import (
    HttpProvider,
    raise_stream_error,
    read_json,
    sse_data,
    whole_answer,
)
from codestral_lsp.providers._http import parse_json as _parse


def infill_body(request: FimRequest) -> dict[str, Any]:
    """The request body; other files become ``input_extra`` chunks the model sees first."""
    body: dict[str, Any] = {
        "input_prefix": request.prompt,
        "input_suffix": request.suffix,
        "input_extra": [{"filename": name, "text": text} for name, text in request.other_files],
        "n_predict": request.max_tokens,
        "temperature": request.temperature,
        "stream": request.stream,
    }
    if request.stop:
        body["stop"] = list(request.stop)
    if request.random_seed is not None:
        body["seed"] = request.random_seed
    return body


def content(chunk: Any) -> tuple[str, bool]:
    """The text of one result object and whether generation stopped there."""
    if not isinstance(chunk, Mapping):
        raise BadResponseError("the answer is not a JSON object")
    raise_stream_error(chunk)
    text = chunk.get("content", "")
    if not isinstance(text, str):
        raise BadResponseError("'content' is not a string")
    return text, bool(chunk.get("stop"))


def check_cut(chunk: Mapping[str, Any]) -> None:
    """Raise :class:`AnswerCut` when the last object says ``n_predict`` ran out."""
    if chunk.get("stop_type") == "limit":
        raise AnswerCut


class LlamaCppInfill(HttpProvider):
    """Provider for llama.cpp's ``/infill``, JSON and SSE."""

    async def _texts(self, request: FimRequest) -> AsyncIterator[str]:
        """Yield the generated middle as it arrives."""
        async with self._post(infill_body(request), request.stream) as response:
            if whole_answer(response, request.stream):
                whole = await read_json(response)
                text, _ = content(whole)
                if text:
                    yield text
                check_cut(whole)
                return
            async for payload in sse_data(response, until_done=False):
                chunk = _parse(payload)
                text, stop = content(chunk)
                if text:
                    yield text
                if stop:
                    check_cut(chunk)
                    return
            raise UpstreamError("the stream ended before its 'stop' event")
