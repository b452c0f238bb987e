"""The JSON-RPC protocol, with pygls' per-notification memory leak plugged.

pygls 2.1 files the future of every notification handled through a generator (its own
``didOpen``/``didChange``/``didClose`` handlers) or a coroutine (our ``didChangeConfiguration``)
in the table of pending requests, under a fresh UUID, and never removes it: two objects per
keystroke, for the life of the process (about 2.4 KB per completion in ``bench/soak.py``).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
    JsonRpcServerNotInitialized,
)
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.workspace import TextDocument

from codestral_lsp.log import REDACTOR
from codestral_lsp.settings import pasted_keys


@dataclass(frozen=True)
class Arrival:
    """The open document a completion request named, and its version, when the request was
    read (``None`` when it was not open)."""

    doc: TextDocument | None
    version: int | None


# In the request's context. pygls starts a handler only after the messages already read behind
# it, edits, closes and opens included, so by then the request's position may be one in an
# older text, or in another document opened since under the same uri.
ARRIVED_AT = contextvars.ContextVar[Arrival | None]("arrived_at", default=None)
_COMPLETIONS = (types.TEXT_DOCUMENT_INLINE_COMPLETION, types.TEXT_DOCUMENT_COMPLETION)


class CodestralProtocol(LanguageServerProtocol):
    """``LanguageServerProtocol`` that forgets finished handler futures and answers requests it
    cannot read, or may not serve yet or any more."""

    # ``shutdown`` arrived / was answered. An ``exit`` may follow it before its answer (LSP
    # lets a client not wait): it is then held until the answer is out, and the process still
    # ends with 0.
    shutdown_seen = False
    shutdown_done = False
    exit_held = False

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(
        self, params: types.InitializeParams
    ) -> Generator[Any, Any, types.InitializeResult]:
        """pygls' ``initialize``, which first logs its parameters: the log's redactor learns the
        keys they carry before that, so a key of any shape is hidden by value too."""
        for key in pasted_keys(params.initialization_options):
            REDACTOR.add(key)
        return (yield from super().lsp_initialize(params))

    @lsp_method(types.SHUTDOWN)
    def lsp_shutdown(self, *args: Any) -> Generator[Any, Any, None]:
        """pygls' ``shutdown``, marked as it arrives; then a held ``exit`` goes ahead."""
        self.shutdown_seen = True
        yield from super().lsp_shutdown(*args)
        self.shutdown_done = True
        if self.exit_held:
            # Soon, not now: the answer to shutdown is sent when this generator ends.
            asyncio.get_running_loop().call_soon(self._handle_notification, types.EXIT, None)

    exiting = False

    @lsp_method(types.EXIT)
    def lsp_exit(self, *args: Any) -> Generator[Any, Any, None]:
        """pygls' ``exit``, held while a ``shutdown`` is still being done."""
        if self.shutdown_seen and not self.shutdown_done:
            self.exit_held = True
            return
        self.exiting = True
        yield from super().lsp_exit(*args)

    def _send_data(self, data: Any) -> None:
        """pygls' send, but nothing once ``exit`` closed stdout: the answers of requests still
        pending then (an ``exit`` without ``shutdown``) have no one to go to, and pygls logs a
        traceback for each."""
        if not self.exiting:
            super()._send_data(data)

    def handle_message(self, message: Any) -> None:
        """pygls' dispatch, but a request after ``shutdown``, or one that is no JSON-RPC 2.0
        (no ``"jsonrpc": "2.0"``), gets InvalidRequest: pygls drops it unanswered, and a client
        waiting for the answer hangs."""
        if isinstance(message, dict) and "id" in message and "method" in message:
            error = JsonRpcInvalidRequest('not JSON-RPC 2.0 (it needs "jsonrpc": "2.0")')
            self._send_response(message["id"], error=error.to_response_error())
            return
        method = getattr(message, "method", None)
        if self._shutdown and method not in (None, types.EXIT) and hasattr(message, "id"):
            error = JsonRpcInvalidRequest("the server is shutting down")
            self._send_response(message.id, error=error.to_response_error())
            return
        super().handle_message(message)

    def _handle_request(self, msg_id: Any, method_name: str, params: Any) -> None:
        """pygls' dispatch; a completion request first notes its document and version. Before
        ``initialize``, any other request gets LSP's ServerNotInitialized."""
        if self._workspace is None and method_name != types.INITIALIZE:
            error = JsonRpcServerNotInitialized("initialize first")
            self._send_response(msg_id, error=error.to_response_error())
            return
        if method_name in _COMPLETIONS:
            uri = getattr(getattr(params, "text_document", None), "uri", None)
            find = getattr(self.workspace, "find", None)
            doc = find(uri) if find is not None and isinstance(uri, str) else None
            ARRIVED_AT.set(Arrival(doc, doc.version if doc is not None else None))
        super()._handle_request(msg_id, method_name, params)

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        """A cancel for a request already answered is normal (the editor sent it as our answer
        was on its way), not a warning on stderr at every keystroke."""
        if msg_id in self._request_futures:
            super()._handle_cancel_notification(msg_id)

    def answer_unreadable(self) -> None:
        """Answer a message that is no JSON with JSON-RPC's ParseError: its id is unknown, so
        the answer's is ``null``. Written as is: pygls's own answer drops a ``None`` id, and
        a client then reads the message as neither an answer nor a notification."""
        error = self._converter.unstructure(JsonRpcParseError().to_response_error())
        self._send_data({"jsonrpc": "2.0", "id": None, "error": error})

    def structure_message(self, data: dict[str, Any]) -> Any:
        """pygls drops a request whose params do not fit LSP (a negative position, say) without
        an answer, so the editor would wait for it forever; it gets the error instead. Document
        text that is no string is refused: lsprotocol's converter would write its repr
        (``None``, ``5``) into the document, and every prompt after would carry it."""
        try:
            if _text_not_string(data):
                raise JsonRpcInvalidParams("document text must be a string")
            return super().structure_message(data)
        except JsonRpcException as err:
            if "id" in data and "method" in data:
                self._send_response(data["id"], error=err.to_response_error())
            raise

    def _handle_notification(self, method_name: str, params: Any) -> None:
        super()._handle_notification(method_name, params)
        # A finished future has nothing left to cancel or answer (a request's own answer is
        # sent by its done-callback, which looks it up with a default), so dropping every
        # finished one bounds the table to the work actually in flight.
        finished = [key for key, future in self._request_futures.items() if future.done()]
        for key in finished:
            del self._request_futures[key]


def _text_not_string(data: dict[str, Any]) -> bool:
    """Whether a ``didOpen`` or ``didChange`` carries document text that is no string (or
    none)."""
    params = data.get("params")
    if not isinstance(params, dict):
        return False
    if data.get("method") == types.TEXT_DOCUMENT_DID_OPEN:
        document = params.get("textDocument")
        texts = [document.get("text")] if isinstance(document, dict) else []
    elif data.get("method") == types.TEXT_DOCUMENT_DID_CHANGE:
        changes = params.get("contentChanges")
        listed = changes if isinstance(changes, list) else []
        texts = [change.get("text") for change in listed if isinstance(change, dict)]
    else:
        return False
    return any(not isinstance(text, str) for text in texts)
