"""Secrets: at the most verbose logging and trace, a recognisable key reaches no place the user or
the client can see (stderr, ``window/logMessage``, ``window/showMessage``, any other message,
exception text, reprs); excluded files never reach the endpoint, not even as context for another
file; the key goes only to the configured host, and never in clear text across the network."""

from __future__ import annotations

import asyncio
import json
import shutil
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import pytest_asyncio
import pytest_lsp
from conftest import (
    CLIENTS,
    SERVER,
    capabilities,
    init_options,
    inline,
    insert_text,
    open_doc,
    server_env,
)
from fake_fim import FakeFim, Received, Reply
from fake_proxy import certificate_for
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from codestral_lsp.exclude import is_excluded
from codestral_lsp.log import Redactor
from codestral_lsp.providers import Endpoint, FimRequest, ProviderError, create
from codestral_lsp.settings import DEFAULT_EXCLUDE, Settings, pasted_keys, resolve

# Three keys, one per way a key reaches the server; all recognisable, none of a known shape.
KEY_INIT = "sk-canary-INIT-5e1f0c3a9d7b24aa"
KEY_PULL = "sk-canary-PULL-77c2e0d4b9a1f3bb"
KEY_PUSH = "sk-canary-PUSH-0b8d6e2f4a9c11cc"
KEY_ODD = "sk-canary-ODD-3c9e1a7b5d2f08dd"  # pasted in a shape no key has
KEYS = (KEY_INIT, KEY_PULL, KEY_PUSH, KEY_ODD)
# A password in a baseUrl's userinfo, which is as secret as the key.
URL_PASSWORD = "pw-canary-URL-9d4c2b"
# The server logs stderr through a file here, so the test sees every byte, tracebacks included.
WRAPPER = (
    "import os, sys\n"
    "fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)\n"
    "os.dup2(fd, 2)\n"
    "from codestral_lsp.cli import main\n"
    "sys.exit(main(['--log-level', 'DEBUG']))\n"
)


def leaks(text: str) -> list[str]:
    """Keys found in ``text``, whole or cut short (an error text truncated mid-key), in any
    case; only the last 4 characters may ever be shown (as a mask)."""
    return [key for key in KEYS if key[:8].lower() in text.lower()]


def echo(status: int, bare: bool = False, lower: bool = False) -> Any:
    """An upstream that rejects the call and echoes the header it got (some gateways do; some
    ``lower``-cased); or, ``bare``, the key alone at the end of a long text, where the detail
    shown is cut."""

    def answer(received: Received) -> Reply:
        auth = received.headers.get("Authorization", "")
        auth = auth.lower() if lower else auth
        message = "x" * 265 + " key=" + auth.removeprefix("Bearer ") if bare else auth
        return Reply(status=status, body=json.dumps({"message": f"invalid token {message}"}))

    return answer


class Session:
    """A server at DEBUG, its stderr file and every message the client received."""

    def __init__(self, client: LanguageClient, stderr: Path) -> None:
        self.client = client
        self.stderr = stderr
        self.received: list[str] = []
        original = client.protocol.handle_message

        def spy(message: Any) -> Any:
            self.received.append(repr(message))
            return original(message)

        client.protocol.handle_message = spy  # type: ignore[method-assign]

    def everything(self) -> str:
        client = self.client
        shown = [m.message for m in client.messages] + [m.message for m in client.log_messages]
        return "\n".join([self.stderr.read_text(), *self.received, *shown])


@pytest_lsp.fixture(config=SERVER)
async def lsp(lsp_client: LanguageClient, fake: FakeFim) -> AsyncIterator[None]:
    """One client is enough where the editor's capabilities play no part."""
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(CLIENTS[0]), initialization_options=init_options(fake)
        )
    )
    yield
    await lsp_client.shutdown_session()


@pytest_asyncio.fixture
async def session(tmp_path: Path, fake: FakeFim) -> AsyncIterator[Session]:
    stderr = tmp_path / "stderr.log"
    config = ClientServerConfig(
        server_command=[sys.executable, "-c", WRAPPER, str(stderr)],
        server_env=SERVER.server_env,
    )
    client = await config.start()
    assert isinstance(client, LanguageClient)
    yield Session(client, stderr)
    await client.stop()


