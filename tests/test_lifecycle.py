"""Process lifecycle over raw stdio: exit codes after ``shutdown``/``exit``, exit when stdin closes
(also mid-request), nothing but LSP frames on stdout; and per-document state that is released."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import signal
import subprocess
import sys
from typing import Any

import pytest
from conftest import server_env
from fake_fim import FakeFim, Reply
from lsprotocol import types

from codestral_lsp.document import _MAX_REMEMBERED, LspWorkspace
from codestral_lsp.server import create_server
from codestral_lsp.settings import SECTION
from codestral_lsp.stdio import is_pipe

BOUND_S = 15  # the process must be gone well before this; a hang detector only


async def spawn(
    *args: str,
    stdin: Any,
    stdout: Any = asyncio.subprocess.PIPE,
    stderr: Any = asyncio.subprocess.DEVNULL,
) -> asyncio.subprocess.Process:
    """The server as a subprocess in stdio mode."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codestral_lsp",
        *args,
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        env=server_env(),
    )


class Stdio:
    """The server as a subprocess spoken to in raw JSON-RPC frames."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self._ids = 0

    @classmethod
    async def start(cls, stderr: int = asyncio.subprocess.DEVNULL) -> Stdio:
        proc = await spawn(stdin=asyncio.subprocess.PIPE, stderr=stderr)
        return cls(proc)

    def send(self, method: str, params: Any = None, request: bool = False) -> int | None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        msg_id = None
        if request:
            self._ids += 1
            msg_id = message["id"] = self._ids
        body = json.dumps(message).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return msg_id

    async def read(self) -> dict[str, Any]:
        """One frame; anything on stdout that is not a frame fails the test."""
        assert self.proc.stdout is not None
        length = None
        while True:
            line = await self.proc.stdout.readline()
            assert line.endswith(b"\r\n"), f"not an LSP header: {line!r}"
            if line == b"\r\n":
                break
            name, _, value = line.decode().partition(":")
            assert name in ("Content-Length", "Content-Type"), line
            if name == "Content-Length":
                length = int(value)
        assert length is not None
        return dict(json.loads(await self.proc.stdout.readexactly(length)))

    async def answer(self, msg_id: int | None) -> dict[str, Any]:
        """Read frames until the response to ``msg_id``."""
        while True:
            message = await self.read()
            if message.get("id") == msg_id and "method" not in message:
                return message

    async def initialize(self, options: dict[str, Any] | None = None) -> None:
        msg_id = self.send(
            "initialize",
            {
                "processId": None,
                "rootUri": None,
                "capabilities": {},
                "initializationOptions": options,
            },
            request=True,
        )
        assert "result" in await asyncio.wait_for(self.answer(msg_id), BOUND_S)
        self.send("initialized", {})

    def ask_in_new_document(self) -> int | None:
        """Open ``x = `` as ``file:///p/a.py`` and ask for an invoked inline completion at its
        end; returns the request's id."""
        uri = "file:///p/a.py"
        self.send(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": "x = \n"}},
        )
        return self.ask(uri)

    def ask(self, uri: str) -> int | None:
        """An invoked inline completion at the end of the first line of ``uri``."""
        return self.send(
            "textDocument/inlineCompletion",
            {
                "textDocument": {"uri": uri},
                "position": {"line": 0, "character": 4},
                "context": {"triggerKind": 1},
            },
            request=True,
        )

    @classmethod
    async def with_request_upstream(cls, fake: FakeFim) -> Stdio:
        """A server with a completion request whose upstream call ``fake`` has received."""
        server = await cls.start()
        await server.initialize({SECTION: {"apiKey": "sk-test-123456", "baseUrl": fake.url}})
        server.ask_in_new_document()
        assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.requests) >= 1)
        return server

    async def exit_code(self) -> int:
        return await asyncio.wait_for(self.proc.wait(), BOUND_S)


