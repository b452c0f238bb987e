"""Behind a corporate proxy, and on a network that inspects TLS: requests go through the proxy
the environment names (never for a server on this machine), and trust the roots in
``SSL_CERT_FILE`` beside certifi's. End to end through a real ``CONNECT`` proxy on 127.0.0.1 to
a real TLS server with a certificate of its own, for a host name that does not exist."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from conftest import API_KEY, PROXY_VARIABLES, SERVER, capabilities, inline, open_doc, server_env
from fake_fim import FakeFim, Reply
from fake_proxy import FakeProxy, certificate_for
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from codestral_lsp.log import REDACTOR
from codestral_lsp.proxy import ProxyUnusable, proxy_for

HOST = "fim.example.test"  # .test never resolves: only a proxy can reach it
PROXY_PASSWORD = "PROXY-PASS-5d1e"
CREDENTIALS = f"corp:{PROXY_PASSWORD}"


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The test process's environment with no proxy variable of its own."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


def test_an_https_endpoint_goes_through_https_proxy(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    environ.setenv("HTTP_PROXY", "http://other.corp:8080")
    assert proxy_for("https://codestral.mistral.ai/v1") == "http://proxy.corp:3128"
    assert proxy_for("http://gpu-box.lan:11434") == "http://other.corp:8080"


def test_a_proxy_named_without_a_scheme_is_http(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("https_proxy", "proxy.corp:3128")
    assert proxy_for("https://codestral.mistral.ai/v1") == "http://proxy.corp:3128"


def test_all_proxy_serves_when_no_scheme_has_its_own(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("ALL_PROXY", "socks5h://127.0.0.1:1080")
    assert proxy_for("https://api.mistral.ai/v1") == "socks5h://127.0.0.1:1080"


def test_no_proxy_hosts_go_direct(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    environ.setenv("NO_PROXY", "internal.corp, .mistral.ai")
    assert proxy_for("https://codestral.mistral.ai/v1") is None
    assert proxy_for("https://llm.internal.corp/v1") is None
    assert proxy_for("https://api.langdock.com/mistral/eu/v1") == "http://proxy.corp:3128"


def test_no_proxy_networks_wildcards_and_ipv6_addresses_go_direct(
    environ: pytest.MonkeyPatch,
) -> None:
    environ.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    environ.setenv(
        "NO_PROXY", "localhost, 93.184.0.0/16,2606:4700::/32, 2a00:1450::1, *.corp.test, x/99"
    )
    assert proxy_for("https://93.184.216.34/v1") is None
    assert proxy_for("https://[2606:4700::1111]:8443/v1") is None
    assert proxy_for("https://[2a00:1450::1]/v1") is None
    assert proxy_for("https://llm.corp.test/v1") is None
    assert proxy_for("https://corp.test/v1") is None
    assert proxy_for("https://94.1.2.3/v1") == "http://proxy.corp:3128"
    assert proxy_for("https://notcorp.test/v1") == "http://proxy.corp:3128"


def test_the_local_network_goes_direct(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("HTTP_PROXY", "http://proxy.corp:3128")
    for url in (
        "http://192.168.1.10:11434",
        "http://10.0.0.5:8080/v1",
        "http://[fd00::5]:8080/v1",
        "http://169.254.1.1:11434",
        "http://gpu-box:11434",
        "http://litellm:4000/v1",
    ):
        assert proxy_for(url) is None, url
    assert proxy_for("http://gpu-box.lan:11434") == "http://proxy.corp:3128"


def test_this_machine_never_goes_through_a_proxy(environ: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        environ.setenv(name, "http://proxy.corp:3128")
    for url in ("http://127.0.0.1:11434", "http://localhost:8080/v1", "https://[::1]:8443/v1"):
        assert proxy_for(url) is None


def test_no_variable_no_proxy(environ: pytest.MonkeyPatch) -> None:
    assert proxy_for("https://codestral.mistral.ai/v1") is None


def test_an_unusable_proxy_is_named_without_its_password(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("HTTPS_PROXY", f"ftp://corp:{PROXY_PASSWORD}@proxy.corp:21")
    with pytest.raises(ProxyUnusable) as raised:
        proxy_for("https://codestral.mistral.ai/v1")
    assert "ftp://***@proxy.corp:21" in str(raised.value)
    assert PROXY_PASSWORD not in str(raised.value)


def test_a_password_with_a_raw_hash_or_slash_is_unusable_and_never_shown(
    environ: pytest.MonkeyPatch,
) -> None:
    for password in ("Pw#Secret99", "1234/Secret99", "Pw?Secret99"):
        environ.setenv("HTTPS_PROXY", f"http://corp:{password}@proxy.corp:3128")
        with pytest.raises(ProxyUnusable, match="percent-encode") as raised:
            proxy_for("https://codestral.mistral.ai/v1")
        assert "http://***@proxy.corp:3128" in str(raised.value)
        assert "Secret99" not in str(raised.value)


def test_a_proxy_password_is_scrubbed_from_logs(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("HTTPS_PROXY", "socks5h://corp:p%40ss%3Aword9@proxy.corp:1080")
    assert proxy_for("https://codestral.mistral.ai/v1")
    line = "setup_socks5_connection auth=(b'corp', b'p@ss:word9') via p%40ss%3Aword9"
    assert "p@ss:word9" not in REDACTOR.scrub(line)
    assert "p%40ss%3Aword9" not in REDACTOR.scrub(line)


@pytest.mark.parametrize("named", [":3128", "http://[::1", "socks4://proxy.corp:1080"])
def test_a_proxy_url_that_cannot_be_read_is_unusable(
    environ: pytest.MonkeyPatch, named: str
) -> None:
    environ.setenv("HTTPS_PROXY", named)
    with pytest.raises(ProxyUnusable, match="cannot be used"):
        proxy_for("https://codestral.mistral.ai/v1")


@pytest.fixture
def tls_fake(tmp_path: Path) -> Iterator[tuple[FakeFim, Path]]:
    """A FIM endpoint serving HTTPS as ``HOST``, and its certificate (trusted by nobody's
    certifi: only through ``SSL_CERT_FILE``)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs openssl")
    cert, key = certificate_for(tmp_path, HOST)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with FakeFim(Reply(text="a + b")).use_tls(context) as fake:
        yield fake, cert