async def test_key_never_visible_at_debug_and_verbose_trace(
    session: Session, fake: FakeFim
) -> None:
    client = session.client
    client.set_configuration({"apiKey": KEY_PULL, "baseUrl": fake.url}, section="codestral")
    fake.answer = echo(401)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(CLIENTS[0]),
            initialization_options=init_options(fake, apiKey=KEY_INIT, debounceMs=0),
            trace=types.TraceValue.Verbose,
        )
    )
    client.set_trace(types.SetTraceParams(value=types.TraceValue.Verbose))
    open_doc(client, "file:///p/a.py", "x = \n")
    await asyncio.sleep(0.3)  # the pulled configuration applies after `initialized`

    assert await inline(client, "file:///p/a.py", 0, 4) == []
    fake.answer = echo(500, bare=True)
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"codestral": {"apiKey": KEY_PUSH, "baseUrl": fake.url}}
        )
    )
    await asyncio.sleep(0.3)
    assert await inline(client, "file:///p/a.py", 0, 4) == []
    await client.shutdown_session()

    # The scenario happened: every key was used, both failures were told, pygls logged the
    # initialize parameters and the configuration it pulled.
    sent = [r.headers["Authorization"] for r in fake.requests]
    # The 500 was for an invoked request, so it was tried once more.
    assert sent == [f"Bearer {KEY_PULL}", f"Bearer {KEY_PUSH}", f"Bearer {KEY_PUSH}"]
    assert any("CODESTRAL_API_KEY" in m.message for m in client.messages)
    assert any("HTTP 500" in m.message for m in client.messages)
    log = session.stderr.read_text()
    assert "initialization_options" in log and "DEBUG" in log
    assert "Received result for message" in log  # the configuration the server pulled
    assert leaks(session.everything()) == []


# Shapes of a key pasted wrong: each is refused, and each must still be hidden wherever it is
# logged (pygls logs the initialize parameters at DEBUG, before any of our code runs).
ODD_SHAPES = [
    pytest.param(f'"{KEY_ODD}"', id="double-quoted"),
    pytest.param(f"'{KEY_ODD}'", id="single-quoted"),
    pytest.param(f"  {KEY_ODD}  ", id="padded"),
    pytest.param([KEY_ODD], id="list"),
    pytest.param({"value": KEY_ODD}, id="mapping"),
]


@pytest.mark.parametrize("pasted", ODD_SHAPES)
async def test_a_key_of_any_shape_is_hidden_where_pygls_logs_it(
    session: Session, fake: FakeFim, pasted: object
) -> None:
    client = session.client
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(CLIENTS[0]),
            initialization_options={"codestral": init_options(fake, apiKey=pasted)},
        )
    )
    await client.shutdown_session()

    log = session.stderr.read_text()
    assert "Language server initialized" in log and "initialization_options" in log
    assert leaks(session.everything()) == []


@pytest.mark.parametrize("pasted", ODD_SHAPES)
@pytest.mark.parametrize("render", [repr, json.dumps], ids=["repr", "json"])
def test_the_log_hides_a_key_field_of_any_shape_it_never_saw(
    pasted: object, render: Callable[[object], str]
) -> None:
    options = {"codestral": {"apiKey": pasted, "model": "m-after"}, "other": 1}
    line = f"initialized Params(initialization_options={render(options)}, trace=None)"

    scrubbed = Redactor().scrub(line)

    assert leaks(scrubbed) == []
    # Only the value is hidden: what follows it still reads.
    assert "m-after" in scrubbed and scrubbed.endswith(", trace=None)")
    # Cut short mid-value (a long line truncated), the rest of it is hidden.
    assert leaks(Redactor().scrub(line[: line.index(KEY_ODD) + 10])) == []


def test_the_keys_of_initialization_options_are_known_before_they_are_logged() -> None:
    options = {"codestral": {"apiKey": {"value": [f' "{KEY_ODD}" ']}, "model": "m"}}
    assert pasted_keys(options) == [KEY_ODD]


async def test_credentials_in_the_base_url_are_never_shown(
    lsp: LanguageClient, fake: FakeFim
) -> None:
    fake.answer = Reply(status=401, body=json.dumps({"message": "no"}))
    with_password = fake.url.replace("://", f"://user:{URL_PASSWORD}@")
    lsp.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"codestral": {"baseUrl": with_password}})
    )
    await asyncio.sleep(0.3)
    open_doc(lsp, "file:///p/a.py", "x = \n")

    assert await inline(lsp, "file:///p/a.py", 0, 4) == []

    assert len(fake.requests) == 1  # the call went to that endpoint
    # With the key, not as HTTP Basic auth built from the URL (which would replace it).
    assert fake.requests[0].headers["Authorization"].startswith("Bearer ")
    told = [m.message for m in lsp.messages + lsp.log_messages]
    assert sum("user:password in baseUrl is not sent" in m for m in told) == 1
    masked = fake.url.replace("://", "://***@")
    assert any(masked in m and "rejected" in m for m in told)  # the popup names the endpoint
    assert any(f"endpoint={masked}" in m for m in told)  # and so does the settings log line
    assert not [m for m in told if URL_PASSWORD in m]


