"""Bad and awkward input through real LSP: odd positions, unknown documents, broken edits, exotic
line breaks and characters, huge documents, wrong settings. The server answers sensibly, logs
once, never pops up errors for them, and keeps serving."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_lsp
from conftest import (
    CLIENTS,
    SERVER,
    capabilities,
    change,
    init_options,
    inline,
    insert_text,
    open_doc,
)
from fake_fim import FakeFim, Reply
from lsprotocol import types
from pytest_lsp import LanguageClient

from codestral_lsp.context import FILE_MARK, Budget

BOUND_S = 20  # a hang detector for the big documents, not a latency check
_fresh = itertools.count()

# One server per editor for the whole module (each test uses its own documents); the settings
# tests, which change server state, get a server each.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def shared_fake() -> Iterator[FakeFim]:
    with FakeFim(Reply(text="ok")) as server:
        yield server


@pytest.fixture
def fake(shared_fake: FakeFim) -> FakeFim:
    shared_fake.answer = Reply(text="ok")
    return shared_fake


@pytest_lsp.fixture(config=SERVER, params=CLIENTS, scope="module")
async def lsp(
    lsp_client: LanguageClient, shared_fake: FakeFim, request: pytest.FixtureRequest
) -> AsyncIterator[None]:
    """Each real editor's capabilities (they negotiate different position encodings)."""
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(request.param),
            initialization_options=init_options(shared_fake, debounceMs=0),
        )
    )
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=SERVER, scope="module")
async def single(lsp_client: LanguageClient, shared_fake: FakeFim) -> AsyncIterator[None]:
    """One more server, for the tests that change its settings."""
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(CLIENTS[0]),
            initialization_options=init_options(shared_fake, debounceMs=0),
        )
    )
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def popups(lsp: LanguageClient) -> Iterator[None]:
    """Fail the test if it made the server show any message."""
    before = len(lsp.messages)
    yield
    assert [m.message for m in lsp.messages[before:]] == []


def fresh(client: LanguageClient, text: str, suffix: str = ".py") -> str:
    """Open ``text`` under a URI no other test uses (nothing cached for it)."""
    uri = f"file:///p/doc{next(_fresh)}{suffix}"
    open_doc(client, uri, text)
    return uri


def encoding(client: LanguageClient) -> str:
    caps = client.capabilities
    assert caps is not None
    return str(((caps.general and caps.general.position_encodings) or ["utf-16"])[0])


def units(text: str, enc: str) -> int:
    """Length of ``text`` in the negotiated position encoding's code units."""
    if enc == "utf-8":
        return len(text.encode("utf-8"))
    if enc == "utf-16":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


async def split_at(
    client: LanguageClient, fake: FakeFim, uri: str, line: int, character: int
) -> tuple[str, str]:
    """Complete at a position and return the (prompt, suffix) the fake received."""
    before = len(fake.requests)
    await asyncio.wait_for(inline(client, uri, line, character), BOUND_S)
    assert len(fake.requests) == before + 1
    body = fake.requests[-1].body
    return code_of(body["prompt"]), body["suffix"]


def code_of(prompt: str) -> str:
    """The document's part of a prompt: what follows the multi-file header's last line (which
    names this file; other open documents' snippets come before it)."""
    mark = prompt.rfind(FILE_MARK)
    return prompt if mark < 0 else prompt[prompt.index("\n", mark) + 1 :]


async def still_serves(client: LanguageClient, fake: FakeFim) -> None:
    fake.answer = Reply(text="alive")
    uri = fresh(client, "x = \n")
    items = await asyncio.wait_for(inline(client, uri, 0, 4), BOUND_S)
    assert [insert_text(i) for i in items] == ["alive"]


async def test_crlf_document_split_exactly(lsp: LanguageClient, fake: FakeFim) -> None:
    text = "import os\r\n\r\ndef f():\r\n    return \r\n\r\nprint(f())\r\n"
    uri = fresh(lsp, text)

    prompt, suffix = await split_at(lsp, fake, uri, 3, 11)

    assert prompt == "import os\r\n\r\ndef f():\r\n    return "
    assert suffix == "\r\n\r\nprint(f())\r\n"


async def test_lone_cr_line_breaks(lsp: LanguageClient, fake: FakeFim) -> None:
    uri = fresh(lsp, "a = 1\rb = \rc = 3\r")

    assert await split_at(lsp, fake, uri, 1, 4) == ("a = 1\rb = ", "\rc = 3\r")


