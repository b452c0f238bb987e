"""Typed settings: every key of the public interface, its default, and how a raw value is checked.

Settings arrive as loose JSON from several places (environment, ``initializationOptions``,
``workspace/didChangeConfiguration``, ``workspace/configuration``). :func:`resolve` merges them in
that order of precedence and validates each key on its own: a bad value is reported once and that
key falls back to its default, so one typo never switches completion off.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

from codestral_lsp.exclude import is_valid_glob
from codestral_lsp.providers import WIRE_PATHS

SECTION = "codestral"

DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".env",
    ".env*",  # .env.local, .envrc (direnv exports secrets too)
    ".env.*",
    "*.env",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.keystore",
    "*.jks",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".npmrc",
    ".pypirc",
    ".netrc",
    ".git-credentials",
    ".pgpass",
    ".htpasswd",
    "*.tfvars",
    "*.tfstate",
    "kubeconfig*",
    ".kube/config",
    ".docker/config.json",
    ".ssh/**",
    "credentials*",
    "secrets/**",
    "**/secrets/**",
)

MULTILINE_MODES = ("auto", "always", "never")
# The model a preset that names none of its own is sent when ``model`` is not set.
DEFAULT_MODEL = "codestral-latest"
# Prompt budget bounds (estimated tokens); the prefix always keeps part of the prompt, so each
# other share is capped.
MIN_PROMPT_TOKENS = 200
MAX_PROMPT_TOKENS = 100_000
MAX_SHARE = 0.6


@dataclass(frozen=True, slots=True)
class Preset:
    """Where a provider preset sends requests and which wire format it speaks there."""

    base_url: str
    wire: str
    model: str | None = None
    needs_key: bool = True
    # Mistral's own API takes ``prompt_cache_key``; a gateway speaking its wire may reject a
    # field its page does not list (Mistral's schema answers an unknown one with 422).
    prompt_cache: bool = False


PRESETS: dict[str, Preset] = {
    "codestral": Preset("https://codestral.mistral.ai/v1", "mistral", prompt_cache=True),
    "mistral": Preset("https://api.mistral.ai/v1", "mistral", prompt_cache=True),
    # Langdock's page: "Only compatible for now with: codestral-2501".
    "langdock": Preset(
        "https://api.langdock.com/mistral/{region}/v1", "mistral", model="codestral-2501"
    ),
    "openai-compatible": Preset("", "openai"),
    "aimlapi": Preset("https://api.aimlapi.com/v1", "chat", model="mistralai/codestral-2501"),
    "ollama": Preset("http://127.0.0.1:11434", "ollama", model="codestral", needs_key=False),
    "llamacpp": Preset("http://127.0.0.1:8080", "llamacpp", needs_key=False),
}

# The two Mistral hosts whose keys are not interchangeable (key-type detection).
KEY_HOST_PRESETS: tuple[str, ...] = ("codestral", "mistral")


def key_hosts() -> dict[str, str]:
    """Preset name to base URL of each Mistral host a key may belong to."""
    return {name: PRESETS[name].base_url for name in KEY_HOST_PRESETS}


def key_host_advice(settings: Settings) -> str:
    """What to try when a Mistral host refuses the key, whose hosts take different keys; ``""``
    for any other endpoint. The key is not tried on the other host: it goes only where the
    settings send it (``check --key-host`` asks both hosts, on the user's word)."""
    if settings.base_url or settings.provider not in KEY_HOST_PRESETS:
        return ""
    other = next(name for name in KEY_HOST_PRESETS if name != settings.provider)
    here, there = (urlsplit(PRESETS[name].base_url).netloc for name in (settings.provider, other))
    return (
        f"keys of {here} and {there} are not interchangeable: for a key of {there}, set "
        f'codestral.provider = "{other}" (or CODESTRAL_PROVIDER={other}); '
        "`codestral-lsp check --key-host` asks both hosts which one knows it"
    )


@dataclass(frozen=True, slots=True)
class Settings:
    """The effective configuration. Field names are snake_case; the public keys are camelCase."""

    api_key: str = field(default="", repr=False)
    provider: str = "codestral"
    base_url: str = ""
    # "" when not set: the preset's model, else :data:`DEFAULT_MODEL` (see ``effective_model``).
    model: str = ""
    max_tokens: int | None = None
    temperature: float = 0.0
    stop: tuple[str, ...] = ()
    debounce_ms: int | None = None
    timeout_ms: int | None = None
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    enable: bool = True
    region: str = "eu"
    multiline: str = "auto"
    allow_insecure_http: bool = False
    prompt_tokens: int = 3000
    suffix_share: float = 0.15
    other_files_share: float = 0.30
    invoked_candidates: int = 3
    # Why completions are off though enabled: the endpoint the user named is not usable (a bad
    # baseUrl, an unknown provider with no baseUrl). Not a public key.
    off: str = ""

    @property
    def preset(self) -> Preset:
        """The preset named by ``provider``."""
        return PRESETS[self.provider]

    @property
    def endpoint(self) -> str:
        """The base URL requests go to: ``baseUrl`` if set, else the preset's."""
        url = self.base_url or self.preset.base_url.format(region=self.region)
        return url.rstrip("/")

    @property
    def effective_model(self) -> str:
        """The model id to send: an explicit ``model`` (even ``codestral-latest`` under a preset
        that names another), else the preset's name for Codestral, else the default."""
        return self.model or self.preset.model or DEFAULT_MODEL

    def public_view(self) -> dict[str, object]:
        """The settings as camelCase keys, as they take effect: the key masked to its last 4
        characters, ``baseUrl`` and ``model`` what the requests use (the preset's when unset)."""
        view: dict[str, object] = {}
        for spec in SPECS:
            value = getattr(self, spec.attr)
            if spec.key == "apiKey":
                value = mask(self.api_key)
            elif spec.key == "baseUrl":
                value = mask_url(self.endpoint)
            elif spec.key == "model":
                value = self.effective_model
            view[spec.key] = list(value) if isinstance(value, tuple) else value
        return view


def mask(secret: str) -> str:
    """Show a secret as its last 4 characters only ("(not set)" when empty)."""
    if not secret:
        return "(not set)"
    return "…" + secret[-4:] if len(secret) > 8 else "…"


# Up to the last "@": as URL parsers read it when the password is percent-encoded, and past
# a raw "/", "?" or "#" in it too, which ends the authority for a parser (such a baseUrl is
# refused, and its message must not show the password either).
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)\S*@")


