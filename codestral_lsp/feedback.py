"""What was offered to the editor, so an accept command can say what the user took.

Items carry ``command: codestral.didAcceptCompletion`` with their id as the only argument (the
pattern copilot-language-server uses); clients run it after inserting the item. The ids stay
small and opaque, so the text itself never travels back through the client.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from dataclasses import dataclass

MAX_OFFERS = 64


@dataclass(frozen=True, slots=True)
class Offer:
    """One suggestion handed to the client."""

    uri: str
    text: str
    kind: str  # "inline" or "completion"

    def describe(self) -> str:
        """A short, log-friendly summary (size and first line, never the whole text)."""
        lines = self.text.split("\n")
        first = lines[0] if len(lines[0]) <= 60 else lines[0][:59] + "…"
        return f"{self.kind} {len(lines)} line(s), {len(self.text)} chars, {first!r} in {self.uri}"


class Offers:
    """The most recent offers by id, bounded; counts acceptances."""

    def __init__(self, limit: int = MAX_OFFERS) -> None:
        self._offers: OrderedDict[str, Offer] = OrderedDict()
        self._limit = limit
        self._ids = itertools.count(1)
        self.accepted = 0

    def offer(self, uri: str, text: str, kind: str) -> str:
        """Remember an offer; returns the id its item's command carries."""
        item_id = str(next(self._ids))
        self._offers[item_id] = Offer(uri, text, kind)
        while len(self._offers) > self._limit:
            self._offers.popitem(last=False)
        return item_id

    def accept(self, item_id: object) -> Offer | None:
        """The offer behind an accepted id (``None`` if unknown or too old)."""
        offer = self._offers.pop(str(item_id), None)
        if offer is not None:
            self.accepted += 1
        return offer