@pytest.mark.parametrize(
    "breaker", ["\x0c", "\x0b", "\x1c", "\x85", "\u2028", "\u2029"], ids=lambda c: f"U+{ord(c):04X}"
)
async def test_characters_python_splits_on_are_not_line_breaks(
    lsp: LanguageClient, fake: FakeFim, breaker: str
) -> None:
    # The standard library itself has form feeds between sections.
    text = f"def a():\n    pass\n{breaker}\ndef b(s='{breaker}'):\n    return \n"
    uri = fresh(lsp, text)
    line4 = "    return "

    prompt, suffix = await split_at(lsp, fake, uri, 4, units(line4, encoding(lsp)))
    assert prompt == text[: text.index("return ") + 7] and suffix == "\n"

    change(lsp, uri, 2, (3, 0), (3, 3), "async def")
    prompt, suffix = await split_at(lsp, fake, uri, 4, units(line4, encoding(lsp)))
    assert prompt.endswith(f"{breaker}\nasync def b(s='{breaker}'):\n    return ")


async def test_combining_characters_and_emoji_at_cursor(lsp: LanguageClient, fake: FakeFim) -> None:
    text = 'name = "e\u0301😀"\n'
    enc = encoding(lsp)

    # Between the base letter and its combining accent: the positions say so, so split there.
    assert await split_at(lsp, fake, fresh(lsp, text), 0, units('name = "e', enc)) == (
        'name = "e',
        '\u0301😀"\n',
    )
    # Right after the emoji (2 UTF-16 units, 4 UTF-8 bytes).
    assert await split_at(lsp, fake, fresh(lsp, text), 0, units('name = "e\u0301😀', enc)) == (
        'name = "e\u0301😀',
        '"\n',
    )
    # Inside the emoji (an invalid position): never half a character, nothing lost.
    inside = units('name = "e\u0301', enc) + 1
    prompt, suffix = await split_at(lsp, fake, fresh(lsp, text), 0, inside)
    assert prompt + suffix == text
    assert prompt.endswith(("\u0301", "😀"))


async def test_incremental_edit_after_emoji(lsp: LanguageClient, fake: FakeFim) -> None:
    uri = fresh(lsp, 'x = "😀"\ny = 2\n')
    enc = encoding(lsp)
    change(lsp, uri, 2, (0, units('x = "😀', enc)), (0, units('x = "😀', enc)), "é!")
    change(lsp, uri, 3, (1, 4), (1, 5), "")

    assert await split_at(lsp, fake, uri, 1, 4) == ('x = "😀é!"\ny = ', "\n")


@pytest.mark.parametrize(
    ("line", "character", "expected"),
    [
        pytest.param(0, 99, ("abc", "\nx = 1"), id="past-line-end"),
        pytest.param(1, 99, ("abc\nx = 1", ""), id="past-last-line-end"),
        pytest.param(40, 3, ("abc\nx = 1", ""), id="past-document-end"),
    ],
)
async def test_positions_past_line_and_document_end(
    lsp: LanguageClient,
    fake: FakeFim,
    popups: None,
    line: int,
    character: int,
    expected: tuple[str, str],
) -> None:
    assert await split_at(lsp, fake, fresh(lsp, "abc\nx = 1"), line, character) == expected


async def test_unknown_documents_answer_empty_and_log_once(
    lsp: LanguageClient, fake: FakeFim, popups: None
) -> None:
    uri = "file:///p/never-opened.py"
    for _ in range(3):
        assert await inline(lsp, uri, 0, 0) == []
        result = await lsp.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=0, character=0),
            )
        )
        assert isinstance(result, types.CompletionList) and not result.items

    assert all(uri not in str(r.body) for r in fake.requests)
    assert len([m for m in lsp.log_messages if "never-opened" in m.message]) == 1
    await still_serves(lsp, fake)


async def test_change_to_unopened_document_is_ignored(
    lsp: LanguageClient, fake: FakeFim, popups: None
) -> None:
    for version in range(2, 5):
        change(lsp, "file:///p/ghost.py", version, (0, 0), (0, 0), "boo")

    await still_serves(lsp, fake)
    assert len([m for m in lsp.log_messages if "ghost.py" in m.message]) == 1


async def test_out_of_range_and_reversed_edits_are_clamped(
    lsp: LanguageClient, fake: FakeFim, popups: None
) -> None:
    uri = fresh(lsp, "ab\ncd\n")
    change(lsp, uri, 2, (10, 0), (12, 5), "ef = ")  # past the end: append
    change(lsp, uri, 3, (0, 99), (0, 50), "!")  # past a line end: at that line's end
    change(lsp, uri, 4, (1, 2), (1, 0), "CD")  # reversed: the same range forwards

    assert await split_at(lsp, fake, uri, 2, 5) == ("ab!\nCD\nef = ", "")