def mask_url(url: str) -> str:
    """``url`` with the credentials it may carry (``https://user:password@host/v1``) shown as
    ``https://***@host/v1``."""
    return _USERINFO.sub(r"\g<scheme>***@", url, count=1)


Validator = Callable[[Any], Any]


class Invalid(ValueError):
    """A raw value does not fit its key; the message says what was expected."""


class PartlyInvalid(Invalid):
    """Part of a raw value does not fit its key; the rest, ``value``, still applies (the
    message says what was left out)."""

    def __init__(self, message: str, value: Any) -> None:
        super().__init__(message)
        self.value = value


# Quote marks a key may be pasted with (a shell's, a .env file's, Markdown's, a word
# processor's).
_QUOTES = "\"'`\u201c\u201d\u2018\u2019"


def _api_key(raw: Any) -> str:
    key = _str(raw)
    # It travels in an HTTP header as a bearer token, which has no quotes (RFC 6750): any are
    # the ones it was pasted with. Refused rather than taken off, as any wrong value is: the
    # user mends the setting once, and the server guesses nothing about a secret.
    if any(char in _QUOTES for char in key):
        raise Invalid("the key without the quotes it was pasted with (it looks quoted)")
    # A key pasted with curly quotes or an inner space is a typo.
    if not all("!" <= char <= "~" for char in key):
        raise Invalid("printable ASCII characters without spaces (a key pasted with quotes?)")
    return key


def pasted_keys(raw: Any) -> list[str]:
    """Every string under an ``apiKey`` field anywhere in ``raw`` (a settings layer, the
    initialization options), without the spaces and quotes it may have been pasted with: what
    the log's redactor must know before any of it is logged, validated or not."""
    if isinstance(raw, Mapping):
        return [
            key
            for name, value in raw.items()
            for key in (_strings(value) if name == "apiKey" else pasted_keys(value))
        ]
    if isinstance(raw, list | tuple):
        return [key for item in raw for key in pasted_keys(item)]
    return []


