"""The server's status for editors to show, sent as a notification only when it changes.

The shape follows copilot-language-server's ``didChangeStatus``: ``{kind, message, busy}`` with
``kind`` one of ``Normal``, ``Error``, ``Warning``, ``Inactive``. Editors show it in a status bar
(the VS Code extension does); others may ignore it, as unknown notifications are allowed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from codestral_lsp.engine import unusable
from codestral_lsp.providers import (
    AuthError,
    ProviderError,
    RateLimitError,
)
from codestral_lsp.settings import Settings

METHOD = "codestral/didChangeStatus"

NORMAL, ERROR, WARNING, INACTIVE = "Normal", "Error", "Warning", "Inactive"


@dataclass(frozen=True, slots=True)
class Status:
    """One status: what kind, a short message, and whether a request is in flight."""

    kind: str
    message: str
    busy: bool = False

    def to_json(self) -> dict[str, object]:
        """The notification's params."""
        return {"kind": self.kind, "message": self.message, "busy": self.busy}


READY = Status(NORMAL, "ready")


def from_settings(settings: Settings) -> Status:
    """The status the settings alone imply (before any upstream call)."""
    reason = unusable(settings, settings.endpoint)
    if reason == "disabled":
        return Status(INACTIVE, "disabled (codestral.enable is false)")
    if reason == "off":
        return Status(ERROR, f"off: {settings.off}")
    if reason == "no-endpoint":
        return Status(ERROR, "no endpoint: set codestral.baseUrl")
    if reason == "no-key":
        return Status(ERROR, "no API key: set CODESTRAL_API_KEY or codestral.apiKey")
    return READY


def from_error(err: ProviderError) -> Status:
    """The status an upstream failure implies."""
    if isinstance(err, AuthError):
        return Status(ERROR, "API key rejected")
    if isinstance(err, RateLimitError):
        return Status(WARNING, "rate limited")
    return Status(WARNING, f"upstream error: {err.kind}")


class StatusTracker:
    """Holds the current status and sends it when it changes, once the session allows it.

    Nothing is sent before :meth:`start` (servers may not notify before ``initialized``).
    """

    def __init__(self, send: Callable[[Status], None]) -> None:
        self._send = send
        self._base = READY
        self._busy = 0
        self._live = False
        self._sent: Status | None = None

    @property
    def current(self) -> Status:
        """The status as it would be sent now."""
        return dataclasses.replace(self._base, busy=self._busy > 0)

    def start(self) -> None:
        """Begin sending (after ``initialized``); sends the current status."""
        self._live = True
        self._flush()

    def set(self, status: Status) -> None:
        """Replace the kind and message (``busy`` is tracked separately)."""
        self._base = dataclasses.replace(status, busy=False)
        self._flush()

    def busy(self, delta: int) -> None:
        """Count a request starting (+1) or ending (-1)."""
        self._busy = max(0, self._busy + delta)
        self._flush()

    def _flush(self) -> None:
        status = self.current
        if self._live and status != self._sent:
            self._sent = status
            self._send(status)