def raw_notify(client: LanguageClient, method: str, params: dict[str, object]) -> None:
    """Send a notification as JSON as is: the client's converter would refuse what LSP does
    not allow."""
    client.protocol._send_data({"jsonrpc": "2.0", "method": method, "params": params})


async def test_document_text_that_is_no_string_changes_nothing(
    lsp: LanguageClient, fake: FakeFim, popups: None
) -> None:
    uri = fresh(lsp, "abc\n")
    at = {"line": 0, "character": 3}
    for version, text in enumerate((None, 5, {"a": 1}), 2):
        edit = {"range": {"start": at, "end": at}, "text": text}
        params = {"textDocument": {"uri": uri, "version": version}, "contentChanges": [edit]}
        raw_notify(lsp, types.TEXT_DOCUMENT_DID_CHANGE, params)
    opened = {"uri": "file:///p/none.py", "languageId": "python", "version": 1, "text": None}
    raw_notify(lsp, types.TEXT_DOCUMENT_DID_OPEN, {"textDocument": opened})

    assert await split_at(lsp, fake, uri, 0, 3) == ("abc", "\n")
    assert await inline(lsp, "file:///p/none.py", 0, 0) == []


async def test_nul_byte_is_sent_as_text(lsp: LanguageClient, fake: FakeFim) -> None:
    uri = fresh(lsp, "s = '\x00'\nt = \n")

    assert await split_at(lsp, fake, uri, 1, 4) == ("s = '\x00'\nt = ", "\n")


async def test_percent_encoded_uri_is_the_same_document(lsp: LanguageClient, fake: FakeFim) -> None:
    # VS Code on Windows sends file:///c%3A/...; pygls stores documents under the decoded URI.
    uri = "file:///c%3A/my%20project/calc.py"
    open_doc(lsp, uri, "total = \n")

    items = await asyncio.wait_for(inline(lsp, uri, 0, 8), BOUND_S)

    assert [insert_text(i) for i in items] == ["ok"]
    assert code_of(fake.requests[-1].body["prompt"]) == "total = "


async def test_five_megabyte_hundred_thousand_line_document(
    lsp: LanguageClient, fake: FakeFim
) -> None:
    lines = [
        f"value_{i:06d} = compute({i}, 'padding padding padding padding')\n" for i in range(100_000)
    ]
    text = "".join(lines)
    assert len(text) > 5_000_000
    uri = fresh(lsp, text)
    change(lsp, uri, 2, (50_000, 0), (50_000, 12), "edited")

    prompt, suffix = await split_at(lsp, fake, uri, 50_000, 6)

    assert prompt.endswith("\nedited") and suffix.startswith(" = compute(50000,")
    assert len(prompt) <= Budget().prefix_chars
    assert len(suffix) <= Budget().suffix_chars
    edited = text.replace("value_050000", "edited", 1)
    offset = edited.index("edited = compute(50000") + 6
    assert edited[:offset].endswith(prompt) and edited[offset:].startswith(suffix)


async def test_minified_single_line(lsp: LanguageClient, fake: FakeFim) -> None:
    text = "var a=1;function f(b){return b*2}" * 30_000
    uri = fresh(lsp, text, ".min.js")
    column = len(text) // 2

    prompt, suffix = await split_at(lsp, fake, uri, 0, column)

    assert text[:column].endswith(prompt) and text[column:].startswith(suffix)
    assert 0 < len(prompt) <= Budget().prefix_chars
    assert 0 < len(suffix) <= Budget().suffix_chars


async def test_the_end_of_a_long_repetitive_line(lsp: LanguageClient, fake: FakeFim) -> None:
    """The loop rules look at the end of the cursor line, which here is 20 KB of the user's own
    repeated data: searched whole, their backtracking took minutes per keystroke."""
    fake.answer = Reply(text="b=2;")
    text = "var s='e';" + "a=1;" * 5_000 + "\n"
    uri = fresh(lsp, text, ".js")
    items = await asyncio.wait_for(inline(lsp, uri, 0, len(text) - 1), BOUND_S)
    assert [insert_text(i) for i in items] == ["b=2;"]