def check(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codestral_lsp", "check"],
        env=server_env(CODESTRAL_API_KEY=API_KEY, **env),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def check_via(tls_fake: tuple[FakeFim, Path], **proxy: str) -> subprocess.CompletedProcess[str]:
    """``check`` against the TLS fake (by its host name), with ``proxy``'s variables."""
    fake, cert = tls_fake
    return check(
        CODESTRAL_BASE_URL=f"https://{HOST}:{fake.port}/v1", SSL_CERT_FILE=str(cert), **proxy
    )


@pytest.mark.parametrize(("socks", "variable"), [(False, "HTTPS_PROXY"), (True, "ALL_PROXY")])
def test_check_goes_through_the_proxy_with_its_credentials(
    tls_fake: tuple[FakeFim, Path], socks: bool, variable: str
) -> None:
    fake, _ = tls_fake
    with FakeProxy(fake.port, credentials=CREDENTIALS, socks=socks) as proxy:
        result = check_via(tls_fake, **{variable: proxy.url(CREDENTIALS)})
    assert result.returncode == 0, result.stderr
    assert f"proxy: {proxy.scheme}://***@127.0.0.1:{proxy.port}\n" in result.stdout
    assert "test request: ok" in result.stdout
    # The proxy, not this machine, looked the host name up (which only it can).
    assert [tunnel.target for tunnel in proxy.tunnels] == [f"{HOST}:{fake.port}"]
    assert fake.requests[0].headers["Authorization"] == f"Bearer {API_KEY}"
    # The key crossed the proxy inside TLS: the proxy never had it in the clear.
    assert API_KEY.encode() not in proxy.relayed
    assert PROXY_PASSWORD not in result.stdout + result.stderr


def test_a_proxy_that_wants_credentials_is_named_in_the_failure(
    tls_fake: tuple[FakeFim, Path],
) -> None:
    fake, _ = tls_fake
    with FakeProxy(fake.port, credentials=CREDENTIALS) as proxy:
        result = check_via(tls_fake, HTTPS_PROXY=proxy.url())
    assert result.returncode == 1
    assert f"the proxy {proxy.url()} would not connect to https://{HOST}" in result.stderr
    assert "407" in result.stderr
    assert proxy.refused >= 1 and not fake.requests


def test_check_refuses_an_unusable_proxy(tls_fake: tuple[FakeFim, Path]) -> None:
    result = check_via(tls_fake, HTTPS_PROXY=f"ftp://{CREDENTIALS}@127.0.0.1:21")
    assert result.returncode == 1
    assert "ftp://***@127.0.0.1:21" in result.stderr and "cannot be used" in result.stderr
    assert PROXY_PASSWORD not in result.stdout + result.stderr
    assert not tls_fake[0].requests


def test_an_untrusted_certificate_says_where_its_root_goes(
    tls_fake: tuple[FakeFim, Path], tmp_path: Path
) -> None:
    fake, _ = tls_fake
    base_url = f"https://127.0.0.1:{fake.port}/v1"
    unnamed = check(CODESTRAL_BASE_URL=base_url)
    assert unnamed.returncode == 1 and "CERTIFICATE_VERIFY_FAILED" in unnamed.stderr
    assert "root certificate in the system's store, or named in SSL_CERT_FILE" in unnamed.stderr
    # OpenSSL skips a file it cannot read without a word: the message names it.
    missing = tmp_path / "corp-root.pem"
    typo = check(CODESTRAL_BASE_URL=base_url, SSL_CERT_FILE=str(missing))
    assert typo.returncode == 1
    assert f"SSL_CERT_FILE names {missing}, which cannot be read" in typo.stderr
    assert not fake.requests


@contextlib.asynccontextmanager
async def session(env: dict[str, str], base_url: str) -> AsyncIterator[LanguageClient]:
    """An editor session against ``base_url``, its server started with ``env``."""
    config = ClientServerConfig(server_command=SERVER.server_command, server_env=env)
    client = await config.start()
    assert isinstance(client, LanguageClient)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities("neovim@v0.11.0"),
            initialization_options={
                "apiKey": API_KEY,
                "baseUrl": base_url,
                "invokedCandidates": 1,
            },
        )
    )
    try:
        yield client
    finally:
        await client.shutdown_session()
        await client.stop()