async def test_exit_after_shutdown_is_zero() -> None:
    server = await Stdio.start()
    await server.initialize()
    msg_id = server.send("shutdown", request=True)
    assert (await asyncio.wait_for(server.answer(msg_id), BOUND_S))["result"] is None
    server.send("exit")

    assert await server.exit_code() == 0


async def test_exit_right_behind_shutdown_still_answers_it_and_is_zero() -> None:
    """LSP lets a client send ``exit`` without waiting for the answer to ``shutdown``."""
    with FakeFim(Reply(hang=True)) as fake:
        server = await Stdio.with_request_upstream(fake)
        msg_id = server.send("shutdown", request=True)
        server.send("exit")

        assert "result" in await asyncio.wait_for(server.answer(msg_id), BOUND_S)
        assert await server.exit_code() == 0


async def test_requests_before_initialize_and_after_shutdown_are_answered_with_errors() -> None:
    """LSP: ServerNotInitialized before ``initialize``, InvalidRequest after ``shutdown``;
    pygls left both unanswered, hanging a client that waits."""
    server = await Stdio.start()
    early = server.ask("file:///p/a.py")
    assert (await asyncio.wait_for(server.answer(early), BOUND_S))["error"]["code"] == -32002
    await server.initialize()
    msg_id = server.send("shutdown", request=True)
    assert (await asyncio.wait_for(server.answer(msg_id), BOUND_S))["result"] is None
    late = server.ask("file:///p/a.py")
    assert (await asyncio.wait_for(server.answer(late), BOUND_S))["error"]["code"] == -32600
    again = server.send("shutdown", request=True)
    assert (await asyncio.wait_for(server.answer(again), BOUND_S))["error"]["code"] == -32600
    server.send("exit")
    assert await server.exit_code() == 0


async def test_exit_with_a_request_in_flight_is_quiet() -> None:
    with FakeFim(Reply(hang=True)) as fake:
        server = await Stdio.start(stderr=asyncio.subprocess.PIPE)
        await server.initialize({SECTION: {"apiKey": "sk-test-123456", "baseUrl": fake.url}})
        server.ask_in_new_document()
        assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.requests) >= 1)
        server.send("exit")
        assert await server.exit_code() == 1
        assert server.proc.stderr is not None
        assert b"Traceback" not in await server.proc.stderr.read()


async def test_a_request_in_flight_at_shutdown_gets_an_empty_answer() -> None:
    """Its stream is stopped, so it answers with no items, not with RequestCancelled: the
    client cancelled nothing."""
    with FakeFim(Reply(hang=True)) as fake:
        server = await Stdio.start()
        await server.initialize({SECTION: {"apiKey": "sk-test-123456", "baseUrl": fake.url}})
        pending = server.ask_in_new_document()
        assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.requests) >= 1)
        msg_id = server.send("shutdown", request=True)
        assert (await asyncio.wait_for(server.answer(pending), BOUND_S))["result"]["items"] == []
        assert (await asyncio.wait_for(server.answer(msg_id), BOUND_S))["result"] is None
        server.send("exit")
        assert await server.exit_code() == 0


async def test_exit_without_shutdown_is_one() -> None:
    server = await Stdio.start()
    await server.initialize()
    server.send("exit")

    assert await server.exit_code() == 1


