"""Invoked triggers get up to 3 distinct candidates (distinct seeds, warmer), deduplicated;
automatic triggers get one upstream call and one item."""

from __future__ import annotations

import asyncio

from conftest import inline, insert_text, open_doc, start_neovim
from fake_fim import FakeFim, Received, Reply
from pytest_lsp import LanguageClient

from codestral_lsp.candidates import CANDIDATE_TEMPERATURE, distinct, variants
from codestral_lsp.providers import FimRequest

URI = "file:///work/project/calc.py"
BY_SEED = {None: "a + b", 1: "a - b", 2: "a + b"}


def by_seed(received: Received) -> Reply:
    return Reply(text=BY_SEED[received.body.get("random_seed")])


def test_variants_have_distinct_seeds_and_warmer_sampling() -> None:
    base = FimRequest(prompt="p", suffix="s", model="m", max_tokens=8, temperature=0.0)
    found = variants(base, 2)
    assert [r.random_seed for r in found] == [1, 2]
    assert {r.temperature for r in found} == {CANDIDATE_TEMPERATURE}
    hot = FimRequest(prompt="p", suffix="s", model="m", max_tokens=8, temperature=0.9)
    assert {r.temperature for r in variants(hot, 2)} == {0.9}


def test_distinct_drops_empty_and_duplicates_keeping_order() -> None:
    assert distinct("a + b", ["a - b", " a + b ", "", "a - b"]) == ["a + b", "a - b"]
    assert distinct("", ["x"]) == ["x"]


async def test_invoked_returns_distinct_candidates(bare: LanguageClient) -> None:
    with FakeFim(by_seed) as fake:
        await start_neovim(bare, fake)
        open_doc(bare, URI, "def sub(a, b):\n    return \n")
        items = await inline(bare, URI, 1, 11)
        assert [insert_text(i) for i in items] == ["a + b", "a - b"]
        seeds = sorted(str(r.body.get("random_seed")) for r in fake.requests)
        assert seeds == ["1", "2", "None"]
        warm = [r.body["temperature"] for r in fake.requests if "random_seed" in r.body]
        assert warm == [CANDIDATE_TEMPERATURE, CANDIDATE_TEMPERATURE]


async def test_automatic_trigger_makes_one_call(bare: LanguageClient) -> None:
    with FakeFim(by_seed) as fake:
        await start_neovim(bare, fake, debounceMs=0)
        open_doc(bare, URI, "def sub(a, b):\n    return \n")
        items = await inline(bare, URI, 1, 11, invoked=False)
        assert [insert_text(i) for i in items] == ["a + b"]
        await asyncio.sleep(0.2)
        assert len(fake.requests) == 1


async def test_extras_refused_by_a_rate_limit_are_asked_no_more(bare: LanguageClient) -> None:
    """An endpoint allowing one call at a time (a free tier): the extras' 429s would only make
    the next keystroke's own call meet the limit."""

    def one_per_request(received: Received) -> Reply:
        if "random_seed" in received.body:
            return Reply(status=429, body='{"message": "Requests rate limit exceeded"}')
        return Reply(text="a + b")

    with FakeFim(one_per_request) as fake:
        await start_neovim(bare, fake)
        open_doc(bare, URI, "def sub(a, b):\n    return \n")
        assert [insert_text(i) for i in await inline(bare, URI, 1, 11)] == ["a + b"]
        assert len(fake.requests) == 3
        open_doc(bare, "file:///work/project/other.py", "def add(a, b):\n    return \n")
        items = await inline(bare, "file:///work/project/other.py", 1, 11)
        assert [insert_text(i) for i in items] == ["a + b"]
        assert len(fake.requests) == 4  # the second invoked request asked once
        told = [m.message for m in bare.log_messages if "extra candidates" in m.message]
        assert len(told) == 1 and "invokedCandidates" in told[0]


async def test_one_candidate_setting(bare: LanguageClient) -> None:
    with FakeFim(by_seed) as fake:
        await start_neovim(bare, fake, invokedCandidates=1)
        open_doc(bare, URI, "def sub(a, b):\n    return \n")
        items = await inline(bare, URI, 1, 11)
        assert [insert_text(i) for i in items] == ["a + b"]
        assert len(fake.requests) == 1


async def test_a_lone_semicolon_is_shown_only_when_asked(bare: LanguageClient) -> None:
    """A tiny answer is noise as ghost text nobody asked for, but what the model said when the
    user invoked completion (it used to be dropped both times)."""
    with FakeFim(Reply(text=";")) as fake:
        await start_neovim(bare, fake, debounceMs=0, invokedCandidates=1)
        uri = "file:///work/project/main.c"
        open_doc(bare, uri, "int f(void) {\n    return 0\n}\n", language="c")
        assert await inline(bare, uri, 1, 12, invoked=False) == []
        items = await inline(bare, uri, 1, 12)
        assert [insert_text(i) for i in items] == [";"]
        assert len(fake.requests) == 2
