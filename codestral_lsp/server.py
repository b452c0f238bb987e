"""The language server: capability registration and thin handlers that delegate to the engine."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInternalError
from pygls.io_ import StdoutWriter, run_async
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from codestral_lsp import __version__, context, items, parent, status, stdio
from codestral_lsp.document import (
    LspDocument,
    LspWorkspace,
    document_key,
    edit_offset,
    position_of,
)
from codestral_lsp.engine import Engine, Options, Request, unusable, upstream
from codestral_lsp.feedback import Offers
from codestral_lsp.log import REDACTOR, ClientHandler, Notifier, UnreadableMessages
from codestral_lsp.protocol import ARRIVED_AT, Arrival, CodestralProtocol
from codestral_lsp.providers import (
    AuthError,
    BadRequestError,
    ProviderError,
    RateLimitError,
    create,
)
from codestral_lsp.recent import RecentEdits
from codestral_lsp.settings import (
    KEY_HOST_PRESETS,
    Settings,
    from_env,
    mask,
    mask_url,
    pasted_keys,
    pushed_section,
    resolve,
    section,
    section_shape_problem,
)
from codestral_lsp.sources import Sources, widget_selection

log = logging.getLogger(__name__)

ERROR, WARNING, INFO = types.MessageType.Error, types.MessageType.Warning, types.MessageType.Info
# How long ``shutdown`` waits for the completion requests in flight to get their (empty)
# answers.
PENDING_ANSWER_S = 0.5
# How long an invoked request's answer waits for its extra candidates once the suggestion is
# in hand: they started with it, so the ones that are coming come about as soon.
EXTRAS_GRACE_S = 1.0
# How long the client may take to answer a settings pull. Completion requests wait for the
# answer meanwhile: it may exclude their file or turn completions off.
PULL_TIMEOUT_S = 5.0
# What a completion request is told (once) when the settings cannot call any endpoint.
NOT_CONFIGURED = {
    "no-key": "Codestral: no API key, so no completions: set CODESTRAL_API_KEY in the "
    "environment your editor starts the server in, or codestral.apiKey in its settings.",
    "no-endpoint": "Codestral: no endpoint, so no completions: set codestral.baseUrl "
    "(or CODESTRAL_BASE_URL).",
}
# Every notebook type (Jupyter, VS Code's interactive window, Polyglot...) and all its cells:
# markdown cells are synced too, since they may go into the prompt as comments. pygls declares
# it only to clients that say they sync notebooks; the others see no change.
NOTEBOOK_SYNC = types.NotebookDocumentSyncOptions(
    notebook_selector=[types.NotebookDocumentFilterWithNotebook(notebook="*")]
)


class CodestralServer(LanguageServer):
    """Server state: settings layers, the engine, and what was already told to the user."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__(
            "codestral-lsp",
            __version__,
            protocol_cls=CodestralProtocol,
            notebook_document_sync=NOTEBOOK_SYNC,
        )
        env = os.environ if environ is None else environ
        self.layers: dict[str, dict[str, Any]] = {
            "env": from_env(env),
            "init": {},
            "client": {},
        }
        self.settings = Settings()
        self.interrupted = False
        self.notifier = Notifier(self._show)
        self.engine = Engine(
            self.settings, self.report_provider_error, create, options=Options.from_env(env)
        )
        self._warned_unknown: set[str] = set()
        # The settings problems the user was told of and that still stand.
        self._told_problems: set[str] = set()
        self._told_unreadable = False
        self.status = status.StatusTracker(self._send_status)
        self.offers = Offers()
        self.recent = RecentEdits()
        self.item_caps = items.ItemCaps()
        # The tasks of completion requests not answered yet.
        self._answering: set[asyncio.Task[Any]] = set()
        self.parent_watch: asyncio.Future[None] | None = None
        # Clear while a settings pull awaits the client's answer (until ``_settle_by``); only
        # the last of the pulls (``_pulls`` numbers them) sets it when answered.
        self.settled = asyncio.Event()
        self.settled.set()
        self._settle_by = 0.0
        self._pulls = 0
        self.client_process_id: int | None = None  # from the command line

    @property
    def exit_code(self) -> int:
        """The process exit code LSP asks for: 0 after ``shutdown``, else 1; 130 after Ctrl-C,
        as in the other modes."""
        if self.interrupted:
            return 130
        return 0 if self.lsp.shutdown_seen else 1

    @property
    def lsp(self) -> CodestralProtocol:
        """The protocol, as the class this server runs (pygls types it as its base)."""
        assert isinstance(self.protocol, CodestralProtocol)
        return self.protocol

    def _show(self, level: int, message: str) -> None:
        self.window_show_message(
            types.ShowMessageParams(type=types.MessageType(level), message=message)
        )

    def _start_io_async(
        self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None
    ) -> None:
        """pygls' stdio loop with our stdin reader (see :mod:`codestral_lsp.stdio`)."""
        stdin = stdin or sys.stdin.buffer
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        try:
            asyncio.run(
                run_async(
                    stop_event=self._stop_event,
                    reader=stdio.StdinReader(stdin),
                    protocol=self.protocol,
                    logger=logging.getLogger("pygls.server"),
                    error_handler=self.report_server_error,
                )
            )
        except BrokenPipeError:
            log.error("the connection to the editor is lost; shutting down")
        except KeyboardInterrupt:
            self.interrupted = True
        except SystemExit:
            pass
        finally:
            self.shutdown()  # type: ignore[no-untyped-call]  # pygls leaves it untyped

    def start_tcp(self, host: str, port: int) -> None:
        """Serve one editor over TCP (for debugging): the process ends with its session, and
        quietly (pygls' own lets the ``exit`` notification's SystemExit out as a traceback)."""
        self._stop_event = stop = threading.Event()

        async def serve() -> None:
            ended = asyncio.Event()

            async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                listener.close()  # one editor: a second connection would share its state
                self.protocol.set_writer(writer)
                try:
                    await run_async(
                        stop_event=stop,
                        reader=reader,
                        protocol=self.protocol,
                        logger=logging.getLogger("pygls.server"),
                        error_handler=self.report_server_error,
                    )
                except SystemExit:
                    pass
                finally:
                    ended.set()

            listener = await asyncio.start_server(session, host, port)
            log.info("serving LSP on %s:%d", host, port)
            async with listener:
                await ended.wait()

        try:
            asyncio.run(serve())
        except KeyboardInterrupt:
            self.interrupted = True
        finally:
            self.shutdown()  # type: ignore[no-untyped-call]  # pygls leaves it untyped

    def _send_status(self, current: status.Status) -> None:
        self.protocol.notify(status.METHOD, current.to_json())

    def accept_command(self, uri: str, text: str, kind: str) -> types.Command:
        """The command an item carries so that accepting it tells the server which it was."""
        item_id = self.offers.offer(uri, text, kind)
        return types.Command(title="accepted", command=items.ACCEPT_COMMAND, arguments=[item_id])

    def tell_section_shape(self, problem: str) -> None:
        """Say once (per kind of mistake) that the client sent a settings section of a wrong
        shape; the settings it would have replaced stand."""
        if problem:
            self.notifier.once(f"section-shape:{problem}", WARNING, problem)

    async def suggest_with_alternatives(self, request: Request) -> tuple[str, list[str]]:
        """The suggestion, and an invoked request's extra candidates: those that come within
        :data:`EXTRAS_GRACE_S` of the suggestion (they started with it), none once the
        request is stale (its document closed or edited)."""
        extra = asyncio.ensure_future(self.engine.alternatives(request))
        try:
            text = await self.suggest(request)
            if not request.is_current() or self.lsp.shutdown_seen:
                return text, []
            done, _ = await asyncio.wait({extra}, timeout=EXTRAS_GRACE_S)
            return text, (extra.result() if done and request.is_current() else [])
        finally:
            extra.cancel()

    async def answered_pending(self) -> None:
        """Wait a moment (at most :data:`PENDING_ANSWER_S`) for the completion requests in
        flight to be answered: at ``shutdown``, once their streams are stopped, they answer
        empty, where pygls would cancel them with RequestCancelled (the client cancelled
        nothing)."""
        if self._answering:
            await asyncio.wait(set(self._answering), timeout=PENDING_ANSWER_S)

    async def suggest(self, request: Request) -> str:
        """The engine's answer, with the status marked busy meanwhile and cleared by success.
        The request's task is noted until it is answered (:meth:`answered_pending`)."""
        task = asyncio.current_task()
        if task is not None and task not in self._answering:
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)
        reason = unusable(self.settings, self.engine.endpoint())
        if reason in NOT_CONFIGURED:
            # Most editors show nothing of the status notification: without this, a missing key
            # looks like a server that never answers.
            self.notifier.once(reason, WARNING, NOT_CONFIGURED[reason])
        self.status.busy(+1)
        try:
            text = await self.engine.complete(request)
        finally:
            self.status.busy(-1)
        if text:
            self.status.set(status.READY)
        return text

    def log_to_client(self, level: int, message: str) -> None:
        """Send one ``window/logMessage`` (used by the logging handler)."""
        if self.protocol.writer is not None:
            self.window_log_message(
                types.LogMessageParams(type=types.MessageType(level), message=message)
            )

    async def apply_settings(self) -> None:
        """Re-resolve the settings layers; report problems once; reconfigure on change."""
        layers = [self.layers["env"], self.layers["init"], self.layers["client"]]
        settings, problems = resolve(layers)
        # Every key the layers carry, refused ones too: a quoted key is still the user's key.
        for key in [*pasted_keys(layers), settings.api_key]:
            REDACTOR.add(key)
        changed = settings != self.settings
        if changed and upstream(settings) != upstream(self.settings):
            # Upstream trouble may be news under the new settings (a new key, a new endpoint);
            # not after an unrelated change (maxTokens), which would only repeat it.
            self.notifier.reset()
        standing: set[str] = set()
        for problem in problems:
            if problem.unknown:
                if problem.key not in self._warned_unknown:
                    self._warned_unknown.add(problem.key)
                    log.info("%s", problem.message)
                continue
            # A problem is told once while it stands: a push repeated, or one changing another
            # key, does not show it again; fixed and then made again, it is news.
            standing.add(problem.message)
            if problem.message not in self._told_problems:
                self.notifier.show(WARNING, problem.message)
        self._told_problems = standing
        if changed:
            self.settings = settings
            await self.engine.configure(settings)
            log.info(
                "settings: provider=%s endpoint=%s model=%s key=%s",
                settings.provider,
                shown_endpoint(settings),
                settings.effective_model,
                mask(settings.api_key),
            )
        self.status.set(status.from_settings(settings))

    def report_provider_error(self, err: ProviderError) -> None:
        """Tell the user about upstream trouble, once per kind."""
        self.status.set(status.from_error(err))
        if isinstance(err, AuthError):
            message = auth_message(self.engine.endpoint(), err, self.settings)
            self.notifier.once("auth", ERROR, message)
        elif isinstance(err, RateLimitError):
            wait = f"{err.retry_after:.0f} s" if err.retry_after is not None else "a while"
            self.notifier.once(
                "rate-limit", WARNING, f"Codestral: rate limited; pausing requests for {wait}."
            )
        elif isinstance(err, BadRequestError):
            self.notifier.once("bad-request", ERROR, f"Codestral rejected the request: {err}")
        else:
            self.notifier.once(err.kind, WARNING, f"Codestral: {err}")

    def report_server_error(self, error: Exception, source: Any) -> None:
        """pygls' default turns every failed notification into an error popup (a storm, for a
        client that keeps sending a bad one); log each, and tell the user once. A message from
        the editor that does not fit LSP (a ``null`` configuration answer, say) is the editor's
        fault and nothing the user can mend: logged, first as a warning, never a popup."""
        if isinstance(error, BrokenPipeError):  # answering what could not be read found it
            if self._stop_event is not None and not self._stop_event.is_set():
                log.error("the connection to the editor is lost; shutting down")
                self._stop_event.set()
            return
        if source is JsonRpcException or _clients_fault(error):
            if isinstance(error, json.JSONDecodeError | UnicodeDecodeError):
                self.lsp.answer_unreadable()
            level = logging.DEBUG if self._told_unreadable else logging.WARNING
            self._told_unreadable = True
            log.log(level, "ignored a message from the editor that does not fit LSP: %r", error)
            return
        log.error("internal error (%s): %s", getattr(source, "__name__", source), error)
        self.notifier.once("server-error", ERROR, f"codestral-lsp: internal error: {error}")

    def document(self, uri: str, what: str) -> LspDocument | None:
        """The open document at ``uri``; ``None`` (logged once) when it was never opened."""
        workspace = self.workspace
        if not isinstance(workspace, LspWorkspace):
            return None
        doc = workspace.find(uri)
        if doc is None:
            workspace.note_unknown(uri, what)
        return doc

    def build_context(self, doc: TextDocument, position: types.Position) -> context.Context:
        """The FIM context at a client position in ``doc`` (see :class:`Sources`)."""
        sources = Sources(self.workspace, self.recent, self.engine.budget(), self.settings.exclude)
        return sources.context_at(doc, position)

    def notebook_changed(self, params: types.DidChangeNotebookDocumentParams) -> None:
        """After pygls applied a notebook's change: as for a file, edits feed the debounce and
        the order of other files, and removed cells let go of their suggestions; the other
        cells, whose prompts hold what changed, forget theirs (all of them, when cells were
        added, moved or removed). A change of cell data alone (an execution summary, as each
        run of a cell sends) changes no prompt."""
        cells = params.change.cells
        workspace = self.workspace
        if cells is None or not isinstance(workspace, LspWorkspace):
            return
        edited: set[str] = set()
        for content in cells.text_content or []:
            key = document_key(content.document.uri)
            doc = self.document(key, "notebookDocument/didChange")
            if doc is not None:
                edited.add(key)
                self.engine.document_changed(key)
                self.recent.touch(key, edit_offset(doc, content.changes))
        for closed in (cells.structure.did_close if cells.structure else None) or []:
            self.forget_document(closed.uri)
        if cells.structure:
            edited = set()
        elif not edited:
            return
        for key in workspace.cell_keys(params.notebook_document.uri):
            if key not in edited:
                self.engine.surroundings_changed(key)

    def forget_dropped_cells(self) -> None:
        """Release what was held for cells the workspace closed on its own (cells that left
        their notebook, or a closed notebook's cells its close did not name)."""
        workspace = self.workspace
        if isinstance(workspace, LspWorkspace):
            while workspace.dropped:
                self.forget_document(workspace.dropped.pop())

    def forget_document(self, uri: str) -> None:
        """Release what was held for a document that closed (a file, or a notebook cell)."""
        key = document_key(uri)
        self.engine.document_closed(key)
        self.recent.forget(key)

    def is_current(self, doc: TextDocument | None, version: int | None) -> bool:
        """Whether ``doc`` is still open and at ``version`` (the stale-suggestion guard). The
        open document itself is compared, not just its uri: a document closed and opened again
        under the same uri starts again at version 1 with other text."""
        workspace = self.workspace
        if doc is None or not isinstance(workspace, LspWorkspace):
            return False
        still_open = workspace.find(doc.uri) is doc
        return still_open and doc.version == version

    def stale_guard(self, doc: TextDocument) -> Callable[[], bool]:
        """The stale guard of the request being handled: whether the document it was asked
        about is still open at the version it had when the request arrived, and the settings
        its context was built under still stand (new ones may exclude the file, or files its
        prompt drew on, or turn completions off). pygls handles the edits, closes and opens
        read behind a request before the request itself, so ``doc`` may already be newer than
        what the editor asked about."""
        arrival = ARRIVED_AT.get() or Arrival(doc, doc.version)
        settings = self.settings
        return lambda: self.settings is settings and self.is_current(arrival.doc, arrival.version)

    def pulling(self) -> int:
        """A settings pull is going out: completion requests wait for its answer, for at most
        :data:`PULL_TIMEOUT_S` from now. Returns the pull's number, for :meth:`pulled`."""
        self.settled.clear()
        self._settle_by = time.monotonic() + PULL_TIMEOUT_S
        self._pulls += 1
        return self._pulls

    def pulled(self, pull: int) -> None:
        """Pull number ``pull`` is answered (or failed): requests go on, unless a later pull
        still awaits its answer."""
        if pull == self._pulls:
            self.settled.set()

    async def settings_settled(self) -> None:
        """Return once no settings pull awaits the client's answer, or its time is up."""
        left = self._settle_by - time.monotonic()
        if self.settled.is_set() or left <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.settled.wait(), left)