@pytest.mark.parametrize("told_by", ["initialize", "command line"])
async def test_the_server_exits_when_the_editor_process_is_gone_though_stdin_stays_open(
    told_by: str,
) -> None:
    editor = await asyncio.create_subprocess_exec("sleep", "60")
    by_flag = told_by == "command line"
    args = [f"--clientProcessId={editor.pid}"] if by_flag else []
    proc = await spawn(*args, stdin=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    server = Stdio(proc)
    params = {"processId": None if by_flag else editor.pid, "rootUri": None, "capabilities": {}}
    msg_id = server.send("initialize", params, request=True)
    assert "result" in await asyncio.wait_for(server.answer(msg_id), BOUND_S)
    await asyncio.sleep(0.5)
    assert server.proc.returncode is None  # the editor lives: so does the server
    editor.kill()
    await editor.wait()

    assert await server.exit_code() == 1
    assert server.proc.stderr is not None
    said = (await server.proc.stderr.read()).decode()
    assert f"(process {editor.pid}) is gone; exiting" in said and "Traceback" not in said


async def test_a_process_id_that_is_no_process_here_is_not_watched() -> None:
    # An editor outside the server's container passes a pid of its own system.
    gone = await asyncio.create_subprocess_exec("true")
    await gone.wait()
    server = await Stdio.start()
    msg_id = server.send(
        "initialize", {"processId": gone.pid, "rootUri": None, "capabilities": {}}, request=True
    )
    assert "result" in await asyncio.wait_for(server.answer(msg_id), BOUND_S)
    await asyncio.sleep(2.5)  # longer than a check's interval
    assert server.proc.returncode is None
    server.send("exit")
    assert await server.exit_code() == 1


async def test_closed_stdin_ends_the_process() -> None:
    server = await Stdio.start()
    await server.initialize()
    assert server.proc.stdin is not None
    server.proc.stdin.close()

    await server.exit_code()
    assert server.proc.returncode is not None


async def test_closed_stdin_ends_the_process_mid_request() -> None:
    with FakeFim(Reply(hang=True)) as fake:
        server = await Stdio.with_request_upstream(fake)
        assert server.proc.stdin is not None
        server.proc.stdin.close()

        await server.exit_code()
        # The hanging upstream call died with the process.
        assert await asyncio.to_thread(
            fake.wait_for, lambda: fake.disconnects == len(fake.requests)
        )


async def test_shutdown_with_a_request_in_flight_still_exits_zero() -> None:
    with FakeFim(Reply(hang=True)) as fake:
        server = await Stdio.with_request_upstream(fake)
        msg_id = server.send("shutdown", request=True)
        assert "result" in await asyncio.wait_for(server.answer(msg_id), BOUND_S)
        server.send("exit")

        assert await server.exit_code() == 0
        assert await asyncio.to_thread(
            fake.wait_for, lambda: fake.disconnects == len(fake.requests)
        )


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


async def test_stdin_from_a_file_is_served_too(tmp_path: Any) -> None:
    """Editors give the server a pipe (read on the event loop); a regular file cannot be
    watched by the loop, so a thread reads it."""
    script = tmp_path / "session.jsonrpc"
    params = {"processId": None, "rootUri": None, "capabilities": {}}
    script.write_bytes(
        frame({"id": 1, "method": "initialize", "params": params})
        + frame({"method": "initialized", "params": {}})
        + frame({"id": 2, "method": "shutdown"})
        + frame({"method": "exit"})
    )
    with script.open("rb") as stdin:
        proc = await spawn(stdin=stdin)
        out, _ = await asyncio.wait_for(proc.communicate(), BOUND_S)
    assert proc.returncode == 0
    bodies = [
        json.loads(part.split(b"\r\n\r\n", 1)[1]) for part in out.split(b"Content-Length")[1:]
    ]
    answers = {body["id"]: body["result"] for body in bodies if "id" in body}
    assert "capabilities" in answers[1] and answers[2] is None


async def started_on_a_terminal() -> tuple[asyncio.subprocess.Process, int]:
    """The server with a terminal as stdin, as a user trying the start command has it; once it
    is ready, with the terminal's other end."""
    terminal, stdin = pty.openpty()
    proc = await spawn(
        "--log-level", "DEBUG", stdin=stdin, stdout=None, stderr=asyncio.subprocess.PIPE
    )
    os.close(stdin)
    assert proc.stderr is not None
    while b"server ready" not in await asyncio.wait_for(proc.stderr.readline(), BOUND_S):
        pass
    return proc, terminal


@pytest.mark.skipif(os.name != "posix", reason="a terminal and SIGINT")
async def test_ctrl_c_ends_the_server_at_once_with_130() -> None:
    server = await Stdio.start()
    await server.initialize()
    server.proc.send_signal(signal.SIGINT)
    assert await server.exit_code() == 130

    # From a terminal the read of stdin used to hold the process until a key was pressed.
    proc, terminal = await started_on_a_terminal()
    try:
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.communicate(), BOUND_S)
        assert proc.returncode == 130
    finally:
        os.close(terminal)


