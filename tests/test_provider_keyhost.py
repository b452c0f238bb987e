"""The two Mistral hosts, whose keys differ, played by two local fakes: the server sends the
key only to the configured one and says what to try; ``check --key-host`` asks both."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from fake_fim import Reply
from fake_proxy import FakeProxy
from fake_wires import FakeWire

from codestral_lsp import context
from codestral_lsp.commands import check_command
from codestral_lsp.engine import Engine, Request
from codestral_lsp.providers import AuthError, ProviderError, create, keyhost
from codestral_lsp.server import auth_message
from codestral_lsp.settings import Settings

CODESTRAL_KEY = "ck-1111aaaa-0000"
MISTRAL_KEY = "mk-2222bbbb-0000"


@pytest.fixture
def hosts() -> Iterator[tuple[FakeWire, FakeWire]]:
    """``codestral.mistral.ai`` and ``api.mistral.ai``, each accepting only its own key."""
    with (
        FakeWire("mistral", Reply(text="a + b"), keys={CODESTRAL_KEY}) as codestral,
        FakeWire("mistral", Reply(text="a - b"), keys={MISTRAL_KEY}) as mistral,
    ):
        yield codestral, mistral


def urls(codestral: FakeWire, mistral: FakeWire) -> dict[str, str]:
    return {"codestral": codestral.url, "mistral": mistral.url}


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


async def test_owner_names_the_host_that_accepts_the_key(
    hosts: tuple[FakeWire, FakeWire],
) -> None:
    both = urls(*hosts)
    assert await keyhost.owner(CODESTRAL_KEY, both) == "codestral"
    assert await keyhost.owner(MISTRAL_KEY, both) == "mistral"
    assert await keyhost.owner("other-key-00000000", both) is None
    probe = hosts[1].requests[0]
    assert (probe.method, probe.path) == ("GET", "/v1/models")
    assert probe.headers["Authorization"].startswith("Bearer ")


async def test_unreachable_host_is_unknown() -> None:
    assert await keyhost.key_works(closed_port_url(), MISTRAL_KEY) is None


def request(text: str = "def add(a, b):\n    return ") -> Request:
    ctx = context.build(text, len(text), "file:///add.py", path="/add.py")
    return Request(ctx, invoked=True, is_current=lambda: True)


async def test_a_refused_key_goes_to_no_other_host_and_the_message_says_what_to_try(
    hosts: tuple[FakeWire, FakeWire],
) -> None:
    codestral, mistral = hosts
    reports: list[ProviderError] = []
    settings = Settings(api_key=MISTRAL_KEY, provider="codestral")
    engine = Engine(settings, reports.append, create, urls(codestral, mistral))
    try:
        assert engine.endpoint() == codestral.url
        assert await engine.complete(request()) == ""
        assert engine.circuit.auth_failed
    finally:
        await engine.aclose()
    [report] = reports
    assert isinstance(report, AuthError)
    # What the editor shows for it names both hosts' providers and the check that tells.
    message = auth_message(engine.endpoint(), report, settings)
    assert "HTTP 401" in message
    assert 'a Mistral key only on api.mistral.ai (provider "mistral")' in message
    assert "codestral-lsp check --key-host" in message
    assert MISTRAL_KEY not in message
    assert [r.path for r in codestral.completions] == ["/v1/fim/completions"]
    assert mistral.requests == []


async def test_no_mistral_advice_for_a_base_url_the_user_chose(
    hosts: tuple[FakeWire, FakeWire],
) -> None:
    codestral, mistral = hosts
    reports: list[ProviderError] = []
    settings = Settings(api_key=MISTRAL_KEY, provider="codestral", base_url=codestral.url)
    engine = Engine(settings, reports.append, create, urls(codestral, mistral))
    try:
        assert await engine.complete(request()) == ""
    finally:
        await engine.aclose()
    assert [type(r) for r in reports] == [AuthError]
    assert "--key-host" not in auth_message(engine.endpoint(), reports[0], settings)
    assert mistral.requests == []


@pytest.mark.parametrize(
    ("provider", "key", "exit_code", "line"),
    [
        ("codestral", CODESTRAL_KEY, 0, 'belongs to {codestral} (provider "codestral")'),
        ("mistral", MISTRAL_KEY, 0, 'belongs to {mistral} (provider "mistral")'),
        (
            "codestral",
            MISTRAL_KEY,
            1,
            'belongs to {mistral}, not {codestral}: set codestral.provider = "mistral"',
        ),
        ("mistral", "stranger-key-9999", 1, "was accepted by neither {codestral} nor {mistral}"),
    ],
)
async def test_check_reports_the_key_host(
    hosts: tuple[FakeWire, FakeWire],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    provider: str,
    key: str,
    exit_code: int,
    line: str,
) -> None:
    codestral, mistral = hosts
    for var in ("CODESTRAL_BASE_URL", "MISTRAL_API_KEY", "CODESTRAL_MODEL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("CODESTRAL_API_KEY", key)
    monkeypatch.setenv("CODESTRAL_PROVIDER", provider)
    assert await check_command(True, urls(codestral, mistral)) == exit_code
    out, err = capsys.readouterr()
    names = {"codestral": f"127.0.0.1:{codestral.port}", "mistral": f"127.0.0.1:{mistral.port}"}
    assert line.format(**names) in out
    assert key not in out + err
    if exit_code == 0:
        assert "test request: ok in" in out
    else:
        assert "HTTP 401" in err


async def test_check_asks_no_other_host_unless_told(
    hosts: tuple[FakeWire, FakeWire],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    codestral, mistral = hosts
    for var in ("CODESTRAL_BASE_URL", "MISTRAL_API_KEY", "CODESTRAL_MODEL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("CODESTRAL_API_KEY", MISTRAL_KEY)
    monkeypatch.setenv("CODESTRAL_PROVIDER", "codestral")
    assert await check_command(False, urls(codestral, mistral)) == 1
    out, err = capsys.readouterr()
    assert "belongs to" not in out
    assert "HTTP 401" in err
    assert 'set codestral.provider = "mistral"' in err
    assert "check --key-host" in err
    assert mistral.requests == []
    assert [r.path for r in codestral.requests] == ["/v1/fim/completions"]


async def test_the_probe_goes_through_the_proxy_it_is_given(
    hosts: tuple[FakeWire, FakeWire],
) -> None:
    codestral, _ = hosts
    # A host name nothing resolves: only the proxy (SOCKS, which tunnels plain HTTP too) can
    # reach it, and it leads to the local fake.
    url = f"http://keys.example.test:{codestral.port}/v1"
    with FakeProxy(codestral.port, socks=True) as proxy:
        said = await keyhost.verdicts(CODESTRAL_KEY, {"codestral": url}, {"codestral": proxy.url()})
    assert said == {"codestral": True}
    assert [tunnel.target for tunnel in proxy.tunnels] == [f"keys.example.test:{codestral.port}"]
