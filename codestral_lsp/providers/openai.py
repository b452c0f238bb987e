"""OpenAI-style text completions with ``suffix`` (``POST {baseUrl}/completions``): a LiteLLM
proxy in front of Codestral, DeepSeek's beta endpoint, Ollama's ``/v1``, vLLM.

vLLM answers 400 "suffix is not currently supported". On that answer the provider switches,
for its lifetime, to the raw Codestral FIM template (the model's own control tokens in the
prompt, no ``suffix`` field) and repeats the request, so vLLM works with no extra setting.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

from codestral_lsp.providers import BadRequestError, BadResponseError, Endpoint, FimRequest
from codestral_lsp.providers._http import (
    HttpProvider,
)
from codestral_lsp.providers.mistral import choice_texts
from codestral_lsp.providers.ollama import fim_suffix

log = logging.getLogger(__name__)

# Control tokens of Codestral's FIM template; stop on them so a raw-mode answer never runs on.
RAW_STOPS = ("[PREFIX]", "[SUFFIX]")


def raw_prompt(prefix: str, suffix: str) -> str:
    """Codestral's FIM template, for servers that take only a prompt: suffix first. Without
    its ``<s>``: such a server (vLLM) adds the start of sequence itself, and a literal one
    would make it two."""
    return f"[SUFFIX]{suffix}[PREFIX]{prefix}"


def completions_body(request: FimRequest, raw: bool = False) -> dict[str, Any]:
    """The request body: only fields every OpenAI-compatible server accepts, never ``null``."""
    stop = list(request.stop)
    body: dict[str, Any] = {"model": request.model}
    if raw:
        body["prompt"] = raw_prompt(request.prompt, request.suffix)
        stop += [s for s in RAW_STOPS if s not in stop]
    else:
        body["prompt"] = request.prompt
        body["suffix"] = fim_suffix(request.suffix)  # Ollama's OpenAI API: the same templates
    body["max_tokens"] = request.max_tokens
    body["temperature"] = request.temperature
    body["stream"] = request.stream
    if stop:
        body["stop"] = stop
    if request.random_seed is not None:
        body["seed"] = request.random_seed
    return body


def rejects_suffix(err: BadRequestError) -> bool:
    """vLLM's (and similar servers') refusal of the ``suffix`` field."""
    text = err.message.lower()
    return err.status == 400 and "suffix" in text and "not" in text and "support" in text


def choice_text(choice: Mapping[str, Any], _key: str = "") -> str:
    """``choices[i].text`` of a text completion or chunk (whole and streamed alike: the key
    :func:`choice_texts` names is not used)."""
    text = choice.get("text")
    if text is None:
        return ""
    if not isinstance(text, str):
        raise BadResponseError("a choice's 'text' is not a string")
    return text


class OpenAiCompletions(HttpProvider):
    """Provider for ``/completions`` with ``suffix`` (or the raw template), JSON and SSE."""

    def __init__(self, endpoint: Endpoint) -> None:
        super().__init__(endpoint)
        self.raw = False

    def __repr__(self) -> str:
        return f"OpenAiCompletions({self._url!r}, raw={self.raw})"

    async def _texts(self, request: FimRequest) -> AsyncIterator[str]:
        """Yield the generated middle as it arrives."""
        if not self.raw:
            try:
                async for text in self._call(request, raw=False):
                    yield text
                return
            except BadRequestError as err:
                if not rejects_suffix(err):
                    raise
                log.info("%s does not take 'suffix'; using the raw FIM template", self._url)
                self.raw = True
        async for text in self._call(request, raw=True):
            yield text

    async def _call(self, request: FimRequest, raw: bool) -> AsyncIterator[str]:
        body = completions_body(request, raw)
        async with self._post(body, request.stream) as response:
            async for text in choice_texts(response, request.stream, choice_text):
                yield text
