"""Settings: defaults, precedence, validation, and the README table kept in step."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from codestral_lsp.log import Redactor
from codestral_lsp.providers import Endpoint
from codestral_lsp.settings import (
    SPECS,
    Settings,
    from_env,
    mask,
    mask_url,
    pushed_section,
    resolve,
    section,
)


def test_defaults_match_interface() -> None:
    settings, problems = resolve([])
    assert problems == []
    assert settings.provider == "codestral"
    assert settings.endpoint == "https://codestral.mistral.ai/v1"
    assert settings.effective_model == "codestral-latest"
    assert settings.enable is True
    assert settings.multiline == "auto"
    assert settings.region == "eu"
    assert settings.allow_insecure_http is False
    assert ".env" in settings.exclude and "*.pem" in settings.exclude


def test_env_codestral_key_wins_over_mistral_key() -> None:
    layer = from_env({"MISTRAL_API_KEY": "mistral-key", "CODESTRAL_API_KEY": "codestral-key"})
    assert layer["apiKey"] == "codestral-key"
    assert from_env({"MISTRAL_API_KEY": "mistral-key"})["apiKey"] == "mistral-key"


def test_env_base_url_overrides_preset_and_client_overrides_env() -> None:
    env = from_env({"CODESTRAL_BASE_URL": "http://127.0.0.1:9/v1", "CODESTRAL_API_KEY": "k1"})
    settings, _ = resolve([env])
    assert settings.endpoint == "http://127.0.0.1:9/v1"
    settings, _ = resolve([env, {"apiKey": "k2"}, {"baseUrl": "https://gw.example/v1/"}])
    assert settings.api_key == "k2"
    assert settings.endpoint == "https://gw.example/v1"


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        pytest.param("temperature", "hot", "0 to 1.5", id="temperature-string"),
        pytest.param("temperature", 3, "0 to 1.5", id="temperature-range"),
        pytest.param("maxTokens", 0, "from 1 to", id="max-tokens-zero"),
        pytest.param("maxTokens", True, "from 1 to", id="max-tokens-bool"),
        pytest.param("maxTokens", float("inf"), "from 1 to", id="max-tokens-infinite"),
        pytest.param("maxTokens", 10**300, "from 1 to", id="max-tokens-huge"),
        pytest.param("timeoutMs", float("nan"), "from 1 to", id="timeout-nan"),
        pytest.param("debounceMs", -5, "from 0 to", id="debounce-negative"),
        pytest.param("promptTokens", float("inf"), "from 200 to", id="prompt-tokens-infinite"),
        pytest.param("enable", "yes", "true or false", id="enable-string"),
        pytest.param("multiline", "sometimes", '"auto"', id="multiline-choice"),
        pytest.param("provider", "openai", '"codestral"', id="provider-unknown"),
        pytest.param("exclude", [1, 2], "list of strings", id="exclude-ints"),
        pytest.param("baseUrl", "ftp://x", "http", id="base-url-scheme"),
        pytest.param("baseUrl", "http://", "with a host", id="base-url-no-host"),
        pytest.param("baseUrl", "http://[::1", "with a host", id="base-url-broken"),
        pytest.param("region", "e u/", "region name", id="region-not-a-name"),
    ],
)
def test_wrong_value_names_key_and_falls_back(key: str, value: object, expected: str) -> None:
    settings, problems = resolve([{key: value, "model": "codestral-2508"}])
    (problem,) = problems
    assert problem.key == key
    assert f"codestral.{key}" in problem.message and expected in problem.message
    spec = next(s for s in SPECS if s.key == key)
    assert getattr(settings, spec.attr) == getattr(Settings(), spec.attr)
    assert settings.model == "codestral-2508"


def test_bad_api_key_value_is_not_echoed() -> None:
    _, problems = resolve([{"apiKey": ["sk-secret-value"]}])
    assert "sk-secret-value" not in problems[0].message


@pytest.mark.parametrize(
    "pasted",
    [
        pytest.param('"sk-abcdefgh-1234"', id="double"),
        pytest.param("'sk-abcdefgh-1234'", id="single"),
        pytest.param(" 'sk-abcdefgh-1234' ", id="single-padded"),
        pytest.param("`sk-abcdefgh-1234`", id="backticks"),
        pytest.param("\u201csk-abcdefgh-1234\u201d", id="curly"),
        pytest.param('sk-abcdefgh-1234"', id="one-end"),
    ],
)
def test_a_quoted_key_is_named_as_quoted_and_refused(pasted: str) -> None:
    env = from_env({"CODESTRAL_API_KEY": pasted})
    for layers in ([env], [env, {"apiKey": pasted}]):
        settings, problems = resolve(layers)
        (problem,) = problems
        assert problem.key == "apiKey" and "looks quoted" in problem.message
        assert settings.api_key == ""  # not sent as `Bearer "sk-…"`
        assert "abcdefgh" not in problem.message
    assert "environment variable CODESTRAL_API_KEY" in resolve([env])[1][0].message


def test_a_key_padded_with_spaces_is_taken_without_them() -> None:
    settings, problems = resolve([from_env({"CODESTRAL_API_KEY": " k1 "}), {"apiKey": " k2\t"}])
    assert (settings.api_key, problems) == ("k2", [])


def test_credentials_in_a_base_url_are_masked_where_it_is_shown() -> None:
    settings, _ = resolve([{"baseUrl": "https://user:pw-secret@gw.example/v1"}])
    assert settings.endpoint == "https://user:pw-secret@gw.example/v1"  # still used as given
    assert settings.public_view()["baseUrl"] == "https://***@gw.example/v1"
    _, problems = resolve([{"baseUrl": "ftp://user:pw-secret@gw.example/v1"}])
    assert "'ftp://***@gw.example/v1'" in problems[0].message
    assert mask_url("http://a@b@127.0.0.1:9/v1") == "http://***@127.0.0.1:9/v1"
    assert mask_url("https://gw.example/v1") == "https://gw.example/v1"


@pytest.mark.parametrize("password", ["pw#secret", "pw/secret", "12?secret", "7/secret"])
def test_a_base_url_whose_password_ends_its_host_early_is_refused_unshown(password: str) -> None:
    # A raw "/", "?" or "#" ends the authority: the host would be "user" (port "pw…"), and
    # the key would go there.
    settings, problems = resolve([{"baseUrl": f"https://user:{password}@gw.example/v1"}])
    assert settings.base_url == ""  # none (completions are off until it is mended)
    assert [p.key for p in problems] == ["baseUrl"]
    assert "percent-encoded" in problems[0].message
    assert "secret" not in problems[0].message
    assert "'https://***@gw.example/v1'" in problems[0].message
    encoded = resolve([{"baseUrl": "https://user:pw%23secret@gw.example/v1"}])
    assert encoded[0].endpoint == "https://user:pw%23secret@gw.example/v1" and not encoded[1]


@pytest.mark.parametrize("url", ["https://gw.example:v1/x", "https://[::1/v1", "https:///v1"])
def test_a_base_url_without_a_usable_host_is_refused(url: str) -> None:
    settings, problems = resolve([{"baseUrl": url}])
    assert settings.base_url == ""  # none (completions are off until it is mended)
    assert "an http:// or https:// URL with a host" in problems[0].message


def test_unknown_keys_are_not_fatal_and_a_near_miss_is_told() -> None:
    settings, problems = resolve([{"modle": "x", "fontSize": 12, "temperature": 0.2}])
    assert settings.temperature == 0.2
    assert settings.effective_model == "codestral-latest"
    assert [(p.key, p.unknown) for p in problems] == [("fontSize", True), ("modle", False)]
    assert problems[1].message == ("unknown setting codestral.modle ignored: did you mean model?")


def test_a_key_spelt_another_way_is_read_as_the_key_it_names() -> None:
    settings, problems = resolve(
        [{"baseURL": "http://127.0.0.1:9/v1", "api_key": "sk-1", "MAXTOKENS": 7}]
    )
    assert settings.endpoint == "http://127.0.0.1:9/v1"
    assert settings.api_key == "sk-1"
    assert settings.max_tokens == 7
    assert sorted(p.message for p in problems) == [
        "setting codestral.MAXTOKENS read as codestral.maxTokens; spell it so",
        "setting codestral.api_key read as codestral.apiKey; spell it so",
        "setting codestral.baseURL read as codestral.baseUrl; spell it so",
    ]
    assert not any(p.unknown for p in problems)
    # The messages reach the user through the log's redactor whole.
    assert all(Redactor().scrub(p.message) == p.message for p in problems)


def test_the_right_spelling_wins_over_another_in_the_same_layer() -> None:
    settings, _ = resolve([{"baseUrl": "http://127.0.0.1:1/v1", "baseURL": "http://x.test/v1"}])
    assert settings.endpoint == "http://127.0.0.1:1/v1"


def test_an_unknown_provider_with_no_base_url_turns_completions_off() -> None:
    settings, problems = resolve([{"apiKey": "sk-1", "provider": "olama"}])
    assert settings.off == "codestral.provider is not usable"
    assert problems[0].message.endswith("; completions are off until it is fixed")


def test_an_unknown_provider_falls_back_where_the_user_named_the_endpoint() -> None:
    settings, _ = resolve([{"provider": "olama", "baseUrl": "http://127.0.0.1:11434"}])
    assert settings.off == ""
    assert settings.provider == "codestral"
    settings, _ = resolve([{"provider": "ollama"}, {"provider": "olama"}])
    assert (settings.off, settings.provider) == ("", "ollama")


def test_null_means_not_set_here_and_stop_accepts_a_string() -> None:
    settings, problems = resolve([{"maxTokens": 5}, {"maxTokens": None, "stop": "\n\n"}])
    assert problems == []
    assert settings.max_tokens == 5
    assert settings.stop == ("\n\n",)


def test_null_empty_or_wrong_values_above_leave_the_environment_in_force() -> None:
    env = from_env(
        {
            "CODESTRAL_API_KEY": "env-key-123456",
            "CODESTRAL_BASE_URL": "http://127.0.0.1:9/v1",
            "CODESTRAL_MODEL": "env-model",
        }
    )
    for above in (
        {"apiKey": None, "baseUrl": None, "model": None},
        {"apiKey": "", "baseUrl": " ", "model": ""},
    ):
        settings, problems = resolve([env, above])
        assert problems == []
        assert (settings.api_key, settings.base_url, settings.model) == (
            "env-key-123456",
            "http://127.0.0.1:9/v1",
            "env-model",
        )
    settings, problems = resolve([env, {"apiKey": 123}, {"baseUrl": "localhost:1234"}])
    assert settings.api_key == "env-key-123456"
    assert settings.base_url == "http://127.0.0.1:9/v1"
    assert sorted(p.key for p in problems) == ["apiKey", "baseUrl"]


def test_a_wrong_environment_value_is_reported_under_its_variable() -> None:
    _, problems = resolve([from_env({"CODESTRAL_BASE_URL": "localhost:1234"})])
    assert problems[0].message.startswith(
        "environment variable CODESTRAL_BASE_URL (setting codestral.baseUrl) = "
    )


def test_the_timeout_can_come_from_the_environment() -> None:
    settings, problems = resolve([from_env({"CODESTRAL_TIMEOUT_MS": "30000"})])
    assert settings.timeout_ms == 30000 and not problems
    settings, problems = resolve([from_env({"CODESTRAL_TIMEOUT_MS": "30s"})])
    assert settings.timeout_ms is None
    assert problems[0].message.startswith("environment variable CODESTRAL_TIMEOUT_MS")


def test_the_region_can_come_from_the_environment() -> None:
    env = from_env({"CODESTRAL_REGION": "us", "CODESTRAL_PROVIDER": "langdock"})
    settings, problems = resolve([env])
    assert settings.endpoint == "https://api.langdock.com/mistral/us/v1" and not problems
    settings, _ = resolve([env, {"region": "eu"}])
    assert settings.endpoint == "https://api.langdock.com/mistral/eu/v1"


def test_a_push_of_other_sections_says_nothing_of_codestral() -> None:
    assert pushed_section(None) is None
    assert pushed_section({"python": {"analysis": {}}}) is None
    assert pushed_section({"codestral": None}) == {}
    assert pushed_section({"codestral": {"enable": False}}) == {"enable": False}
    assert pushed_section({"model": "m", "python": {}}) == {"model": "m", "python": {}}
    # A section of a wrong shape changes nothing; Lua's empty table (Neovim's []) clears.
    assert pushed_section({"codestral": "oops"}) is None
    assert pushed_section({"codestral": []}) == {}


def test_section_unwraps_whole_settings_tree() -> None:
    assert section({"codestral": {"model": "m"}, "other": {}}) == {"model": "m"}
    assert section({"model": "m"}) == {"model": "m"}
    assert section(None) == {}


def test_langdock_region_and_preset_model() -> None:
    settings, _ = resolve([{"provider": "langdock", "region": "us"}])
    assert settings.endpoint == "https://api.langdock.com/mistral/us/v1"
    settings, _ = resolve([{"provider": "aimlapi"}])
    assert settings.effective_model == "mistralai/codestral-2501"


@pytest.mark.parametrize("provider", ["langdock", "aimlapi", "ollama"])
def test_an_explicit_model_wins_over_the_presets_even_when_it_is_the_default_name(
    provider: str,
) -> None:
    settings, _ = resolve([{"provider": provider, "model": "codestral-latest"}])
    assert settings.effective_model == "codestral-latest"
    assert settings.public_view()["model"] == "codestral-latest"
    env = from_env({"CODESTRAL_MODEL": "codestral-latest", "CODESTRAL_PROVIDER": provider})
    settings, _ = resolve([env])
    assert settings.effective_model == "codestral-latest"
    # An editor's untouched field ("") leaves the preset's model.
    settings, _ = resolve([{"provider": provider, "model": ""}])
    assert settings.effective_model == settings.preset.model


def test_key_is_masked_everywhere_it_is_shown() -> None:
    settings, _ = resolve([{"apiKey": "sk-abcdefghijkl-1234"}])
    assert "sk-abcdefghijkl" not in repr(settings)
    assert settings.public_view()["apiKey"] == "…1234"
    assert mask("") == "(not set)"


def test_readme_settings_table_lists_every_key() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    listed = set(re.findall(r"^\| `(\w+)` \|", readme, re.MULTILINE))
    assert {spec.key for spec in SPECS} <= listed


def test_a_local_model_servers_preset_never_gets_the_mistral_key_from_the_environment() -> None:
    env = from_env({"CODESTRAL_API_KEY": "sk-mistral-1234"})
    for provider in ("ollama", "llamacpp"):
        settings, problems = resolve([env, {"provider": provider}])
        assert (settings.api_key, problems) == ("", [])
        # A key set for this endpoint (a proxy's in front of it) is the user's choice: sent.
        settings, _ = resolve([env, {"provider": provider, "apiKey": "proxy-token-99"}])
        assert settings.api_key == "proxy-token-99"
    settings, _ = resolve([env, {"provider": "mistral"}])
    assert settings.api_key == "sk-mistral-1234"


@pytest.mark.parametrize(
    ("pasted", "base"),
    [
        ("https://gw.example/v1/fim/completions", "https://gw.example/v1"),
        ("https://gw.example/openai/v1/chat/completions/", "https://gw.example/openai/v1"),
        ("http://127.0.0.1:4000/v1/completions", "http://127.0.0.1:4000/v1"),
        ("http://127.0.0.1:11434/api/generate", "http://127.0.0.1:11434"),
        ("http://127.0.0.1:8080/infill", "http://127.0.0.1:8080"),
    ],
)
def test_an_endpoint_pasted_whole_is_read_as_its_base(pasted: str, base: str) -> None:
    settings, problems = resolve([{"baseUrl": pasted}])
    assert (settings.endpoint, problems) == (base, [])


def test_a_query_in_the_base_url_stays_after_the_path_the_server_adds() -> None:
    settings, _ = resolve([{"baseUrl": "https://gw.example/v1?api-version=2"}])
    endpoint = Endpoint("mistral", settings.endpoint, "k")
    assert endpoint.url == "https://gw.example/v1/fim/completions?api-version=2"


def test_api_mistral_ai_takes_mistral_api_key_when_both_are_set() -> None:
    env = from_env({"CODESTRAL_API_KEY": "sk-codestral-1111", "MISTRAL_API_KEY": "sk-mistral-2222"})
    settings, _ = resolve([env, {"provider": "mistral"}])
    assert settings.api_key == "sk-mistral-2222"
    settings, _ = resolve([env])
    assert settings.api_key == "sk-codestral-1111"
    # A key set in the settings is the user's choice, whatever the provider.
    settings, _ = resolve([env, {"provider": "mistral", "apiKey": "sk-chosen-3333"}])
    assert settings.api_key == "sk-chosen-3333"
    settings, _ = resolve(
        [from_env({"CODESTRAL_API_KEY": "sk-codestral-1111"}), {"provider": "mistral"}]
    )
    assert settings.api_key == "sk-codestral-1111"
