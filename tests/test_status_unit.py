"""The status rules and the tracker that sends a status only when it changes."""

from __future__ import annotations

import dataclasses

from codestral_lsp.providers import (
    AuthError,
    RateLimitError,
    UpstreamError,
)
from codestral_lsp.settings import Settings
from codestral_lsp.status import READY, Status, StatusTracker, from_error, from_settings


def test_status_from_settings() -> None:
    assert from_settings(Settings(api_key="k" * 10)) == READY
    assert from_settings(Settings()).kind == "Error"
    assert "CODESTRAL_API_KEY" in from_settings(Settings()).message
    assert from_settings(Settings(api_key="k" * 10, enable=False)).kind == "Inactive"
    # A server on this machine needs no key (the engine lets such requests through).
    assert from_settings(Settings(base_url="http://127.0.0.1:8080/v1")) == READY
    assert from_settings(Settings(provider="ollama")) == READY
    assert from_settings(Settings(provider="openai-compatible", api_key="k" * 10)).kind == "Error"
    # Off because the endpoint the user named cannot be used: said so, not "enable is false".
    off = from_settings(Settings(api_key="k" * 10, off="codestral.provider is not usable"))
    assert off == Status("Error", "off: codestral.provider is not usable")


def test_status_from_errors() -> None:
    assert from_error(AuthError("401")) == Status("Error", "API key rejected")
    assert from_error(RateLimitError("429")) == Status("Warning", "rate limited")
    assert from_error(UpstreamError("502")).kind == "Warning"


def test_tracker_sends_nothing_before_start_then_only_changes() -> None:
    sent: list[Status] = []
    tracker = StatusTracker(sent.append)
    tracker.set(Status("Error", "no API key"))
    tracker.set(READY)
    assert sent == []
    tracker.start()
    assert sent == [READY]
    tracker.set(READY)
    tracker.busy(+1)
    tracker.busy(+1)
    tracker.busy(-1)
    tracker.busy(-1)
    tracker.busy(-1)  # never below zero
    assert sent == [READY, dataclasses.replace(READY, busy=True), READY]
    tracker.set(Status("Warning", "rate limited", busy=True))  # busy comes from the count only
    assert sent[-1] == Status("Warning", "rate limited", busy=False)
    assert tracker.current.to_json() == {
        "kind": "Warning",
        "message": "rate limited",
        "busy": False,
    }
