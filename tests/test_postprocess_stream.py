"""The post-processing rules run on the stream: once they decide the answer, the server stops
reading and closes the upstream generation instead of paying for the rest."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest_lsp
from conftest import SERVER, inline, insert_text, open_doc, start_neovim
from fake_fim import FakeFim, Reply
from pytest_lsp import LanguageClient

URI = "file:///work/project/box.py"
RUN_ON = "return len(self.items)\n    def clear(self):\n" + "        self.items = []\n" * 60


@pytest_lsp.fixture(config=SERVER)
async def bare(lsp_client: LanguageClient) -> AsyncIterator[LanguageClient]:
    yield lsp_client
    await lsp_client.shutdown_session()


async def test_run_on_stops_the_upstream_stream(bare: LanguageClient) -> None:
    with FakeFim(Reply(text=RUN_ON, chunk_chars=8, chunk_delay=0.02)) as fake:
        await start_neovim(bare, fake, invokedCandidates=1)
        open_doc(bare, URI, "class Box:\n    def size(self):\n        \n")
        items = await inline(bare, URI, 2, 8)
        assert [insert_text(i) for i in items] == ["return len(self.items)"]
        assert await asyncio.to_thread(fake.wait_for, lambda: fake.disconnects == 1)
        assert fake.completed == 0


async def test_a_block_written_in_front_of_code_streams_until_it_balances(
    bare: LanguageClient,
) -> None:
    block = 'if cfg == nil {\n\t\treturn errors.New("no config")\n\t}\n\t'
    with FakeFim(Reply(text=block + "return serve(cfg)\n}", chunk_chars=4)) as fake:
        await start_neovim(bare, fake, invokedCandidates=1)
        uri = "file:///work/project/serve.go"
        open_doc(bare, uri, "func run(cfg *Config) error {\n\treturn serve(cfg)\n}\n", "go")
        items = await inline(bare, uri, 1, 1)
        assert [insert_text(i) for i in items] == [block]


async def test_a_closing_fence_streaming_in_does_not_decide_the_answer(
    bare: LanguageClient,
) -> None:
    # The third chunk ends with "\n``": the line break and backquotes are the closing fence
    # arriving, not a line written in front of ``warn(``.
    fenced = "```typescript\n  console.\n```"
    with FakeFim(Reply(text=fenced, chunk_chars=9)) as fake:
        await start_neovim(bare, fake, invokedCandidates=1)
        uri = "file:///work/project/warn.ts"
        open_doc(bare, uri, "if (quiet) {\n  log(x);\n} else {\n  warn(x);\n}\n", "typescript")
        items = await inline(bare, uri, 3, 2)
        assert [insert_text(i) for i in items] == ["console."]