@pytest.mark.skipif(os.name != "posix", reason="a terminal")
async def test_ctrl_d_on_a_terminal_ends_the_server() -> None:
    proc, terminal = await started_on_a_terminal()
    try:
        os.write(terminal, b"\x04")  # Ctrl-D: the end of input
        await asyncio.wait_for(proc.communicate(), BOUND_S)
        assert proc.returncode == 1  # no shutdown came
    finally:
        os.close(terminal)


URI_A = "file:///p/a.py"
EDIT_ON_TOP = {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}}
BEHIND_THE_REQUEST = {
    "an edit": [
        (
            "textDocument/didChange",
            {
                "textDocument": {"uri": URI_A, "version": 2},
                "contentChanges": [{**EDIT_ON_TOP, "text": "y = 2\n"}],
            },
        )
    ],
    # Editors start a buffer opened again at version 1: only the document itself tells.
    "a close and a reopen": [
        ("textDocument/didClose", {"textDocument": {"uri": URI_A}}),
        (
            "textDocument/didOpen",
            {"textDocument": {"uri": URI_A, "languageId": "python", "version": 1, "text": "z\n"}},
        ),
    ],
}


@pytest.mark.parametrize("behind", BEHIND_THE_REQUEST.values(), ids=BEHIND_THE_REQUEST.keys())
async def test_a_completion_request_overtaken_in_one_read_is_not_answered_for_the_new_text(
    behind: list[tuple[str, dict[str, Any]]],
) -> None:
    """The request and what the editor sent next in one read: pygls handles the edit (or the
    close and reopen) before it starts the request's handler, whose position then points into
    the new text."""
    with FakeFim(Reply(text="1 + 1")) as fake:
        server = await Stdio.start()
        await server.initialize({SECTION: {"apiKey": "sk-test-123456", "baseUrl": fake.url}})
        text = {"uri": URI_A, "languageId": "python", "version": 1, "text": "x = \n"}
        server.send("textDocument/didOpen", {"textDocument": text})
        asked = {
            "textDocument": {"uri": URI_A},
            "position": {"line": 0, "character": 4},
            "context": {"triggerKind": 1},
        }
        assert server.proc.stdin is not None
        server.proc.stdin.write(
            frame({"id": 50, "method": "textDocument/inlineCompletion", "params": asked})
            + b"".join(frame({"method": method, "params": params}) for method, params in behind)
        )

        answer = await asyncio.wait_for(server.answer(50), BOUND_S)
        assert answer["result"]["items"] == []
        assert fake.requests == []
        server.proc.stdin.close()
        await server.exit_code()


async def test_an_overlong_header_line_is_skipped() -> None:
    server = await Stdio.start()
    assert server.proc.stdin is not None
    server.proc.stdin.write(b"X-Junk: " + b"x" * 200_000 + b"\r\n")
    await server.initialize()
    msg_id = server.send("shutdown", request=True)
    assert (await asyncio.wait_for(server.answer(msg_id), BOUND_S))["result"] is None
    server.send("exit")
    assert await server.exit_code() == 0


