"""Mistral's FIM API (``POST {baseUrl}/fim/completions``): codestral.mistral.ai, api.mistral.ai,
Langdock and any Mistral-shaped gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import httpx

from codestral_lsp.providers import AnswerCut, BadResponseError, FimRequest, UpstreamError
from codestral_lsp.providers._http import (
    HttpProvider,
    raise_stream_error,
    read_json,
    sse_data,
    whole_answer,
)
from codestral_lsp.providers._http import parse_json as _parse


def fim_body(request: FimRequest) -> dict[str, Any]:
    """The request body, field by field: the API answers 422 to any unknown or ``null`` extra."""
    body: dict[str, Any] = {
        "model": request.model,
        "prompt": request.prompt,
        "suffix": request.suffix,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "stream": request.stream,
    }
    if request.stop:
        body["stop"] = list(request.stop)
    if request.prompt_cache_key:
        body["prompt_cache_key"] = request.prompt_cache_key
    if request.random_seed is not None:
        body["random_seed"] = request.random_seed
    if request.min_tokens is not None:
        body["min_tokens"] = request.min_tokens
    return body


def message_text(choice: Mapping[str, Any], key: str) -> str:
    """The text of a choice's ``message``/``delta``: a string, or a list of content chunks."""
    holder = choice.get(key)
    if not isinstance(holder, Mapping):
        raise BadResponseError(f"choice without {key!r}")
    content = holder.get("content")
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(_chunk_text(part) for part in content)
    raise BadResponseError(f"unexpected content type {type(content).__name__}")


def _chunk_text(part: Any) -> str:
    """A content chunk's text: chunks of other kinds (or none) add nothing; a text that is
    not a string is a broken answer, not an internal error."""
    text = part.get("text") if isinstance(part, Mapping) else None
    if text is None or isinstance(text, str):
        return text or ""
    raise BadResponseError(f"a content chunk's text is a {type(text).__name__}")


def first_choice(body: Any) -> Mapping[str, Any] | None:
    """The first choice of a response or chunk, ``None`` when a chunk carries none."""
    if not isinstance(body, Mapping):
        raise BadResponseError("the answer is not a JSON object")
    raise_stream_error(body)
    choices = body.get("choices")
    if not isinstance(choices, list):
        raise BadResponseError("the answer has no 'choices'")
    if not choices:
        return None
    choice = choices[0]
    if not isinstance(choice, Mapping):
        raise BadResponseError("a choice is not an object")
    return choice


# Finish reasons of a model that ran out of tokens (Mistral, OpenAI) or of context (Mistral).
CUT_REASONS = ("length", "model_length")


def ended(choice: Mapping[str, Any]) -> bool:
    """Whether ``choice`` ends the answer. A model that stopped on an error (Mistral's
    ``finish_reason: "error"``) raises: what came may stop mid-line, as in a cut stream. One
    that ran out of tokens raises :class:`AnswerCut`, its text being all there is."""
    reason = choice.get("finish_reason")
    if reason == "error":
        raise UpstreamError("the model stopped on an error")
    if reason in CUT_REASONS:
        raise AnswerCut
    return bool(reason)


async def choice_texts(
    response: httpx.Response, streamed: bool, text_of: Callable[[Mapping[str, Any], str], str]
) -> AsyncIterator[str]:
    """The text of the first choice of an answer in the OpenAI shape (Mistral's FIM and chat,
    OpenAI-compatible completions), whole (``text_of(choice, "message")``) or streamed
    (``text_of(choice, "delta")`` per event, until a choice ends it), with :func:`ended`'s
    errors and :class:`AnswerCut` after it."""
    if whole_answer(response, streamed):
        choice = first_choice(await read_json(response))
        if choice is not None:
            yield text_of(choice, "message")
            ended(choice)
        return
    async for payload in sse_data(response):
        choice = first_choice(_parse(payload))
        if choice is None:
            continue
        text = text_of(choice, "delta")
        if text:
            yield text
        if ended(choice):
            return


class MistralFim(HttpProvider):
    """Provider for the Mistral FIM wire format, JSON and SSE."""

    async def _texts(self, request: FimRequest) -> AsyncIterator[str]:
        """Yield the generated middle as it arrives."""
        async with self._post(fim_body(request), request.stream) as response:
            async for text in choice_texts(response, request.stream, message_text):
                yield text
