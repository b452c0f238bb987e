"""A bounded store of generations, looked up by "does this one continue the cursor?".

Exact-key caching misses the common case (the user typed two characters since the answer
arrived), so lookups scan the few most recent generations of one document and test each with
:meth:`Generation.typed_since`, which also rejects any generation whose prompt window was edited
elsewhere. Bounds: entries per document and in all, and bytes overall; the least recently used
generation goes first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

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
        # id -> (generation, bytes accounted for it); order = least recently used first.
        self._lru: OrderedDict[int, tuple[Generation, int]] = OrderedDict()
        self._bytes = 0
        self._max_bytes = max_bytes
        self._max_entries = max_entries
        self._by_uri: dict[str, list[int]] = {}
        self._per_document = per_document

    def __len__(self) -> int:
        return len(self._lru)

    @property
    def bytes(self) -> int:
        """Bytes currently accounted for."""
        return self._bytes

    def add(self, gen: Generation) -> None:
        """Remember a generation (evicting the oldest of its document past the bound)."""
        ids = self._by_uri.setdefault(gen.ctx.uri, [])
        ids.insert(0, gen.id)
        for old in ids[self._per_document :]:
            self._pop(old)
        del ids[self._per_document :]
        self._put(gen)

    def resize(self, gen: Generation) -> None:
        """Re-account a generation whose text grew."""
        if gen.id in self._lru:
            self._put(gen)

    def _put(self, gen: Generation) -> None:
        self._pop(gen.id)
        size = gen.size
        self._lru[gen.id] = (gen, size)
        self._bytes += size
        while self._lru and (len(self._lru) > self._max_entries or self._bytes > self._max_bytes):
            self._pop(next(iter(self._lru)))

    def _pop(self, gen_id: int) -> Generation | None:
        entry = self._lru.pop(gen_id, None)
        if entry is None:
            return None
        self._bytes -= entry[1]
        return entry[0]

    def recent(self, uri: str) -> Iterator[Generation]:
        """Generations of ``uri``, newest first (dropping ids already evicted)."""
        ids = self._by_uri.get(uri, [])
        alive = [i for i in ids if i in self._lru]
        if len(alive) != len(ids):
            ids[:] = alive
        for gen_id in alive:
            entry = self._lru.get(gen_id)
            if entry is not None:
                self._lru.move_to_end(gen_id)
                yield entry[0]

    def discard(self, gen: Generation) -> None:
        """Forget one generation (it failed, or turned out useless)."""
        self._pop(gen.id)
        ids = self._by_uri.get(gen.ctx.uri)
        if ids and gen.id in ids:
            ids.remove(gen.id)

    def drop_document(self, uri: str) -> list[Generation]:
        """Forget a closed document; returns its generations so live ones can be stopped."""
        return [gen for gen_id in self._by_uri.pop(uri, []) if (gen := self._pop(gen_id))]

    def clear(self) -> list[Generation]:
        """Forget everything (settings changed); returns what was held."""
        gens = [gen for gen, _ in self._lru.values()]
        self._lru.clear()
        self._bytes = 0
        self._by_uri.clear()
        return gens
