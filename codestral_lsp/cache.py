"""A bounded store of generations, looked up by "does this one continue the cursor?".

Exact-key caching misses the common case (the user typed two characters since the answer
arrived), so lookups scan the few most recent generations of one document and test each with
:meth:`Generation.typed_since`. Bounds: entries per document, and bytes overall (cachetools LRU).
"""

from __future__ import annotations

from collections.abc import Iterator

from cachetools import LRUCache

from codestral_lsp.generation import Generation

MAX_BYTES = 4 * 1024 * 1024
MAX_PER_DOCUMENT = 24


class GenerationStore:
    """Generations by document, most recent first, bounded in count and bytes."""

    def __init__(self, max_bytes: int = MAX_BYTES, per_document: int = MAX_PER_DOCUMENT) -> None:
        self._lru: LRUCache[int, Generation] = LRUCache(
            maxsize=max_bytes, getsizeof=lambda gen: gen.size
        )
        self._by_uri: dict[str, list[int]] = {}
        self._per_document = per_document

    def __len__(self) -> int:
        return len(self._lru)

    def add(self, gen: Generation) -> None:
        """Remember a generation (evicting the oldest of its document past the bound)."""
        ids = self._by_uri.setdefault(gen.ctx.uri, [])
        ids.insert(0, gen.id)
        for old in ids[self._per_document :]:
            self._lru.pop(old, None)
        del ids[self._per_document :]
        self._lru[gen.id] = gen

    def resize(self, gen: Generation) -> None:
        """Re-account a generation whose text grew."""
        if gen.id in self._lru:
            self._lru[gen.id] = gen

    def recent(self, uri: str) -> Iterator[Generation]:
        """Generations of ``uri``, newest first (dropping ids the LRU already evicted)."""
        ids = self._by_uri.get(uri, [])
        alive = [i for i in ids if i in self._lru]
        if len(alive) != len(ids):
            ids[:] = alive
        for gen_id in alive:
            gen = self._lru.get(gen_id)
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
        gens = [gen for gen_id in self._by_uri.pop(uri, []) if (gen := self._lru.pop(gen_id, None))]
        return gens

    def clear(self) -> list[Generation]:
        """Forget everything (settings changed); returns what was held."""
        gens = list(self._lru.values())
        self._lru.clear()
        self._by_uri.clear()
        return gens