def _clients_fault(error: Exception) -> bool:
    """An error pygls met in what the editor sent (an unknown method, params that do not fit),
    as opposed to one in our own handlers (which pygls turns into an internal error)."""
    return isinstance(error, JsonRpcException) and not isinstance(error, JsonRpcInternalError)


def shown_endpoint(settings: Settings) -> str:
    """The endpoint as the settings log line names it: its credentials masked, and "off" when
    the endpoint the user named is not usable (nothing is sent then, not to the preset's
    endpoint either)."""
    if settings.off:
        return f"off ({settings.off})"
    return mask_url(settings.endpoint)


def auth_message(endpoint: str, err: ProviderError, settings: Settings) -> str:
    """The one message a rejected key gets: which variable, which endpoint, which key type."""
    until = "No further requests until the settings change."
    if not settings.api_key:
        return (
            f"Codestral: {endpoint} wants an API key ({err}) and none is set. Set "
            f"CODESTRAL_API_KEY (or the codestral.apiKey setting) to its key. {until}"
        )
    which = f'a key this endpoint issued (provider "{settings.provider}")'
    if settings.provider in KEY_HOST_PRESETS and not settings.base_url:
        which = (
            "a key for this endpoint: a Codestral key works only on codestral.mistral.ai "
            '(provider "codestral"), a Mistral key only on api.mistral.ai (provider "mistral"); '
            "`codestral-lsp check --key-host` tells which one knows yours"
        )
    return (
        f"Codestral: the API key was rejected by {endpoint} ({err}). Set CODESTRAL_API_KEY "
        f"(or the codestral.apiKey setting) to {which}. {until}"
    )


