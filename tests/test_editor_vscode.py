"""The VS Code extension: its settings schema matches the server's table, and it type-checks,
passes its own unit tests (node's test runner, against a stand-in ``vscode`` module), bundles
and packages. No VS Code with a UI can run here."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import zipfile
from types import ModuleType

import pytest
from editor_support import EDITORS, missing

from codestral_lsp.settings import SPECS, Settings

VSCODE = EDITORS / "vscode"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_settings", VSCODE / "scripts" / "gen_settings.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_package_json_settings_are_generated_from_the_server_table() -> None:
    current = (VSCODE / "package.json").read_text()
    assert generator().render(json.loads(current)) == current, (
        "editors/vscode/package.json is stale: run python editors/vscode/scripts/gen_settings.py"
    )


def test_every_server_key_and_nothing_else_with_no_copied_defaults() -> None:
    properties = json.loads((VSCODE / "package.json").read_text())["contributes"]["configuration"][
        "properties"
    ]
    server = {key for key in properties if not key.startswith("codestral.server.")}
    assert server == {f"codestral.{spec.key}" for spec in SPECS}
    for key in server:
        assert properties[key]["default"] is None, key
        assert "null" in properties[key]["type"], key
    assert properties["codestral.multiline"]["enum"] == ["auto", "always", "never", None]
    assert properties["codestral.maxTokens"]["type"] == ["integer", "null"]
    assert properties["codestral.stop"]["type"] == ["array", "null"]
    assert Settings().multiline == "auto"  # the default lives here, and only here


def npm(*args: str) -> str:
    npm_bin = shutil.which("npm")
    assert npm_bin is not None
    proc = subprocess.run([npm_bin, *args], cwd=VSCODE, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


@pytest.mark.editor
def test_extension_type_checks_passes_its_tests_bundles_and_packages() -> None:
    if shutil.which("npm") is None:
        missing("node and npm")
    if not (VSCODE / "node_modules").is_dir():
        missing("editors/vscode/node_modules (cd editors/vscode && npm ci --ignore-scripts)")
    npm("run", "check")
    report = npm("test")
    assert "# fail 0" in report and "# pass " in report
    npm("run", "package")
    with zipfile.ZipFile(VSCODE / "dist" / "codestral-lsp.vsix") as vsix:
        names = set(vsix.namelist())
        packaged = json.loads(vsix.read("extension/package.json"))
    assert {"extension/package.json", "extension/dist/extension.js"} <= names
    assert not any("node_modules" in name or name.endswith(".ts") for name in names)
    assert packaged["main"] == "./dist/extension.js"
    assert (
        packaged["contributes"] == json.loads((VSCODE / "package.json").read_text())["contributes"]
    )
