"""More than one suggestion for an invoked completion: distinct seeds, warmer sampling, no
duplicates.

An automatic trigger shows one ghost text; when the user asks (an invoked trigger), editors
let them cycle through several. Extra candidates are ordinary FIM calls with a
``random_seed`` each and a slightly higher temperature, run through the same stream stop and
post-processing as the first suggestion.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence

from codestral_lsp.context import Context
from codestral_lsp.postprocess import breaks_line, clean, should_stop, without_torn_line
from codestral_lsp.providers import (
    AnswerCut,
    FimRequest,
    Provider,
    ProviderError,
    RateLimitError,
)

log = logging.getLogger(__name__)

# Warm enough for the seeds to give different answers, cool enough to stay plausible.
CANDIDATE_TEMPERATURE = 0.4


def variants(base: FimRequest, count: int) -> list[FimRequest]:
    """``count`` requests like ``base`` with distinct seeds and at least the candidate
    temperature."""
    warmer = max(base.temperature, CANDIDATE_TEMPERATURE)
    return [
        dataclasses.replace(base, random_seed=seed, temperature=warmer)
        for seed in range(1, count + 1)
    ]


async def generate(provider: Provider, request: FimRequest, ctx: Context, multiline: bool) -> str:
    """One candidate: streamed until the post-processing rules decide it, then cleaned.
    Upstream trouble yields no candidate (the first suggestion's path reports errors), but a
    rate limit is raised: the engine then asks for no more extras."""
    text = ""
    stream = provider.stream(request)
    try:
        async for delta in stream:
            text += delta
            if breaks_line(delta) and should_stop(text, ctx, multiline):
                break
    except AnswerCut:
        text = without_torn_line(text)
    except RateLimitError:
        raise
    except ProviderError as err:
        log.debug("extra candidate failed: %s", err)  # the first suggestion's path reports it
        return ""
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
    return clean(text, ctx, multiline, asked=True)


async def extra(
    provider: Provider,
    base: FimRequest,
    ctx: Context,
    multiline: bool,
    slots: asyncio.Semaphore,
    count: int,
) -> list[str]:
    """``count`` extra candidates' texts, in seed order (empty ones included; see
    :func:`distinct`). Each takes one of the ``slots`` the engine keeps for extras."""

    async def one(request: FimRequest) -> str:
        async with slots:
            return await generate(provider, request, ctx, multiline)

    return list(await asyncio.gather(*(one(req) for req in variants(base, count))))


def distinct(first: str, others: Sequence[str]) -> list[str]:
    """The non-empty candidates, first one first, without duplicates (compared without
    surrounding whitespace)."""
    seen: set[str] = set()
    out: list[str] = []
    for text in (first, *others):
        key = text.strip()
        if key and key not in seen:
            seen.add(key)
            out.append(text)
    return out