_NOTE = b'{"jsonrpc": "2.0", "method": "$/note", "params": {"text": "caf\xc3\xa9 au lait"}}'


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(b"Content-Length: %d\r\n\r\n" % (len(_NOTE) - 3) + _NOTE, id="too-short"),
        pytest.param(b"Content-Length: %d\r\n\r\n" % (len(_NOTE) + 30) + _NOTE, id="too-long"),
        pytest.param(b"Content-Length: abc\r\n\r\n" + _NOTE, id="not-a-number"),
        pytest.param(b"\r\n" + _NOTE, id="no-header"),
        pytest.param(b"Content-Length: 99999999999999\r\n\r\n" + _NOTE, id="absurd"),
    ],
)
async def test_a_frame_with_a_wrong_length_costs_at_most_the_next_message(frame: bytes) -> None:
    server = await Stdio.start()
    assert server.proc.stdin is not None
    await server.initialize()
    server.proc.stdin.write(frame)
    server.send("$/note")  # the message a too-long frame eats into
    msg_id = server.send("shutdown", request=True)
    assert (await asyncio.wait_for(server.answer(msg_id), BOUND_S))["result"] is None
    server.send("exit")
    assert await server.exit_code() == 0


async def test_each_kind_of_broken_input_is_told_once() -> None:
    server = await Stdio.start(stderr=asyncio.subprocess.PIPE)
    assert server.proc.stdin is not None and server.proc.stderr is not None
    await server.initialize()
    short = b"Content-Length: %d\r\n\r\n" % (len(_NOTE) - 3) + _NOTE
    body = _NOTE.replace(b"caf", b"\xff\xfe")
    bad_bytes = b"Content-Length: %d\r\n\r\n" % len(body) + body
    server.proc.stdin.write(short + short)
    server.send("$/note")  # the message the second short frame eats into
    server.proc.stdin.write(bad_bytes + bad_bytes)
    msg_id = server.send("shutdown", request=True)
    assert (await asyncio.wait_for(server.answer(msg_id), BOUND_S))["result"] is None
    server.send("exit")
    assert await server.exit_code() == 0
    logged = await server.proc.stderr.read()
    assert logged.count(b"wrong Content-Length") == 1
    assert logged.count(b"no UTF-8") == 1


async def test_header_names_are_read_in_any_case() -> None:
    server = await Stdio.start()
    assert server.proc.stdin is not None
    await server.initialize()
    body = b'{"jsonrpc": "2.0", "id": 99, "method": "shutdown"}'
    server.proc.stdin.write(b"content-length: %d\r\n\r\n" % len(body) + body)
    assert (await asyncio.wait_for(server.answer(99), BOUND_S))["result"] is None
    server.send("exit")
    assert await server.exit_code() == 0