@pytest_asyncio.fixture
async def proxied(
    tls_fake: tuple[FakeFim, Path],
) -> AsyncIterator[tuple[LanguageClient, FakeFim, FakeProxy]]:
    """An editor session whose server has every proxy variable set to a real proxy, and the
    TLS fake's certificate in ``SSL_CERT_FILE``."""
    fake, cert = tls_fake
    with FakeProxy(fake.port) as proxy:
        names = {name: proxy.url() for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY")}
        env = server_env(SSL_CERT_FILE=str(cert), **names)
        async with session(env, f"https://{HOST}:{fake.port}/v1") as client:
            yield client, fake, proxy


async def test_an_unusable_proxy_is_told_once_and_nothing_is_sent(
    tls_fake: tuple[FakeFim, Path],
) -> None:
    fake, cert = tls_fake
    env = server_env(SSL_CERT_FILE=str(cert), HTTPS_PROXY=f"socks4://{CREDENTIALS}@proxy:1080")
    async with session(env, f"https://{HOST}:{fake.port}/v1") as client:
        open_doc(client, "file:///p/calc.py", "def add(a, b):\n    return \n")
        for _ in range(3):
            assert await inline(client, "file:///p/calc.py", 1, 11) == []
        told = [m.message for m in client.messages if "cannot be used" in m.message]
        assert len(told) == 1 and "socks4://***@proxy:1080" in told[0]
        assert not any(PROXY_PASSWORD in m.message for m in client.messages)
        assert not fake.requests
        # Still serving: a server on this machine needs no proxy.
        with FakeFim(Reply(text="a + b")) as local:
            client.workspace_did_change_configuration(
                types.DidChangeConfigurationParams(settings={"codestral": {"baseUrl": local.url}})
            )
            await asyncio.sleep(0.3)
            items = await inline(client, "file:///p/calc.py", 1, 11)
        assert [item.insert_text for item in items] == ["a + b"]


async def test_completions_go_through_the_proxy_on_one_tunnel(
    proxied: tuple[LanguageClient, FakeFim, FakeProxy],
) -> None:
    client, fake, proxy = proxied
    open_doc(client, "file:///p/calc.py", "def add(a, b):\n    return \n")
    items = await inline(client, "file:///p/calc.py", 1, 11)
    assert [item.insert_text for item in items] == ["a + b"]
    open_doc(client, "file:///p/other.py", "def sub(a, b):\n    return \n")
    assert await inline(client, "file:///p/other.py", 1, 11)
    assert len(fake.requests) == 2
    # The second request reused the first's connection: one tunnel, one TLS handshake.
    assert [tunnel.target for tunnel in proxy.tunnels] == [f"{HOST}:{fake.port}"]
    assert API_KEY.encode() not in proxy.relayed
    assert not [m for m in client.messages if m.type <= types.MessageType.Warning]


async def test_a_server_on_this_machine_goes_direct(
    proxied: tuple[LanguageClient, FakeFim, FakeProxy],
) -> None:
    client, _, proxy = proxied
    with FakeFim(Reply(text="a - b")) as local:
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"codestral": {"baseUrl": local.url}})
        )
        await asyncio.sleep(0.3)
        open_doc(client, "file:///p/calc.py", "def sub(a, b):\n    return \n")
        items = await inline(client, "file:///p/calc.py", 1, 11)
    assert [item.insert_text for item in items] == ["a - b"]
    assert len(local.requests) == 1
    assert not proxy.tunnels and not proxy.refused and proxy.connections == 0
