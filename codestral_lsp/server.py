"""The language server: capability registration and thin handlers that delegate to the engine."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from codestral_lsp import __version__, context, items, positions
from codestral_lsp.engine import Engine, Options, Request
from codestral_lsp.exclude import is_excluded
from codestral_lsp.log import REDACTOR, ClientHandler, Notifier
from codestral_lsp.providers import (
    AuthError,
    BadRequestError,
    ProviderError,
    RateLimitError,
    create,
)
from codestral_lsp.recent import RecentEdits
from codestral_lsp.settings import Settings, from_env, mask, resolve, section

log = logging.getLogger(__name__)

ERROR, WARNING, INFO = types.MessageType.Error, types.MessageType.Warning, types.MessageType.Info


class CodestralServer(LanguageServer):
    """Server state: settings layers, the engine, and what was already told to the user."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__("codestral-lsp", __version__)
        env = os.environ if environ is None else environ
        self.layers: dict[str, dict[str, Any]] = {
            "env": from_env(env),
            "init": {},
            "client": {},
        }
        self.settings = Settings()
        self.notifier = Notifier(self._show)
        self.engine = Engine(
            self.settings, self.report_provider_error, create, options=Options.from_env(env)
        )
        self._warned_unknown: set[str] = set()
        self.recent = RecentEdits()

    def _show(self, level: int, message: str) -> None:
        self.window_show_message(
            types.ShowMessageParams(type=types.MessageType(level), message=message)
        )

    def log_to_client(self, level: int, message: str) -> None:
        """Send one ``window/logMessage`` (used by the logging handler)."""
        if self.protocol.writer is not None:
            self.window_log_message(
                types.LogMessageParams(type=types.MessageType(level), message=message)
            )

    async def apply_settings(self) -> None:
        """Re-resolve the settings layers; report problems once; reconfigure on change."""
        settings, problems = resolve(
            [self.layers["env"], self.layers["init"], self.layers["client"]]
        )
        REDACTOR.add(settings.api_key)
        for problem in problems:
            if problem.unknown:
                if problem.key not in self._warned_unknown:
                    self._warned_unknown.add(problem.key)
                    log.info("%s", problem.message)
            else:
                self.notifier.once(f"setting:{problem.key}", WARNING, problem.message)
        if settings != self.settings:
            self.settings = settings
            self.notifier.reset()
            await self.engine.configure(settings)
            log.info(
                "settings: provider=%s endpoint=%s model=%s key=%s",
                settings.provider,
                settings.endpoint,
                settings.effective_model,
                mask(settings.api_key),
            )

    def report_provider_error(self, err: ProviderError) -> None:
        """Tell the user about upstream trouble, once per kind."""
        settings = self.settings
        if isinstance(err, AuthError):
            self.notifier.once("auth", ERROR, auth_message(settings, err))
        elif isinstance(err, RateLimitError):
            wait = f"{err.retry_after:.0f} s" if err.retry_after is not None else "a while"
            self.notifier.once(
                "rate-limit", WARNING, f"Codestral: rate limited; pausing requests for {wait}."
            )
        elif isinstance(err, BadRequestError):
            self.notifier.once("bad-request", ERROR, f"Codestral rejected the request: {err}")
        else:
            self.notifier.once(err.kind, WARNING, f"Codestral: {err}")

    def build_context(self, uri: str, position: types.Position) -> context.Context | None:
        """The FIM context at a client position, or ``None`` for an unknown document."""
        doc = self.workspace.text_documents.get(uri)
        if doc is None:
            self.notifier.once(f"unknown:{uri}", WARNING, f"codestral-lsp: {uri} was never opened")
            return None
        settings = self.settings
        return context.build(
            doc.source,
            offset_at(doc, position),
            uri,
            language=doc.language_id or "",
            path=doc.path,
            version=doc.version,
            budget=context.Budget(
                settings.prompt_tokens, settings.suffix_share, settings.other_files_share
            ),
            shown_path=context.display_path(doc.path, self.workspace_roots()),
            others=self.other_files(uri),
        )

    def workspace_roots(self) -> list[str]:
        """Filesystem paths of the workspace folders (and the root), for relative paths."""
        roots = [to_fs_path(folder.uri) or "" for folder in self.workspace.folders.values()]
        return [root for root in [*roots, self.workspace.root_path or ""] if root]

    def other_files(self, uri: str) -> list[context.OtherFile]:
        """Other open documents that may lend a snippet, most recently edited first; excluded
        files never."""
        found: list[context.OtherFile] = []
        roots = self.workspace_roots()
        docs = self.workspace.text_documents
        for other, offset in self.recent.ordered(list(docs)):
            doc = docs.get(other)
            if other == uri or doc is None or is_excluded(doc.path or other, self.settings.exclude):
                continue
            path = context.display_path(doc.path, roots)
            found.append(context.OtherFile(path, doc.source, offset))
            if len(found) == context.MAX_OTHER_FILES:
                break
        return found

    def is_current(self, uri: str, version: int | None) -> bool:
        """Whether ``uri`` is still at ``version`` (the stale-suggestion guard)."""
        doc = self.workspace.text_documents.get(uri)
        return doc is not None and doc.version == version


