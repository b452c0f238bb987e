"""GenerationStore bounds: entries per document, entries overall, bytes overall."""

from __future__ import annotations

from codestral_lsp import context
from codestral_lsp.cache import GenerationStore
from codestral_lsp.generation import Generation


def gen(uri: str = "file:///a.py", text: str = "") -> Generation:
    return Generation(ctx=context.build("x = 1\n", 6, uri), multiline=True, text=text)


def test_per_document_bound_drops_the_oldest() -> None:
    store = GenerationStore(per_document=2)
    first, second, third = gen(), gen(), gen()
    for g in (first, second, third):
        store.add(g)
    assert list(store.recent("file:///a.py")) == [third, second]


def test_entry_and_byte_bounds_hold_across_documents() -> None:
    store = GenerationStore(max_entries=3)
    gens = [gen(f"file:///{i}.py") for i in range(5)]
    for g in gens:
        store.add(g)
    assert len(store) == 3
    assert list(store.recent("file:///0.py")) == []
    small = GenerationStore(max_bytes=gens[0].size * 2)
    for g in gens:
        small.add(g)
    assert len(small) == 2 and small.bytes <= gens[0].size * 2


def test_growing_text_is_accounted_and_evicts() -> None:
    store = GenerationStore(max_bytes=2000)
    old, new = gen("file:///old.py"), gen("file:///new.py")
    store.add(old)
    store.add(new)
    new.text = "y" * 1700
    store.resize(new)
    assert list(store.recent("file:///old.py")) == []
    assert list(store.recent("file:///new.py")) == [new]
    assert store.bytes == new.size


def test_drop_document_returns_its_generations() -> None:
    store = GenerationStore()
    a, b = gen("file:///a.py"), gen("file:///b.py")
    store.add(a)
    store.add(b)
    assert store.drop_document("file:///a.py") == [a]
    assert len(store) == 1 and store.clear() == [b] and store.bytes == 0