def test_check_shows_the_base_url_without_its_credentials(fake: FakeFim) -> None:
    fake.answer = Reply(text="a + b")
    done = subprocess.run(
        [sys.executable, "-m", "codestral_lsp", "check"],
        env=server_env(
            CODESTRAL_API_KEY=KEY_INIT,
            CODESTRAL_BASE_URL=fake.url.replace("://", f"://user:{URL_PASSWORD}@"),
        ),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert f"endpoint: {fake.url.replace('://', '://***@')}" in done.stdout
    assert URL_PASSWORD not in done.stdout + done.stderr


async def test_a_quoted_key_is_named_once_and_never_sent(fake: FakeFim) -> None:
    config = ClientServerConfig(
        server_command=SERVER.server_command,
        server_env=server_env(CODESTRAL_API_KEY=f'"{KEY_ODD}"', CODESTRAL_BASE_URL=fake.url),
    )
    client = await config.start()
    assert isinstance(client, LanguageClient)
    try:
        await client.initialize_session(
            types.InitializeParams(capabilities=capabilities(CLIENTS[0]))
        )
        open_doc(client, "file:///p/a.py", "x = \n")
        for quoted in (f"'{KEY_PUSH}'", f"'{KEY_PUSH}'", None):
            client.workspace_did_change_configuration(
                types.DidChangeConfigurationParams(settings={"codestral": {"apiKey": quoted}})
            )
            await asyncio.sleep(0.3)
            await inline(client, "file:///p/a.py", 0, 4)
        await client.shutdown_session()
    finally:
        await client.stop()

    quoted_told = [m.message for m in client.messages if "looks quoted" in m.message]
    # Each setting is named once (the environment's again once the push no longer hides it).
    assert [("CODESTRAL_API_KEY" in m, "codestral.apiKey" in m) for m in quoted_told] == [
        (True, True),
        (False, True),
        (True, True),
    ]
    # Refused, not sent as `Bearer "..."`: the local endpoint was called without a key.
    assert fake.requests
    assert {r.headers.get("Authorization") for r in fake.requests} == {None}
    assert leaks("\n".join(m.message for m in client.messages + client.log_messages)) == []


@pytest.mark.parametrize(("bare", "lower"), [(False, False), (True, False), (False, True)])
def test_commands_at_debug_never_print_the_key(
    fake: FakeFim, tmp_path: Path, bare: bool, lower: bool
) -> None:
    fake.answer = echo(422 if bare else 401, bare=bare, lower=lower)
    source = tmp_path / "a.py"
    source.write_text("x = \n")
    env = {
        **SERVER.server_env,  # type: ignore[dict-item]
        "CODESTRAL_API_KEY": KEY_INIT,
        "CODESTRAL_BASE_URL": fake.url,
        "CODESTRAL_LOG_LEVEL": "DEBUG",
    }
    for args in (["check"], ["complete", f"{source}:1:5"]):
        done = subprocess.run(
            [sys.executable, "-m", "codestral_lsp", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode != 0  # the key was rejected
        assert leaks(done.stdout + done.stderr) == [], args
    assert len(fake.requests) == 2


@pytest.mark.parametrize(
    "shown",
    [str.lower, str.upper, lambda key: quote(key, safe=""), lambda key: quote(key, safe="")[:14]],
    ids=["lower", "upper", "url-encoded", "url-encoded-cut"],
)
def test_the_log_hides_a_key_echoed_in_another_form(shown: Callable[[str], str]) -> None:
    key = "sk-Canary+ECHO/5e1f0c3a9d7b24aa=="
    redactor = Redactor()
    redactor.add(key)

    assert redactor.scrub(f"İ rejected {shown(key)} (ß)") == "İ rejected *** (ß)"


async def test_exception_text_and_reprs_hide_the_key(fake: FakeFim) -> None:
    fake.answer = echo(401)
    endpoint = Endpoint("mistral", fake.url, KEY_INIT)
    provider = create(endpoint)
    try:
        with pytest.raises(ProviderError) as caught:
            async for _ in provider.stream(FimRequest("a", "b", "codestral-latest", 4)):
                pass
    finally:
        await provider.aclose()

    assert "invalid token Bearer ***" in str(caught.value)
    texts = [str(caught.value), repr(caught.value), repr(endpoint), repr(provider)]
    texts.append(repr(Settings(api_key=KEY_INIT)))
    assert leaks("\n".join(texts)) == []


@pytest.mark.parametrize(
    "path",
    [
        "/repo/.env",
        "/repo/.env.production",
        "/repo/.envrc",
        "/repo/deploy/prod.env",
        "/repo/certs/server.pem",
        "/etc/ssl/private/tls.key",
        "/home/u/.ssh/id_rsa",
        "/home/u/.ssh/id_rsa.pub",
        "/home/u/.ssh/id_ed25519",
        "/repo/store.p12",
        "/home/u/.npmrc",
        "/home/u/.pypirc",
        "/home/u/.aws/credentials",
        "/repo/credentials.json",
        "/repo/secrets/db.yaml",
        "/repo/config/secrets/deep/token.txt",
        "C:\\repo\\.env",
        "/repo/.ENV.LOCAL",
        "/home/u/.pgpass",
        "/srv/.htpasswd",
        "/repo/infra/prod.tfvars",
        "/repo/infra/terraform.tfstate",
        "/home/u/.kube/config",
        "/repo/kubeconfig.yaml",
        "/home/u/.docker/config.json",
        "/home/u/.ssh/config",
    ],
)
def test_default_excludes_cover_secret_files(path: str) -> None:
    assert is_excluded(path, DEFAULT_EXCLUDE)


@pytest.mark.parametrize(
    "path",
    ["/repo/environment.py", "/repo/keyboard.py", "/repo/src/secretary.py", "/repo/monkey.ts"],
)
def test_default_excludes_spare_ordinary_files(path: str) -> None:
    assert not is_excluded(path, DEFAULT_EXCLUDE)


def test_a_pattern_written_from_the_workspace_root_matches() -> None:
    assert is_excluded("/repo/private/a.py", ["./private/*.py"])
    assert not is_excluded("/repo/public/a.py", ["./private/*.py"])


def test_a_later_negated_pattern_lets_files_back_in() -> None:
    patterns = [*DEFAULT_EXCLUDE, "*.md", "!.env.example", "!docs/**"]
    assert not is_excluded("/repo/.env.example", patterns)
    assert is_excluded("/repo/.env", patterns)
    assert is_excluded("/repo/README.md", patterns)
    assert not is_excluded("/repo/docs/guide.md", patterns)
    assert is_excluded("/repo/docs/guide.md", [*patterns, "guide.md"])


def test_a_list_of_ones_own_keeps_the_default_excludes() -> None:
    settings, problems = resolve([{"exclude": ["*.md"]}])
    assert problems == []
    assert is_excluded("/repo/.env", settings.exclude)
    assert is_excluded("/repo/notes.md", settings.exclude)
    settings, _ = resolve([{"exclude": "!*.key"}])
    assert not is_excluded("/repo/src/cache.key", settings.exclude)
    assert is_excluded("/repo/cert.pem", settings.exclude)


def test_a_pattern_that_is_no_glob_leaves_the_others_in_force() -> None:
    settings, problems = resolve([{"exclude": ["*.md", "[z-a]", "!cert.pem", "![z-a].key"]}])
    (problem,) = problems
    assert problem.key == "exclude"
    assert "'[z-a]', '![z-a].key'" in problem.message
    assert "other patterns apply" in problem.message
    assert is_excluded("/repo/notes.md", settings.exclude)
    assert is_excluded("/repo/z.key", settings.exclude)
    assert not is_excluded("/repo/cert.pem", settings.exclude)
    settings, _ = resolve([{"exclude": ["*.md"]}, {"exclude": ["*.txt", "[z-a]"]}])
    assert is_excluded("/repo/a.txt", settings.exclude)


EXCLUDED = [
    "file:///repo/.env",
    "file:///repo/.env.local",
    "file:///repo/certs/server.pem",
    "file:///home/u/.ssh/id_rsa",
    "file:///repo/secrets/db.yaml",
    "file:///repo/my%20secrets/../secrets/api.txt",
    "file:///repo/.npmrc",
]


async def test_excluded_files_never_reach_the_endpoint(lsp: LanguageClient, fake: FakeFim) -> None:
    fake.answer = Reply(text="x")
    for i, uri in enumerate(EXCLUDED):
        open_doc(lsp, uri, f"TOKEN = 'MARKER-{i}-do-not-send'\nVALUE = \n", language="text")
    for uri in EXCLUDED:
        assert await inline(lsp, uri, 1, 8) == []
    assert await inline(lsp, EXCLUDED[0], 1, 8) == []
    # The user reading the log learns why, once per document, not per keystroke.
    told = [m.message for m in lsp.log_messages if "matches a pattern in exclude" in m.message]
    assert len(told) == len(EXCLUDED)
    # Other files, opened after them, may draw on open documents for context: never these.
    open_doc(lsp, "file:///repo/app/main.py", "import os\n\nTOKEN = \n")
    open_doc(lsp, "file:///repo/app/util.py", "def helper():\n    return \n")

    items = await inline(lsp, "file:///repo/app/main.py", 2, 8)
    await inline(lsp, "file:///repo/app/util.py", 1, 11)

    assert [insert_text(i) for i in items] == ["x"]
    assert len(fake.requests) == 2
    wire = json.dumps([r.body for r in fake.requests] + [r.headers for r in fake.requests])
    assert "MARKER" not in wire and "do-not-send" not in wire


async def test_a_file_the_pulled_settings_exclude_is_not_sent_before_they_arrive(
    bare: LanguageClient, fake: FakeFim
) -> None:
    # The server pulls the client's settings at `initialized`; a request sent right after
    # (an editor restoring its session) must not go out before the answer, which excludes
    # the file.
    fake.answer = Reply(text="x")
    bare.set_configuration({"exclude": ["private/**"]}, section="codestral")
    await bare.initialize_session(
        types.InitializeParams(
            capabilities=capabilities("neovim@v0.11.0"), initialization_options=init_options(fake)
        )
    )
    uri = "file:///repo/private/notes.py"
    open_doc(bare, uri, "TOKEN = 'MARKER-do-not-send'\nVALUE = \n")
    assert await inline(bare, uri, 1, 8) == []
    open_doc(bare, "file:///repo/app/main.py", "import os\n\nTOKEN = \n")
    assert [insert_text(i) for i in await inline(bare, "file:///repo/app/main.py", 2, 8)] == ["x"]
    assert "MARKER" not in json.dumps([r.body for r in fake.requests])


async def test_key_goes_only_to_the_configured_host(lsp: LanguageClient, fake: FakeFim) -> None:
    with FakeFim(Reply(text="stolen")) as elsewhere:
        location = elsewhere.url + "/fim/completions"
        fake.answer = Reply(status=307, headers={"Location": location})
        open_doc(lsp, "file:///p/a.py", "x = \n")

        assert await inline(lsp, "file:///p/a.py", 0, 4) == []

        assert len(fake.requests) == 1
        assert elsewhere.requests == []  # redirects are not followed, with or without the key
        # The user is told where the endpoint points, to fix baseUrl.
        assert [m for m in lsp.messages if "redirected to" in m.message and location in m.message]


async def test_plain_http_to_another_host_is_refused_and_told_once(
    lsp: LanguageClient, fake: FakeFim
) -> None:
    # Never contacted: the gate stops the call before any connection (or name lookup).
    remote = "http://codestral.example.invalid/v1"
    for _ in range(2):
        lsp.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"codestral": {"baseUrl": remote}})
        )
    await asyncio.sleep(0.3)
    open_doc(lsp, "file:///p/a.py", "x = \n")

    assert await inline(lsp, "file:///p/a.py", 0, 4) == []
    told = [m for m in lsp.messages if "plain HTTP" in m.message]
    assert len(told) == 1 and "allowInsecureHttp" in told[0].message

    lsp.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"codestral": {"baseUrl": fake.url}})
    )
    await asyncio.sleep(0.3)
    fake.answer = Reply(text="ok")
    assert [insert_text(i) for i in await inline(lsp, "file:///p/a.py", 0, 4)] == ["ok"]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl tool")
async def test_key_not_sent_when_tls_is_not_verified(
    lsp: LanguageClient, fake: FakeFim, tmp_path: Path
) -> None:
    cert, key = certificate_for(tmp_path, "127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with FakeFim(Reply(text="tls")).use_tls(context) as untrusted:
        # The fake itself works for a client that trusts its certificate.
        trusting = ssl.create_default_context(cafile=str(cert))
        body = {"model": "m", "prompt": "a", "suffix": "", "stream": False}
        async with httpx.AsyncClient(verify=trusting) as direct:
            answer = await direct.post(untrusted.url + "/fim/completions", json=body)
        assert answer.status_code == 200 and len(untrusted.requests) == 1

        lsp.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"codestral": {"baseUrl": untrusted.url}})
        )
        await asyncio.sleep(0.3)
        open_doc(lsp, "file:///p/a.py", "x = \n")
        for _ in range(2):
            assert await inline(lsp, "file:///p/a.py", 0, 4) == []

        assert len(untrusted.requests) == 1  # only the trusting client's: no request, no key
        told = [m.message for m in lsp.messages if "certificate" in m.message.lower()]
        assert len(told) == 1