async def test_wrong_typed_and_unknown_settings_reported_once_each(
    single: LanguageClient, fake: FakeFim
) -> None:
    lsp = single
    bad = {
        "baseUrl": fake.url,  # never let a bad value fall back to the real endpoint
        "temperature": "hot",
        "maxTokens": float("inf"),  # JSON's 1e400
        "exclude": ["*.txt", "[z-a]"],  # not a glob: it must not break matching
        "enable": "yes",
        "provider": ["codestral"],
        "debounceMs": "soon",
        "timeoutMs": {"ms": 5},
        "stop": [1, 2],
        "multiline": 7,
        "colour": "blue",
    }
    for _ in range(3):
        lsp.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"codestral": bad})
        )
    await asyncio.sleep(0.3)

    await still_serves(lsp, fake)
    for key in (
        "temperature",
        "maxTokens",
        "exclude",
        "enable",
        "provider",
        "debounceMs",
        "timeoutMs",
        "stop",
        "multiline",
    ):
        assert len([m for m in lsp.messages if f"codestral.{key} " in m.message]) == 1, key
    assert len(lsp.messages) == 9
    assert len([m for m in lsp.log_messages if "codestral.colour" in m.message]) == 1

    # Another key changing is no reason to repeat the problems that still stand.
    lsp.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"codestral": {**bad, "model": "m2"}})
    )
    await asyncio.sleep(0.3)
    await still_serves(lsp, fake)
    assert fake.requests[-1].body["model"] == "m2"
    assert len(lsp.messages) == 9


@contextlib.asynccontextmanager
async def started(options: object) -> AsyncIterator[LanguageClient]:
    """A session of its own, initialized with ``options``; shut down and stopped after."""
    client = await SERVER.start()
    assert isinstance(client, LanguageClient)
    try:
        await client.initialize_session(
            types.InitializeParams(
                capabilities=capabilities(CLIENTS[0]), initialization_options=options
            )
        )
        yield client
        await client.shutdown_session()
    finally:
        await client.stop()


async def test_the_log_names_no_endpoint_while_base_url_is_wrong(fake: FakeFim) -> None:
    async with started({"baseUrl": "ftp://x", "debounceMs": 0}) as client:
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"codestral": {"baseUrl": fake.url}})
        )
        await asyncio.sleep(0.3)
        await still_serves(client, fake)

    lines = [m.message for m in client.log_messages if "settings: " in m.message]
    # Completions are off, and the preset's endpoint (the cloud) is not called: not named either.
    assert "endpoint=off (codestral.baseUrl is not usable)" in lines[0]
    assert f"endpoint={fake.url} " in lines[1]
    assert not [line for line in lines if "mistral.ai" in line]


async def test_initialization_options_of_a_wrong_shape_are_told(fake: FakeFim) -> None:
    async with started({"codestral": ["baseUrl", fake.url]}) as client:
        await asyncio.sleep(0.3)
    told = [m.message for m in client.messages if "must be an object" in m.message]
    assert told == [
        'Codestral: the "codestral" section must be an object of settings, '
        "not a list; it is ignored"
    ]


async def test_a_push_for_other_tools_leaves_the_settings_and_an_empty_one_clears_them(
    single: LanguageClient, fake: FakeFim
) -> None:
    def push(settings: object) -> None:
        single.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings=settings)
        )

    push({"codestral": {"enable": False}})
    push({"python": {"analysis": {"typeCheckingMode": "strict"}}})
    await asyncio.sleep(0.3)
    asked = len(fake.requests)
    assert await inline(single, fresh(single, "x = \n"), 0, 4) == []
    assert len(fake.requests) == asked

    push({"codestral": {}})
    await asyncio.sleep(0.3)
    await still_serves(single, fake)


@pytest.mark.parametrize("settings", [None, "codestral", 42, ["x"], {"codestral": None}])
async def test_settings_of_the_wrong_shape_are_ignored(
    single: LanguageClient, fake: FakeFim, settings: object
) -> None:
    before = len(single.messages)
    single.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=settings))
    await asyncio.sleep(0.2)

    await still_serves(single, fake)
    assert single.messages[before:] == []


async def test_completion_in_an_empty_document(
    lsp: LanguageClient, fake: FakeFim, popups: None
) -> None:
    uri = fresh(lsp, "")

    items = await asyncio.wait_for(inline(lsp, uri, 0, 0), BOUND_S)
    result = await lsp.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=0, character=0),
        )
    )

    assert [insert_text(i) for i in items] == ["ok"]
    assert items[0].range == types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
    )
    assert isinstance(result, types.CompletionList) and len(result.items) == 1


async def test_a_settings_section_of_a_wrong_shape_is_told_once_and_changes_nothing(
    single: LanguageClient, fake: FakeFim
) -> None:
    lsp = single
    lsp.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"codestral": {"model": "m2"}})
    )
    for wrong in ("oops", [1, 2], "oops"):
        lsp.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"codestral": wrong})
        )
    await asyncio.sleep(0.3)

    await still_serves(lsp, fake)
    assert fake.requests[-1].body["model"] == "m2"
    told = [m.message for m in lsp.messages if "must be an object" in m.message]
    assert told == [
        'Codestral: the "codestral" section must be an object of settings, '
        "not a string; it is ignored",
        'Codestral: the "codestral" section must be an object of settings, '
        "not a list; it is ignored",
    ]