def auth_message(settings: Settings, err: ProviderError) -> str:
    """The one message a rejected key gets: which variable, which endpoint, which key type."""
    return (
        f"Codestral: the API key was rejected by {settings.endpoint} ({err}). "
        "Set CODESTRAL_API_KEY (or the codestral.apiKey setting) to a key for this endpoint: "
        'a Codestral key works only on codestral.mistral.ai (provider "codestral"), a Mistral '
        'key only on api.mistral.ai (provider "mistral"). No further requests until the '
        "settings change."
    )


def offset_at(doc: TextDocument, position: types.Position) -> int:
    """Code-point offset of a client position, clamped into the document (no whole-document
    split: see :mod:`codestral_lsp.positions`)."""
    encoding = _encoding(doc)
    return positions.offset_at(doc.source, position.line, position.character, encoding)


def position_of(doc: TextDocument) -> items.ToPosition:
    """Offset -> client position for ``doc`` (the cheap path of :mod:`codestral_lsp.positions`)."""
    encoding = _encoding(doc)

    def convert(offset: int) -> types.Position:
        line, character = positions.position_at(doc.source, offset, encoding)
        return types.Position(line=line, character=character)

    return convert


def _encoding(doc: TextDocument) -> str:
    encoding = doc.position_codec.encoding
    return str(getattr(encoding, "value", encoding) or positions.UTF16)


def edit_offset(doc: TextDocument, params: types.DidChangeTextDocumentParams) -> int | None:
    """Where the last change of a ``didChange`` landed (``None`` for a full-text change)."""
    change = params.content_changes[-1] if params.content_changes else None
    if not isinstance(change, types.TextDocumentContentChangePartial):
        return None
    return offset_at(doc, change.range.start)


def create_server(environ: Mapping[str, str] | None = None) -> CodestralServer:
    """Build the server and register its features."""
    server = CodestralServer(environ)
    logging.getLogger("codestral_lsp").addHandler(ClientHandler(server.log_to_client))

    @server.feature(types.INITIALIZE)
    async def initialize(ls: CodestralServer, params: types.InitializeParams) -> None:
        ls.layers["init"] = section(params.initialization_options)
        await ls.apply_settings()

    @server.feature(types.INITIALIZED)
    async def initialized(ls: CodestralServer, params: types.InitializedParams) -> None:
        ls.engine.warm_up()
        await pull_configuration(ls)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: CodestralServer, params: types.DidChangeConfigurationParams
    ) -> None:
        pushed = section(params.settings)
        if pushed:
            ls.layers["client"] = pushed
            await ls.apply_settings()
        else:
            await pull_configuration(ls)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: CodestralServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.engine.document_changed(uri)
        ls.recent.touch(uri, edit_offset(ls.workspace.get_text_document(uri), params))

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: CodestralServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.engine.document_closed(params.text_document.uri)
        ls.recent.forget(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        ls: CodestralServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList:
        uri = params.text_document.uri
        ctx = ls.build_context(uri, params.position)
        if ctx is None:
            return types.InlineCompletionList(items=[])
        invoked = params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked
        request = Request(ctx, invoked, lambda: ls.is_current(uri, ctx.version))
        text, more = await asyncio.gather(
            ls.engine.complete(request), ls.engine.alternatives(request)
        )
        doc = ls.workspace.text_documents.get(uri)
        if doc is None:  # closed meanwhile (get_text_document would read it from disk)
            return types.InlineCompletionList(items=[])
        return items.inline_items(text, ctx, position_of(doc), str(ctx.offset), more)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[]))
    async def completion(
        ls: CodestralServer, params: types.CompletionParams
    ) -> types.CompletionList:
        uri = params.text_document.uri
        ctx = ls.build_context(uri, params.position)
        if ctx is None:
            return types.CompletionList(is_incomplete=True, items=[])
        invoked = params.context is None or (
            params.context.trigger_kind == types.CompletionTriggerKind.Invoked
        )
        text = await ls.engine.complete(
            Request(ctx, invoked, lambda: ls.is_current(uri, ctx.version))
        )
        doc = ls.workspace.text_documents.get(uri)
        if doc is None:  # closed meanwhile (get_text_document would read it from disk)
            return types.CompletionList(is_incomplete=True, items=[])
        caps = items.ItemCaps.of(ls.client_capabilities)
        return items.completion_list(text, ctx, position_of(doc), caps, "0")

    @server.command(items.ACCEPT_COMMAND)
    def accepted(ls: CodestralServer, args: Any) -> None:
        log.debug("suggestion accepted: %s", args)

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: CodestralServer, params: None) -> None:
        await ls.engine.aclose()

    return server


async def pull_configuration(ls: CodestralServer) -> None:
    """Ask the client for the ``codestral`` section when it supports ``workspace/configuration``."""
    workspace = ls.client_capabilities.workspace
    if not (workspace and workspace.configuration):
        return
    try:
        result = await asyncio.wait_for(
            ls.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section="codestral")])
            ),
            timeout=5,
        )
    except Exception as err:  # a client that fails this request must not stop the server
        log.info("workspace/configuration failed: %s", err)
        return
    if result and isinstance(result[0], Mapping) and result[0]:
        ls.layers["client"] = section(result[0])
        await ls.apply_settings()
