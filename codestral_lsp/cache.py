"""A bounded store of generations, looked up by "does this one continue the cursor?".

Exact-key caching misses the common case (the user typed two characters since the answer
arrived), so lookups scan the few most recent generations of one document and test each with
:meth:`Generation.typed_since`, which also rejects any generation whose prompt window was edited
elsewhere. Bounds: entries per document and in all, and bytes overall; the least recently used
generation goes first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from cachetools import LRUCache

from codestral_lsp.generation import Generation

MAX_BYTES = 4 * 1024 * 1024
MAX_ENTRIES = 256
MAX_PER_DOCUMENT = 24


class GenerationStore:
    """Generations by document, most recent first, bounded in count and bytes."""

    def __init__(
        self,
        max_bytes: int = MAX_BYTES,
        per_document: int = MAX_PER_DOCUMENT,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        # One cachetools LRU bounds both: each entry costs its bytes, but never less than an
        # equal share of the budget, so no more than ``max_entries`` ever fit.
        floor = max_bytes // max_entries
        self._lru: LRUCache[int, Generation] = LRUCache(
            maxsize=max_bytes, getsizeof=lambda gen: max(gen.size, floor)
        )
        self._by_uri: dict[str, list[int]] = {}
        self._per_document = per_document

    def __len__(self) -> int:
        return len(self._lru)

    @property
    def bytes(self) -> int:
        """Budget currently accounted for."""
        return int(self._lru.currsize)

    def add(self, gen: Generation) -> None:
        """Remember a generation (evicting the oldest of its document past the bound)."""
        ids = self._by_uri.setdefault(gen.ctx.uri, [])
        ids.insert(0, gen.id)
        for old in ids[self._per_document :]:
            self._lru.pop(old, None)
        del ids[self._per_document :]
        self._put(gen)

    def resize(self, gen: Generation) -> None:
        """Re-account a generation whose text grew."""
        if gen.id in self._lru:
            self._put(gen)

    def _put(self, gen: Generation) -> None:
        self._lru.pop(gen.id, None)
        # A generation larger than the whole budget is not worth keeping.
        with contextlib.suppress(ValueError):
            self._lru[gen.id] = gen

    def recent(self, uri: str) -> Iterator[Generation]:
        """Generations of ``uri``, newest first (dropping ids already evicted)."""
        ids = self._by_uri.get(uri, [])
        alive = [i for i in ids if i in self._lru]
        if len(alive) != len(ids):
            ids[:] = alive
        for gen_id in alive:
            gen = self._lru.get(gen_id)  # a hit also refreshes its recency
            if gen is not None:
                yield gen

    def discard(self, gen: Generation) -> None:
        """Forget one generation (it failed, or turned out useless)."""
        self._lru.pop(gen.id, None)
        ids = self._by_uri.get(gen.ctx.uri)
        if ids and gen.id in ids:
            ids.remove(gen.id)

    def drop_document(self, uri: str) -> list[Generation]:
        """Forget a closed document; returns its generations so live ones can be stopped."""
        return [gen for gen_id in self._by_uri.pop(uri, []) if (gen := self._lru.pop(gen_id, None))]

    def clear(self) -> list[Generation]:
        """Forget everything (settings changed); returns what was held."""
        gens = list(self._lru.values())
        self._lru.clear()
        self._by_uri.clear()
        return gens