def create_server(environ: Mapping[str, str] | None = None) -> CodestralServer:
    """Build the server and register its features."""
    server = CodestralServer(environ)
    logging.getLogger("codestral_lsp").addHandler(ClientHandler(server.log_to_client))
    for name in ("pygls.protocol.json_rpc", "pygls.server"):
        logging.getLogger(name).addFilter(UnreadableMessages())

    @server.feature(types.INITIALIZE)
    async def initialize(ls: CodestralServer, params: types.InitializeParams) -> None:
        # pygls built its workspace before calling us; swap in one with LSP line handling.
        ls.protocol._workspace = LspWorkspace.replacing(
            ls.workspace, types.TextDocumentSyncKind.Incremental
        )
        ls.item_caps = items.ItemCaps.of(params.capabilities, params.client_info)
        ls.tell_section_shape(section_shape_problem(params.initialization_options))
        ls.layers["init"] = section(params.initialization_options)
        if _pulls(params.capabilities):
            ls.pulling()  # with ``initialized``, before any request may come
        pid = params.process_id or ls.client_process_id
        if pid is not None and parent.watchable(pid) and ls.parent_watch is None:
            ls.parent_watch = asyncio.ensure_future(parent.watch(pid))
        await ls.apply_settings()

    @server.feature(types.INITIALIZED)
    async def initialized(ls: CodestralServer, params: types.InitializedParams) -> None:
        ls.engine.warm_up()
        await pull_configuration(ls)
        ls.status.start()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: CodestralServer, params: types.DidChangeConfigurationParams
    ) -> None:
        ls.tell_section_shape(section_shape_problem(params.settings))
        pushed = pushed_section(params.settings)
        if pushed is None:
            await pull_configuration(ls)
        else:
            ls.layers["client"] = pushed
            await ls.apply_settings()

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: CodestralServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        doc = ls.document(uri, "didChange")
        if doc is not None:
            key = document_key(uri)
            ls.engine.document_changed(key)
            ls.recent.touch(key, edit_offset(doc, params.content_changes))

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: CodestralServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.forget_document(params.text_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_did_open(ls: CodestralServer, params: types.DidOpenNotebookDocumentParams) -> None:
        ls.forget_dropped_cells()

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def notebook_did_change(
        ls: CodestralServer, params: types.DidChangeNotebookDocumentParams
    ) -> None:
        ls.notebook_changed(params)
        ls.forget_dropped_cells()

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_did_close(
        ls: CodestralServer, params: types.DidCloseNotebookDocumentParams
    ) -> None:
        for cell in params.cell_text_documents:
            ls.forget_document(cell.uri)
        ls.forget_dropped_cells()

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        ls: CodestralServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList:
        await ls.settings_settled()
        uri = params.text_document.uri
        doc = ls.document(uri, "inlineCompletion")
        if doc is None:
            return types.InlineCompletionList(items=[])
        ctx = ls.build_context(doc, params.position)
        chosen = widget_selection(doc, ctx, params.context.selected_completion_info)
        if chosen is not None:
            ctx = context.selected(ctx, chosen, ls.engine.budget().prefix_chars)
        invoked = params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked
        request = Request(ctx, invoked, ls.stale_guard(doc))
        text, more = await ls.suggest_with_alternatives(request)
        return items.inline_items(
            text,
            ctx,
            position_of(doc),
            lambda shown: ls.accept_command(uri, shown, "inline"),
            more,
            chosen,
            ls.item_caps.whole_line,
        )

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[]))
    async def completion(
        ls: CodestralServer, params: types.CompletionParams
    ) -> types.CompletionList:
        await ls.settings_settled()
        uri = params.text_document.uri
        doc = ls.document(uri, "completion")
        if doc is None:
            return types.CompletionList(is_incomplete=True, items=[])
        ctx = ls.build_context(doc, params.position)
        # Always automatic: for completion, LSP's "Invoked" also means "triggered by typing an
        # identifier", which is how every completion menu (VS Code, nvim-cmp, blink.cmp, Helix,
        # company) asks as the user types, so it cannot tell a key press for a suggestion.
        text = await ls.suggest(Request(ctx, False, ls.stale_guard(doc)))
        if not text and ls.engine.blocked_reason(ctx):
            # Off, excluded or not configured: nothing changes as the user types on, so the
            # client need not ask again at every key.
            return types.CompletionList(is_incomplete=False, items=[])
        return items.completion_list(
            text,
            ctx,
            position_of(doc),
            ls.item_caps,
            lambda shown: ls.accept_command(uri, shown, "completion"),
        )

    @server.command(items.ACCEPT_COMMAND)
    def accepted(ls: CodestralServer, *args: Any) -> None:
        offer = ls.offers.accept(args[0]) if args else None
        if offer is None:
            log.info("accepted an unknown or expired suggestion %s", list(args))
        else:
            log.info("accepted #%d: %s", ls.offers.accepted, offer.describe())

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: CodestralServer, params: None) -> None:
        await ls.engine.aclose()
        await ls.answered_pending()

    return server


def _pulls(capabilities: types.ClientCapabilities) -> bool:
    """Whether the client answers ``workspace/configuration``."""
    workspace = capabilities.workspace
    return bool(workspace and workspace.configuration)


async def pull_configuration(ls: CodestralServer) -> None:
    """Ask the client for the ``codestral`` section when it supports ``workspace/configuration``."""
    if not _pulls(ls.client_capabilities):
        return
    pull = ls.pulling()
    try:
        await _pull(ls)
    finally:
        ls.pulled(pull)


async def _pull(ls: CodestralServer) -> None:
    try:
        result = await asyncio.wait_for(
            ls.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section="codestral")])
            ),
            timeout=PULL_TIMEOUT_S,
        )
    except Exception as err:  # a client that fails this request must not stop the server
        log.info("workspace/configuration failed: %s", err)
        return
    # An empty mapping is an answer too: the user cleared every codestral setting. A null is
    # not: clients answer it for a section they do not keep, and it may arrive after a push.
    if result:
        ls.tell_section_shape(section_shape_problem(result[0], pulled=True))
    if result and isinstance(result[0], Mapping):
        ls.layers["client"] = section(result[0])
        await ls.apply_settings()