async def test_a_message_with_bytes_that_are_no_utf8_is_kept_and_not_logged() -> None:
    with FakeFim(Reply(text="1")) as fake:
        server = await Stdio.start(stderr=asyncio.subprocess.PIPE)
        assert server.proc.stdin is not None and server.proc.stderr is not None
        await server.initialize({SECTION: {"apiKey": "sk-test-123456", "baseUrl": fake.url}})
        text = "x = \n# private notes BYTE\n"
        params = {"textDocument": {"uri": "file:///p/a.py", "languageId": "python", "version": 1}}
        params["textDocument"]["text"] = text
        message = {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": params}
        body = json.dumps(message).encode().replace(b"BYTE", b"\xff\xfe")
        server.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        answer = await asyncio.wait_for(server.answer(server.ask("file:///p/a.py")), BOUND_S)
        assert [item["insertText"] for item in answer["result"]["items"]] == ["1"]
        assert "\ufffd" in fake.requests[0].body["prompt"] + fake.requests[0].body["suffix"]
        server.proc.stdin.close()
        await server.exit_code()
        logged = await server.proc.stderr.read()
        assert b"private notes" not in logged
        assert logged.count(b"no UTF-8") == 1


def test_only_pipes_and_sockets_are_read_on_the_loop(tmp_path: Any) -> None:
    read_end, write_end = os.pipe()
    try:
        with os.fdopen(read_end, "rb") as pipe:
            assert is_pipe(pipe) == (os.name == "posix")
    finally:
        os.close(write_end)
    with (tmp_path / "f").open("wb+") as regular:
        assert not is_pipe(regular)


def test_closed_documents_are_released() -> None:
    workspace = LspWorkspace(None)
    for i in range(50):
        workspace.put_text_document(
            types.TextDocumentItem(
                uri=f"file:///p/{i}.py", language_id="python", version=1, text="x" * 1000
            )
        )
    for i in range(50):
        workspace.remove_text_document(f"file:///p/{i}.py")

    assert workspace.text_documents == {}


def test_memory_of_unknown_documents_is_bounded() -> None:
    workspace = LspWorkspace(None)
    change = types.TextDocumentContentChangeWholeDocument(text="boo")
    for i in range(10 * _MAX_REMEMBERED):
        workspace.update_text_document(
            types.VersionedTextDocumentIdentifier(uri=f"file:///ghost/{i}.py", version=2), change
        )

    assert len(workspace._unknown) <= _MAX_REMEMBERED
    assert workspace.text_documents == {}


async def test_completions_wait_for_the_last_of_overlapping_settings_pulls() -> None:
    # Two pulls in flight (a push of nothing, twice): the first answer must not let requests
    # go out under settings the second may still change (an exclude).
    server = create_server({})
    first, second = server.pulling(), server.pulling()
    server.pulled(first)
    waiting = asyncio.ensure_future(server.settings_settled())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    server.pulled(second)
    await asyncio.wait_for(waiting, 1)


def test_handled_notifications_are_not_remembered() -> None:
    # pygls files every generator-handled notification under a fresh id and never removes it:
    # two objects a keystroke, for the life of the process, until CodestralProtocol.
    server = create_server({})
    protocol = server.protocol
    protocol._workspace = LspWorkspace(None)
    for i in range(200):
        uri = f"file:///p/{i}.py"
        protocol._handle_notification(
            types.TEXT_DOCUMENT_DID_OPEN,
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text="x = 1\n"
                )
            ),
        )
        protocol._handle_notification(
            types.TEXT_DOCUMENT_DID_CHANGE,
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text="y = 2\n")],
            ),
        )
        protocol._handle_notification(
            types.TEXT_DOCUMENT_DID_CLOSE,
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)),
        )

    assert protocol._request_futures == {}
    assert protocol.workspace.text_documents == {}


def test_an_editor_gone_mid_session_is_told_on_stderr_without_tracebacks() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "codestral_lsp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=server_env(),
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdout.close()  # the editor stops reading: every write the server makes now fails
    # A malformed initialize: the server's report of it is the write that finds the pipe closed.
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}).encode()
    proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    proc.stdin.close()
    assert proc.stderr is not None
    proc.wait(timeout=BOUND_S)
    with proc.stderr:
        stderr = proc.stderr.read().decode()
    assert "connection to the editor is lost" in stderr
    assert "Logging error" not in stderr


async def test_an_answer_that_is_not_lsp_is_logged_not_shown() -> None:
    """A ``null`` answer to ``workspace/configuration`` (a list is due) is the editor's fault:
    a log line, no error popup, and the server goes on serving."""
    with FakeFim(Reply(text="alive")) as fake:
        server = await Stdio.start()
        msg_id = server.send(
            "initialize",
            {
                "processId": None,
                "rootUri": None,
                "capabilities": {"workspace": {"configuration": True}},
                "initializationOptions": {"apiKey": "sk-test-123456", "baseUrl": fake.url},
            },
            request=True,
        )
        await asyncio.wait_for(server.answer(msg_id), BOUND_S)
        server.send("initialized", {})
        seen: list[dict[str, Any]] = []
        while (message := await asyncio.wait_for(server.read(), BOUND_S)).get("method") != (
            "workspace/configuration"
        ):
            seen.append(message)
        body = json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": None}).encode()
        assert server.proc.stdin is not None
        server.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        asked = server.ask_in_new_document()
        while (message := await asyncio.wait_for(server.read(), BOUND_S)).get("id") != asked:
            seen.append(message)
        assert [item["insertText"] for item in message["result"]["items"]] == ["alive"]
        assert [m for m in seen if m.get("method") == "window/showMessage"] == []
        logged = [m["params"]["message"] for m in seen if m.get("method") == "window/logMessage"]
        assert any("does not fit LSP" in line for line in logged)
        server.send("exit")
        await server.exit_code()


