"""Which open documents were edited last, and where: the order other files' snippets go in."""

from __future__ import annotations

from collections import OrderedDict

MAX_TRACKED = 50


class RecentEdits:
    """URIs by last edit, most recent first, each with the offset of its last change."""

    def __init__(self, limit: int = MAX_TRACKED) -> None:
        self._edits: OrderedDict[str, int | None] = OrderedDict()
        self._limit = limit

    def touch(self, uri: str, offset: int | None) -> None:
        """Record an edit of ``uri`` at ``offset`` (``None``: the whole text was replaced)."""
        self._edits[uri] = offset
        self._edits.move_to_end(uri, last=False)
        while len(self._edits) > self._limit:
            self._edits.popitem(last=True)

    def forget(self, uri: str) -> None:
        """Drop a closed document."""
        self._edits.pop(uri, None)

    def ordered(self, open_uris: list[str]) -> list[tuple[str, int | None]]:
        """Open documents, most recently edited first, then the never-edited ones in the order
        given, each with its last edit offset."""
        is_open = set(open_uris)
        edited = [(uri, off) for uri, off in self._edits.items() if uri in is_open]
        seen = {uri for uri, _ in edited}
        return edited + [(uri, None) for uri in open_uris if uri not in seen]
