"""Presets, the factory, and the rule that a key never crosses plain HTTP to another machine."""

from __future__ import annotations

import pytest

from codestral_lsp import context
from codestral_lsp.engine import Engine, Request
from codestral_lsp.providers import (
    Endpoint,
    InsecureHttpError,
    ProviderError,
    create,
    guard_key,
    is_loopback,
)
from codestral_lsp.settings import Settings, resolve

KEY = "sk-secret-key-5678"
# TEST-NET-1 (RFC 5737): never routed; the guard refuses before any connection is tried.
LAN = "http://192.0.2.10:8000/v1"


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:11434", True),
        ("http://127.8.9.10/v1", True),
        ("http://localhost:8080", True),
        ("http://[::1]:8080", True),
        ("http://192.0.2.10:8000/v1", False),
        ("https://api.mistral.ai/v1", False),
        ("http://127.0.0.1.example.com/v1", False),
    ],
)
def test_is_loopback(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback


def test_key_over_plain_http_to_another_machine_is_refused() -> None:
    with pytest.raises(InsecureHttpError) as caught:
        guard_key(Endpoint("openai", LAN, KEY))
    message = str(caught.value)
    assert "192.0.2.10" in message and "allowInsecureHttp" in message
    assert KEY not in message


@pytest.mark.parametrize(
    "endpoint",
    [
        Endpoint("openai", LAN, KEY, allow_insecure_http=True),
        Endpoint("openai", "https://proxy.example/v1", KEY),
        Endpoint("openai", "http://127.0.0.1:4000/v1", KEY),
        Endpoint("openai", LAN, ""),
    ],
    ids=["opted-in", "https", "loopback", "no-key"],
)
def test_guard_lets_safe_endpoints_through(endpoint: Endpoint) -> None:
    assert guard_key(endpoint) == endpoint


def test_keyless_preset_drops_a_key_it_does_not_need() -> None:
    guarded = guard_key(Endpoint("ollama", "http://192.0.2.10:11434", KEY, needs_key=False))
    assert guarded.api_key == ""


@pytest.mark.parametrize(
    ("wire", "url"),
    [
        ("mistral", "https://codestral.mistral.ai/v1/fim/completions"),
        ("openai", "https://codestral.mistral.ai/v1/completions"),
        ("chat", "https://codestral.mistral.ai/v1/chat/completions"),
        ("ollama", "https://codestral.mistral.ai/v1/api/generate"),
        ("llamacpp", "https://codestral.mistral.ai/v1/infill"),
    ],
)
def test_endpoint_urls(wire: str, url: str) -> None:
    assert Endpoint(wire, "https://codestral.mistral.ai/v1/", KEY).url == url


def test_unknown_wire_is_refused() -> None:
    with pytest.raises(ValueError, match="telnet"):
        create(Endpoint("telnet", "https://x.example", KEY))


@pytest.mark.parametrize(
    ("layer", "endpoint", "model"),
    [
        ({}, "https://codestral.mistral.ai/v1", "codestral-latest"),
        ({"provider": "mistral"}, "https://api.mistral.ai/v1", "codestral-latest"),
        ({"provider": "langdock"}, "https://api.langdock.com/mistral/eu/v1", "codestral-2501"),
        (
            {"provider": "langdock", "region": "us"},
            "https://api.langdock.com/mistral/us/v1",
            "codestral-2501",
        ),
        ({"provider": "aimlapi"}, "https://api.aimlapi.com/v1", "mistralai/codestral-2501"),
        ({"provider": "ollama"}, "http://127.0.0.1:11434", "codestral"),
        (
            {"provider": "ollama", "model": "codestral:22b"},
            "http://127.0.0.1:11434",
            "codestral:22b",
        ),
        ({"provider": "llamacpp"}, "http://127.0.0.1:8080", "codestral-latest"),
        (
            {"provider": "openai-compatible", "baseUrl": "http://127.0.0.1:4000/v1/"},
            "http://127.0.0.1:4000/v1",
            "codestral-latest",
        ),
    ],
)
def test_presets(layer: dict[str, str], endpoint: str, model: str) -> None:
    settings, problems = resolve([layer])
    assert problems == []
    assert (settings.endpoint, settings.effective_model) == (endpoint, model)


def request() -> Request:
    text = "def add(a, b):\n    return "
    ctx = context.build(text, len(text), "file:///add.py", path="/add.py")
    return Request(ctx, invoked=True, is_current=lambda: True)


def blocked(settings: Settings) -> str | None:
    return Engine(settings, lambda err: None, create).blocked_reason(request().ctx)


def test_local_servers_need_no_key() -> None:
    assert blocked(Settings(provider="ollama")) is None
    assert blocked(Settings(provider="llamacpp")) is None
    local = "http://127.0.0.1:4000/v1"
    assert blocked(Settings(provider="openai-compatible", base_url=local)) is None
    assert blocked(Settings(provider="openai-compatible", base_url=LAN)) == "no-key"
    assert blocked(Settings(provider="codestral")) == "no-key"


async def test_engine_reports_the_insecure_endpoint_instead_of_sending_the_key() -> None:
    reports: list[ProviderError] = []
    settings = Settings(api_key=KEY, provider="openai-compatible", base_url=LAN)
    engine = Engine(settings, reports.append, create)
    try:
        assert await engine.complete(request()) == ""
    finally:
        await engine.aclose()
    [report] = reports
    assert isinstance(report, InsecureHttpError)
