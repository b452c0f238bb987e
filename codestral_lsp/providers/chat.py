"""OpenAI-style chat completions used for FIM (``POST {baseUrl}/chat/completions``): AI/ML API
serving ``mistralai/codestral-2501``, or any chat-only gateway.

The answer is collected whole and cut down by :func:`holefill.extract`: whether a fence or a
sentence comes first is only known once the answer is in, and an autocomplete answer is short.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from codestral_lsp.providers import AnswerCut, FimRequest
from codestral_lsp.providers._http import (
    HttpProvider,
)
from codestral_lsp.providers.holefill import extract, messages
from codestral_lsp.providers.mistral import choice_texts, message_text


def chat_body(request: FimRequest) -> dict[str, Any]:
    """The request body. Stop sequences are not sent: a chat answer may open with a fence or a
    sentence that a code-oriented stop would cut before the code arrives."""
    body: dict[str, Any] = {
        "model": request.model,
        "messages": messages(request.prompt, request.suffix, request.path),
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "stream": request.stream,
    }
    if request.random_seed is not None:
        body["seed"] = request.random_seed
    return body


def before_stop(code: str, stops: Sequence[str]) -> str:
    """``code`` up to the first of the stop sequences in it: the endpoint is sent none (see
    :func:`chat_body`), so the user's ``stop`` setting applies to the code taken out of the
    answer."""
    ends = [found for stop in stops if stop and (found := code.find(stop)) >= 0]
    return code[: min(ends)] if ends else code


class ChatCompletions(HttpProvider):
    """Provider for chat completions with a hole-filling prompt, JSON and SSE."""

    async def stream(self, request: FimRequest) -> AsyncIterator[str]:
        """Yield the extracted code once the whole answer is in. The raw answer is what is
        bounded, as it is collected (its wrapping is well within the bound's slack): the code
        cut from it is shorter still."""
        parts: list[str] = []
        cut: AnswerCut | None = None
        deltas = self._bounded(self._deltas(request), request.max_tokens)
        try:
            async for delta in deltas:
                parts.append(delta)
        except AnswerCut as err:
            cut = err
        code = before_stop(extract("".join(parts), request.prompt), request.stop)
        if code:
            yield code
        if cut is not None:
            raise cut

    async def _deltas(self, request: FimRequest) -> AsyncIterator[str]:
        """The answer's text as it arrives; :class:`AnswerCut` after it when it reached
        ``max_tokens``."""
        async with self._post(chat_body(request), request.stream) as response:
            async for text in choice_texts(response, request.stream, message_text):
                yield text