def _strings(raw: Any) -> list[str]:
    """Every string in ``raw``, however nested, stripped of surrounding spaces and quotes."""
    if isinstance(raw, str):
        return [raw.strip().strip(_QUOTES).strip()]
    if isinstance(raw, Mapping):
        raw = list(raw.values())
    if isinstance(raw, list | tuple):
        return [key for item in raw for key in _strings(item)]
    return []


def _str(raw: Any) -> str:
    if not isinstance(raw, str):
        raise Invalid("a string")
    return raw.strip()


def _bool(raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise Invalid("true or false")
    return raw


# Whole-number settings stop here: JSON may carry 1e400 (infinity) or a 300-digit number.
MAX_WHOLE = 2**31 - 1


def _whole(raw: Any, low: int, high: int = MAX_WHOLE) -> int:
    what = f"a whole number from {low} to {high}"
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise Invalid(what)
    if not (math.isfinite(raw) and raw == int(raw) and low <= raw <= high):
        raise Invalid(what)
    return int(raw)


def _positive_int_or_none(raw: Any) -> int | None:
    return None if raw is None else _whole(raw, 1)


def _non_negative_int_or_none(raw: Any) -> int | None:
    return None if raw is None else _whole(raw, 0)


def _temperature(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise Invalid("a number from 0 to 1.5")
    if not 0 <= raw <= 1.5:
        raise Invalid("a number from 0 to 1.5")
    return float(raw)


def _prompt_tokens(raw: Any) -> int:
    return _whole(raw, MIN_PROMPT_TOKENS, MAX_PROMPT_TOKENS)


def _share(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise Invalid(f"a number from 0 to {MAX_SHARE}")
    if not 0 <= raw <= MAX_SHARE:
        raise Invalid(f"a number from 0 to {MAX_SHARE}")
    return float(raw)


def _candidates(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw not in (1, 2, 3):
        raise Invalid("1, 2 or 3")
    return int(raw)


def _str_list(raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        return (raw,) if raw else ()
    if not isinstance(raw, Sequence) or not all(isinstance(item, str) for item in raw):
        raise Invalid("a list of strings")
    return tuple(item for item in raw if item)


@dataclass(frozen=True, slots=True)
class Choice:
    """Validator for a key taking one of fixed strings (public so schemas can list them)."""

    choices: tuple[str, ...]

    def __call__(self, raw: Any) -> str:
        if raw not in self.choices:
            raise Invalid("one of " + ", ".join(f'"{c}"' for c in self.choices))
        return str(raw)


def _choice(choices: Sequence[str]) -> Validator:
    return Choice(tuple(choices))


_A_URL = "an http:// or https:// URL with a host"


def _split(url: str) -> SplitResult:
    try:
        return urlsplit(url)
    except ValueError:  # an unclosed IPv6 bracket
        raise Invalid(_A_URL) from None


def _url(raw: Any) -> str:
    url = _str(raw)
    parts = _split(url)
    if parts.netloc and "@" in url.partition(parts.netloc)[2]:
        # A raw "/", "?" or "#" in a password ends the authority: requests, and the key,
        # would go to the password's first half as a host.
        raise Invalid('a URL whose password has "/", "?" and "#" percent-encoded (%2F…)')
    try:
        parts.port  # noqa: B018 (raises for a port that is not a number)
    except ValueError:
        raise Invalid(_A_URL) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(_A_URL)
    path = parts.path.rstrip("/")
    for pasted in sorted(WIRE_PATHS.values(), key=len, reverse=True):
        if path.endswith(pasted):
            # The endpoint pasted whole (…/v1/fim/completions): the server adds that path.
            return urlunsplit(parts._replace(path=path[: -len(pasted)]))
    return parts.scheme + url[len(parts.scheme) :]  # HTTP:// is http://


def _region(raw: Any) -> str:
    region = _str(raw)
    if not re.fullmatch(r"[a-z0-9-]+", region):
        raise Invalid('a region name such as "eu" or "us"')
    return region


def _globs(raw: Any) -> tuple[str, ...]:
    """The user's globs after the default ones, which stay unless a ``!glob`` lets files back
    in: a list of one's own (``["*.md"]``) must not send ``.env`` upstream."""
    patterns = _str_list(raw)
    bad = [pattern for pattern in patterns if not is_valid_glob(pattern)]
    if bad:
        # Dropping the whole list would send the files its other patterns exclude.
        kept = DEFAULT_EXCLUDE + tuple(p for p in patterns if p not in bad)
        raise PartlyInvalid(
            f"{', '.join(map(repr, bad))} left out (not a glob pattern); the other patterns apply",
            kept,
        )
    return DEFAULT_EXCLUDE + patterns


@dataclass(frozen=True, slots=True)
class Spec:
    """One public key: its camelCase name, the dataclass field and its validator."""

    key: str
    attr: str
    validate: Validator


SPECS: tuple[Spec, ...] = (
    Spec("apiKey", "api_key", _api_key),
    Spec("provider", "provider", _choice(tuple(PRESETS))),
    Spec("baseUrl", "base_url", _url),
    Spec("model", "model", _str),
    Spec("maxTokens", "max_tokens", _positive_int_or_none),
    Spec("temperature", "temperature", _temperature),
    Spec("stop", "stop", _str_list),
    Spec("debounceMs", "debounce_ms", _non_negative_int_or_none),
    Spec("timeoutMs", "timeout_ms", _positive_int_or_none),
    Spec("exclude", "exclude", _globs),
    Spec("enable", "enable", _bool),
    Spec("region", "region", _region),
    Spec("multiline", "multiline", _choice(MULTILINE_MODES)),
    Spec("allowInsecureHttp", "allow_insecure_http", _bool),
    Spec("promptTokens", "prompt_tokens", _prompt_tokens),
    Spec("suffixShare", "suffix_share", _share),
    Spec("otherFilesShare", "other_files_share", _share),
    Spec("invokedCandidates", "invoked_candidates", _candidates),
)
KEYS = frozenset(spec.key for spec in SPECS)
_BOOLEAN_KEYS = frozenset(spec.key for spec in SPECS if spec.validate is _bool)
_WHOLE_NUMBERS = (_positive_int_or_none, _non_negative_int_or_none)
_INTEGER_KEYS = frozenset(spec.key for spec in SPECS if spec.validate in _WHOLE_NUMBERS)

ENV_KEYS: tuple[tuple[str, str], ...] = (
    # Earlier names win: CODESTRAL_API_KEY is the documented one, MISTRAL_API_KEY the fallback.
    ("CODESTRAL_API_KEY", "apiKey"),
    ("MISTRAL_API_KEY", "apiKey"),
    ("CODESTRAL_BASE_URL", "baseUrl"),
    ("CODESTRAL_PROVIDER", "provider"),
    ("CODESTRAL_MODEL", "model"),
    ("CODESTRAL_REGION", "region"),
    ("CODESTRAL_ALLOW_INSECURE_HTTP", "allowInsecureHttp"),
    # The `complete` command's only way to wait longer (a local model loading on a CPU).
    ("CODESTRAL_TIMEOUT_MS", "timeoutMs"),
)
# Environment spellings of true and false, for the boolean keys.
_ENV_BOOLEANS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


# String keys for which an empty value means "not set here", as null does: an editor's settings
# UI that stores "" for an untouched field must not hide the environment's key or endpoint.
EMPTY_IS_UNSET = frozenset({"apiKey", "baseUrl", "model", "region"})


class EnvLayer(dict[str, Any]):
    """The environment's settings layer; it remembers which variable gave each key, so that a
    bad value is reported under the name the user set."""

    def __init__(self) -> None:
        super().__init__()
        self.variables: dict[str, str] = {}
        # MISTRAL_API_KEY when CODESTRAL_API_KEY is the key: the one api.mistral.ai takes.
        self.mistral_key = ""


def from_env(environ: Mapping[str, str]) -> EnvLayer:
    """The settings layer the environment provides."""
    layer = EnvLayer()
    for var, key in ENV_KEYS:
        value = environ.get(var, "").strip()
        if value and key not in layer:
            layer[key] = _from_env_text(key, value)
            layer.variables[key] = var
    layer.mistral_key = environ.get("MISTRAL_API_KEY", "").strip()
    return layer


def _from_env_text(key: str, value: str) -> Any:
    """An environment variable's text as the JSON value the key takes (``1``, ``"5000"``):
    a spelling it cannot be is left as text, for the key's check to name."""
    if key in _BOOLEAN_KEYS:
        return _ENV_BOOLEANS.get(value.lower(), value)
    if key in _INTEGER_KEYS and value.isascii() and value.isdigit():
        return int(value)
    return value


def section(raw: Any) -> dict[str, Any]:
    """Unwrap the ``codestral`` section if a client sent the whole settings tree."""
    if not isinstance(raw, Mapping):
        return {}
    inner = raw.get(SECTION)
    if isinstance(inner, Mapping):
        return dict(inner)
    if SECTION in raw:  # e.g. Lua's empty table, which Neovim sends as []
        return {}
    return {str(k): v for k, v in raw.items()}


def section_shape_problem(raw: Any, pulled: bool = False) -> str:
    """What is wrong with the shape of the ``codestral`` section a client sent (a string or a
    list where an object belongs), ``""`` when nothing is. ``raw`` is a push's whole settings,
    or with ``pulled`` the section a ``workspace/configuration`` answer holds. ``null`` and
    Lua's empty table (Neovim's ``[]``) are no problem: they say nothing, or nothing set."""
    value = raw if pulled else raw.get(SECTION) if isinstance(raw, Mapping) else None
    if value is None or value == [] or isinstance(value, Mapping):
        return ""
    return (
        f'Codestral: the "{SECTION}" section must be an object of settings, '
        f"not {_json_kind(value)}; it is ignored"
    )


def _json_kind(value: Any) -> str:
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a list" if isinstance(value, list | tuple) else type(value).__name__


def pushed_section(raw: Any) -> dict[str, Any] | None:
    """The ``codestral`` section of a ``workspace/didChangeConfiguration`` push, or ``None`` when
    the push says nothing of it (``null``, or only other tools' sections): then the settings it
    would replace stand, as they do when the section has a wrong shape
    (:func:`section_shape_problem`). A push with the section (even empty) or with its keys flat
    replaces."""
    if not isinstance(raw, Mapping) or section_shape_problem(raw):
        return None
    if SECTION in raw or any(str(key) in KEYS for key in raw):
        return section(raw)
    return None


@dataclass(frozen=True, slots=True)
class Problem:
    """A key whose value was rejected (or unknown), in words fit for the user."""

    key: str
    message: str
    unknown: bool = False


def resolve(layers: Sequence[Mapping[str, Any]]) -> tuple[Settings, list[Problem]]:
    """Merge layers (lowest precedence first) and validate each key.

    Each key takes its value from the highest layer that sets it validly. ``null`` (and an
    empty string for :data:`EMPTY_IS_UNSET`) means "not set here"; a wrong value is reported
    and the layers below decide, down to the default. A key spelt another way is read as the
    key it names; an unknown key close to a known one is reported, other unknown keys are
    problems flagged ``unknown`` so the caller can log them without bothering the user.
    """
    layers, problems = _respelled(layers)
    values: dict[str, Any] = {}
    env: EnvLayer | None = None  # the layer the key came from, when it is the environment
    for spec in SPECS:
        told = False
        for layer in reversed(layers):
            raw = layer.get(spec.key)
            if raw is None or (
                spec.key in EMPTY_IS_UNSET and isinstance(raw, str) and not raw.strip()
            ):
                continue
            try:
                values[spec.attr] = spec.validate(raw)
                if spec.key == "apiKey" and isinstance(layer, EnvLayer):
                    env = layer
                break
            except Invalid as err:
                if not told:  # the highest wrong value is the one the user is told of
                    problems.append(Problem(spec.key, _wrong(layer, spec.key, raw, err)))
                    told = True
                if isinstance(err, PartlyInvalid):
                    values[spec.attr] = err.value
                    break
    off = _endpoint_off(values, problems)
    if off:
        # The user named an endpoint we cannot use: sending their code to the default one (the
        # cloud) instead would be worse than sending nothing.
        values["off"] = f"codestral.{off} is not usable"
        problems = [
            dataclasses.replace(p, message=p.message + "; completions are off until it is fixed")
            if p.key == off
            else p
            for p in problems
        ]
    known = set().union(*(layer.keys() for layer in layers)) if layers else set()
    for key in sorted(known - KEYS):
        problems.append(_unknown(key))
    settings = dataclasses.replace(Settings(), **values)
    if env is not None:
        settings = _env_key_for(settings, env)
    if settings.provider == "openai-compatible" and not settings.base_url:
        problems.append(
            Problem(
                "baseUrl",
                'provider "openai-compatible" needs codestral.baseUrl (or CODESTRAL_BASE_URL) '
                "to be set",
            )
        )
    return settings, problems


def _env_key_for(settings: Settings, env: EnvLayer) -> Settings:
    """The settings with the environment's key fit for their preset. CODESTRAL_API_KEY and
    MISTRAL_API_KEY are Mistral's keys: a local model server's preset never gets them,
    wherever it runs (a key for it is set as codestral.apiKey); api.mistral.ai takes
    MISTRAL_API_KEY when both are set (a Codestral key works only on codestral.mistral.ai)."""
    if not settings.preset.needs_key:
        return dataclasses.replace(settings, api_key="")
    if settings.provider == "mistral" and env.mistral_key:
        with contextlib.suppress(Invalid):  # an unusable one leaves the key as it was
            return dataclasses.replace(settings, api_key=_api_key(env.mistral_key))
    return settings


def _endpoint_off(values: Mapping[str, Any], problems: Sequence[Problem]) -> str:
    """The key whose rejected value leaves no endpoint the user chose: a ``baseUrl`` that
    cannot be used, or a ``provider`` that is none (``olama``) when no ``baseUrl`` says where
    to go; ``""`` when the endpoint is one the user set or meant."""
    rejected = {problem.key for problem in problems}
    if "baseUrl" in rejected and "base_url" not in values:
        return "baseUrl"
    if "provider" in rejected and "provider" not in values and "base_url" not in values:
        return "provider"
    return ""


def _respelled(
    layers: Sequence[Mapping[str, Any]],
) -> tuple[list[Mapping[str, Any]], list[Problem]]:
    """The layers with keys spelt another way (``baseURL``, ``api_key``, ``APIKEY``) read as
    the key they name, and a problem telling each: ignoring ``baseURL`` would send the code to
    the default endpoint instead of the one the user wrote."""
    problems: list[Problem] = []
    fixed: list[Mapping[str, Any]] = []
    for layer in layers:
        aliases: dict[str, str] = {}
        for key in layer:
            name = _SPELLINGS.get(_spelling(str(key)), "") if key not in KEYS else ""
            if name and name not in layer:
                aliases[key] = name
        if not aliases:
            fixed.append(layer)
            continue
        fixed.append({aliases.get(key, key): value for key, value in layer.items()})
        for key, name in aliases.items():
            # No "apiKey: " in it: the log's redactor would hide what follows as a key.
            message = f"setting codestral.{key} read as codestral.{name}; spell it so"
            problems.append(Problem(key, message))
    return fixed, problems


def _spelling(key: str) -> str:
    return key.replace("_", "").replace("-", "").lower()


_SPELLINGS = {_spelling(key): key for key in KEYS}


def _unknown(key: str) -> Problem:
    """An unknown key: one close to a known key is a typo the user is told of; others (a
    client's own keys sent along) are only logged."""
    import difflib  # only for a key no client should send: kept off the startup path

    close = difflib.get_close_matches(key, sorted(KEYS), n=1, cutoff=0.8)
    if close:
        return Problem(key, f"unknown setting codestral.{key} ignored: did you mean {close[0]}?")
    return Problem(key, f"unknown setting codestral.{key} ignored", unknown=True)


def _wrong(layer: Mapping[str, Any], key: str, raw: Any, err: Invalid) -> str:
    """The message for a rejected value, naming the setting or variable the user wrote."""
    if key == "apiKey":
        shown = "(hidden)"
    else:  # a URL's credentials are a secret too (a bad baseUrl's, say)
        shown = repr(mask_url(raw) if isinstance(raw, str) else raw)[:60]
    variables = layer.variables if isinstance(layer, EnvLayer) else {}
    name = f"setting codestral.{key}"
    if key in variables:
        name = f"environment variable {variables[key]} ({name})"
    if isinstance(err, PartlyInvalid):
        return f"{name} = {shown}: {err}"
    return f"{name} = {shown} ignored: expected {err}"