async def test_a_request_that_does_not_fit_lsp_is_answered_with_an_error() -> None:
    """pygls would drop it unanswered, leaving the editor waiting forever."""
    server = await Stdio.start(stderr=asyncio.subprocess.PIPE)
    await server.initialize()
    asked = server.send(
        "textDocument/inlineCompletion",
        {
            "textDocument": {"uri": "file:///p/a.py"},
            "position": {"line": -1, "character": 0},
            "context": {"triggerKind": 1},
        },
        request=True,
    )
    answer = await asyncio.wait_for(server.answer(asked), BOUND_S)
    assert answer["error"]["code"] == -32602  # Invalid Params
    # An unknown method is answered with its error too; neither is an error popup.
    asked = server.send("unknown/request", {}, request=True)
    seen = []
    while (message := await asyncio.wait_for(server.read(), BOUND_S)).get("id") != asked:
        seen.append(message)
    assert message["error"]["code"] == -32601  # Method Not Found
    asked = server.send("workspace/executeCommand", {"command": "nope"}, request=True)
    while (message := await asyncio.wait_for(server.read(), BOUND_S)).get("id") != asked:
        seen.append(message)
    assert message["error"]["code"] == -32602  # an unknown command
    msg_id = server.send("shutdown", request=True)
    while (message := await asyncio.wait_for(server.read(), BOUND_S)).get("id") != msg_id:
        seen.append(message)
    assert [m for m in seen if m.get("method") == "window/showMessage"] == []
    server.send("exit")
    assert await server.exit_code() == 0
    assert server.proc.stderr is not None
    assert b"Traceback" not in await server.proc.stderr.read()


async def test_a_cancel_for_an_answered_request_is_not_a_warning() -> None:
    """Editors cancel the previous keystroke's request as they send the next; often its answer
    is already on the way. That is normal: nothing on stderr (Neovim files it as an error)."""
    with FakeFim(Reply(text="1")) as fake:
        server = await Stdio.start(stderr=asyncio.subprocess.PIPE)
        proc = server.proc
        await server.initialize({SECTION: {"apiKey": "sk-test-123456", "baseUrl": fake.url}})
        asked = server.ask_in_new_document()
        for turn in range(3):
            if turn:
                asked = server.ask("file:///p/a.py")
            await asyncio.wait_for(server.answer(asked), BOUND_S)
            server.send("$/cancelRequest", {"id": asked})
        msg_id = server.send("shutdown", request=True)
        await asyncio.wait_for(server.answer(msg_id), BOUND_S)
        server.send("exit")
        assert await server.exit_code() == 0
        assert proc.stderr is not None
        assert await proc.stderr.read() == b""


async def test_a_message_that_is_no_json_rpc_is_answered_and_serving_goes_on() -> None:
    """A request without ``"jsonrpc": "2.0"`` gets InvalidRequest, a frame that is no JSON
    a ParseError with a null id (JSON-RPC 2.0): a client waiting for either does not hang."""
    server = await Stdio.start()
    try:
        await server.initialize()
        assert server.proc.stdin is not None
        for body in (b'{"id": 41, "method": "textDocument/completion", "params": {}}', b"{oops"):
            server.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        invalid = await asyncio.wait_for(server.answer(41), BOUND_S)
        assert invalid["error"]["code"] == -32600
        assert "jsonrpc" in invalid["error"]["message"]
        unreadable = await asyncio.wait_for(server.answer(None), BOUND_S)
        assert unreadable["error"]["code"] == -32700
        assert "id" in unreadable and unreadable["id"] is None
        msg_id = server.send("shutdown", request=True)
        assert (await asyncio.wait_for(server.answer(msg_id), BOUND_S))["result"] is None
        server.send("exit")
        assert await server.exit_code() == 0
    finally:
        if server.proc.returncode is None:
            server.proc.kill()
