"""Write the ``codestral.*`` settings schema of the VS Code extension from the server's table.

``codestral_lsp.settings.SPECS`` (keys, validators) and the ``Settings`` dataclass (types) are
the single source of truth; this script renders them into ``contributes.configuration`` of
``package.json``. Defaults stay in Python: every server key defaults to ``null`` ("the server's
default"), and the extension forwards only what the user set.

    python editors/vscode/scripts/gen_settings.py          # rewrite package.json
    python editors/vscode/scripts/gen_settings.py --check  # exit 1 if package.json is stale
"""

from __future__ import annotations

import argparse
import json
import sys
import types
import typing
from pathlib import Path
from typing import Any

from codestral_lsp.settings import SECTION, SPECS, Choice, Settings

PACKAGE_JSON = Path(__file__).resolve().parent.parent / "package.json"

DESCRIPTIONS = {
    "apiKey": "API key for the endpoint. Prefer the `CODESTRAL_API_KEY` environment variable: "
    "settings are stored as plain text.",
    "provider": "Preset naming the endpoint and wire format.",
    "baseUrl": "Base URL of the endpoint, e.g. `https://codestral.mistral.ai/v1` "
    "(overrides the preset's).",
    "model": "Model id sent with each request.",
    "maxTokens": "Upper bound on generated tokens per request.",
    "temperature": "Sampling temperature.",
    "stop": "Extra stop sequences.",
    "debounceMs": "Wait after the last keystroke before calling the endpoint (ms).",
    "timeoutMs": "Upper bound on one call to the endpoint (ms).",
    "exclude": "Globs of files whose content is never sent, added to the built-in list of "
    "secret-like files (`.env`, `*.pem`, ...), which always applies; `!glob` lets matching files "
    "back in (`!.env.example`).",
    "enable": "Offer completions (`false` keeps the server running but silent).",
    "region": "Region for the `langdock` preset.",
    "multiline": "Whether suggestions may span several lines.",
    "allowInsecureHttp": "Allow sending the key over plain HTTP to a non-loopback host.",
    "promptTokens": "Prompt size in estimated tokens.",
    "suffixShare": "Share of `promptTokens` for the code after the cursor.",
    "otherFilesShare": "Share of `promptTokens` for snippets of other open documents.",
    "invokedCandidates": "Suggestions offered when completion is asked for explicitly.",
}
UNSET = "Unset (`null`): the server's default, see the README."

# The extension's own settings: how to start the server. Not forwarded to it.
EXTENSION_PROPERTIES: dict[str, Any] = {
    f"{SECTION}.server.path": {
        "type": "string",
        "default": "codestral-lsp",
        "markdownDescription": "Command that starts the language server (a name on `PATH` "
        "or an absolute path).",
        "scope": "machine-overridable",
    },
}


def json_type(annotation: Any) -> list[str]:
    """JSON schema type names for a ``Settings`` field annotation."""
    if isinstance(annotation, types.UnionType):
        return [name for arg in typing.get_args(annotation) for name in json_type(arg)]
    origin = typing.get_origin(annotation) or annotation
    names = {str: "string", bool: "boolean", int: "integer", float: "number", tuple: "array"}
    if origin is type(None):
        return ["null"]
    return [names[origin]]


def property_schema(key: str, validator: Any, annotation: Any) -> dict[str, Any]:
    """The schema of one server key."""
    kinds = [k for k in json_type(annotation) if k != "null"]
    schema: dict[str, Any] = {"type": [*kinds, "null"], "default": None}
    if "array" in kinds:
        schema["items"] = {"type": "string"}
    if isinstance(validator, Choice):
        schema["enum"] = [*validator.choices, None]
    description = DESCRIPTIONS.get(key, f"The server's `{key}` setting.")
    schema["markdownDescription"] = f"{description} {UNSET}"
    if key == "apiKey":
        schema["scope"] = "application"
    return schema


def properties() -> dict[str, Any]:
    """All ``contributes.configuration.properties``: the extension's, then the server's."""
    hints = typing.get_type_hints(Settings)
    props = dict(EXTENSION_PROPERTIES)
    for spec in SPECS:
        props[f"{SECTION}.{spec.key}"] = property_schema(spec.key, spec.validate, hints[spec.attr])
    return props


def render(package: dict[str, Any]) -> str:
    """``package.json`` text with the configuration regenerated."""
    configuration = package.setdefault("contributes", {}).setdefault("configuration", {})
    configuration["title"] = "Codestral"
    configuration["properties"] = properties()
    return json.dumps(package, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Rewrite ``package.json``, or with ``--check`` report whether it is current."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="fail if package.json is stale")
    args = parser.parse_args(argv)
    current = PACKAGE_JSON.read_text()
    wanted = render(json.loads(current))
    if args.check:
        if current != wanted:
            sys.stderr.write(
                "package.json is stale: run python editors/vscode/scripts/gen_settings.py\n"
            )
            return 1
        return 0
    PACKAGE_JSON.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
