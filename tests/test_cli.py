"""The command line: `complete`, `check`, `--version`, as a user runs them."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from conftest import API_KEY, server_env
from fake_fim import FakeFim, Reply
from fake_wires import FakeWire

from codestral_lsp import __version__


def run(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codestral_lsp", *args],
        env=server_env(**env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"codestral-lsp {__version__}"


def complete_calc(tmp_path: Path, fake: FakeFim) -> subprocess.CompletedProcess[str]:
    """``complete`` after ``return `` in a small file, against ``fake``."""
    source = tmp_path / "calc.py"
    source.write_text("def add(a, b):\n    return \n")
    return run("complete", f"{source}:2:12", CODESTRAL_API_KEY=API_KEY, CODESTRAL_BASE_URL=fake.url)


def test_complete_prints_the_suggestion(tmp_path: Path, fake: FakeFim) -> None:
    fake.answer = Reply(text="a + b")

    result = complete_calc(tmp_path, fake)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "a + b\n"
    # The prompt an editor's server would send: the file named in Codestral's multi-file header.
    header, _, prefix = str(fake.requests[0].body["prompt"]).partition("\n")
    assert header == f"+++++ {tmp_path.name}/calc.py"
    assert prefix == "def add(a, b):\n    return "
    assert API_KEY not in result.stderr


def test_complete_names_the_file_relative_to_the_current_directory(
    tmp_path: Path, fake: FakeFim
) -> None:
    (tmp_path / "pkg").mkdir()
    source = tmp_path / "pkg" / "calc.py"
    source.write_text("def add(a, b):\n    return \n")

    result = run(
        "complete",
        "pkg/calc.py:2:12",
        cwd=tmp_path,
        CODESTRAL_API_KEY=API_KEY,
        CODESTRAL_BASE_URL=fake.url,
    )

    assert result.returncode == 0, result.stderr
    assert str(fake.requests[0].body["prompt"]).startswith("+++++ pkg/calc.py\n")


def test_complete_bad_position_exits_non_zero(tmp_path: Path, fake: FakeFim) -> None:
    source = tmp_path / "calc.py"
    source.write_text("x = 1\n")

    result = run(
        "complete", f"{source}:9:1", CODESTRAL_API_KEY=API_KEY, CODESTRAL_BASE_URL=fake.url
    )

    assert result.returncode != 0
    assert "outside" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert fake.requests == []


def test_complete_without_key_says_which_variable(tmp_path: Path) -> None:
    source = tmp_path / "calc.py"
    source.write_text("x = 1\n")

    result = run("complete", f"{source}:1:5")

    assert result.returncode != 0
    assert "CODESTRAL_API_KEY" in result.stderr


def test_complete_tries_once_more_after_a_server_error(tmp_path: Path, fake: FakeFim) -> None:
    replies = iter([Reply(status=503, body='{"message":"overloaded"}'), Reply(text="a + b")])
    fake.answer = lambda received: next(replies)

    result = complete_calc(tmp_path, fake)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "a + b\n"
    assert len(fake.requests) == 2


def test_complete_unreachable_endpoint(tmp_path: Path) -> None:
    source = tmp_path / "calc.py"
    source.write_text("x = 1\n")

    result = run(
        "complete",
        f"{source}:1:5",
        CODESTRAL_API_KEY=API_KEY,
        CODESTRAL_BASE_URL="http://127.0.0.1:9/v1",
    )

    assert result.returncode != 0
    # The reason alone: the log lines that led to it are not shown for a failure.
    assert "127.0.0.1:9" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_check_reports_configuration_and_latency(fake: FakeFim) -> None:
    fake.answer = Reply(text="a + b")

    result = run("check", CODESTRAL_API_KEY=API_KEY, CODESTRAL_BASE_URL=fake.url)

    assert result.returncode == 0, result.stderr
    assert f"endpoint: {fake.url}" in result.stdout
    assert "test request: ok in" in result.stdout
    assert API_KEY not in result.stdout and API_KEY[-4:] in result.stdout


def test_check_uses_the_settings_an_editor_sends_above_the_environment() -> None:
    # An editor's "check" passes its settings as JSON: a key set there is the one its server
    # uses, for a preset that takes no key from the environment (a local server behind a
    # proxy with a token) and over the MISTRAL_API_KEY the mistral preset would take.
    token, old = "proxy-token-NEW2", "sk-mistral-OLD1"
    with FakeWire("ollama", Reply(text="a + b"), keys={token}) as ollama:
        editor = {"codestral": {"provider": "ollama", "baseUrl": ollama.url, "apiKey": token}}
        result = run("check", CODESTRAL_LSP_SETTINGS=json.dumps(editor))
        assert result.returncode == 0, result.stderr
        assert ollama.completions[0].headers["Authorization"] == f"Bearer {token}"
    with FakeWire("mistral", Reply(text="a + b"), keys={token}) as mistral:
        editor = {"provider": "mistral", "baseUrl": mistral.url, "apiKey": token}
        result = run("check", MISTRAL_API_KEY=old, CODESTRAL_LSP_SETTINGS=json.dumps(editor))
        assert result.returncode == 0, result.stderr
        assert mistral.completions[0].headers["Authorization"] == f"Bearer {token}"
    assert token not in result.stdout + result.stderr and old not in result.stdout


def test_check_says_what_is_wrong_with_the_editors_settings() -> None:
    result = run("check", CODESTRAL_API_KEY=API_KEY, CODESTRAL_LSP_SETTINGS="{provider: ollama")
    one_line_failure(result, "CODESTRAL_LSP_SETTINGS is no JSON")
    result = run("check", CODESTRAL_API_KEY=API_KEY, CODESTRAL_LSP_SETTINGS='["ollama"]')
    one_line_failure(result, "CODESTRAL_LSP_SETTINGS must be a JSON object")


def test_check_reports_rejected_key(fake: FakeFim) -> None:
    fake.answer = Reply(status=401, body='{"message":"Unauthorized"}')

    result = run("check", CODESTRAL_API_KEY=API_KEY, CODESTRAL_BASE_URL=fake.url)

    assert result.returncode != 0
    assert "401" in result.stderr


def one_line_failure(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and all(word in lines[0] for word in words), result.stderr
    assert result.stdout.strip() == "" or "test request" not in result.stdout


def test_complete_with_nothing_suggested_says_so(tmp_path: Path, fake: FakeFim) -> None:
    fake.answer = Reply(text="")

    one_line_failure(complete_calc(tmp_path, fake), "no completion at", "suggested nothing")


def test_complete_waits_as_long_as_the_environment_says(tmp_path: Path, fake: FakeFim) -> None:
    # A model that takes 1.5 s to answer (a local one, loading): too slow for a 0.5 s limit,
    # in time for a 10 s one.
    fake.answer = Reply(text="a + b", delay=1.5)
    source = tmp_path / "calc.py"
    source.write_text("def add(a, b):\n    return \n")
    spot, env = f"{source}:2:12", {"CODESTRAL_API_KEY": API_KEY, "CODESTRAL_BASE_URL": fake.url}

    slow = run("complete", spot, CODESTRAL_TIMEOUT_MS="500", **env)
    one_line_failure(slow, "within 0.5 s", "CODESTRAL_TIMEOUT_MS")
    patient = run("complete", spot, CODESTRAL_TIMEOUT_MS="10000", **env)
    assert patient.returncode == 0 and patient.stdout == "a + b\n", patient.stderr


def test_check_waits_as_long_as_the_environment_says(fake: FakeFim) -> None:
    fake.answer = Reply(text="a + b", delay=1.5)
    env = {"CODESTRAL_API_KEY": API_KEY, "CODESTRAL_BASE_URL": fake.url}

    one_line_failure(run("check", CODESTRAL_TIMEOUT_MS="500", **env), "within 0.5 s", "TIMEOUT_MS")
    patient = run("check", CODESTRAL_TIMEOUT_MS="10000", **env)
    assert patient.returncode == 0 and "test request: ok in" in patient.stdout, patient.stderr


def test_check_shows_the_model_and_endpoint_a_preset_uses(fake: FakeFim) -> None:
    # Langdock serves Codestral as codestral-2501: the dump says what the request sends.
    fake.answer = Reply(text="a + b")

    result = run(
        "check",
        CODESTRAL_API_KEY=API_KEY,
        CODESTRAL_PROVIDER="langdock",
        CODESTRAL_BASE_URL=fake.url,
    )

    assert result.returncode == 0, result.stderr
    dump = json.loads(result.stdout[result.stdout.index("{") : result.stdout.index("\n}") + 2])
    assert (dump["model"], dump["baseUrl"]) == ("codestral-2501", fake.url)
    assert fake.requests[0].body["model"] == "codestral-2501"


def test_check_against_a_dripping_endpoint_fails(fake: FakeFim) -> None:
    fake.answer = Reply(drip=True)

    result = run("check", CODESTRAL_API_KEY=API_KEY, CODESTRAL_BASE_URL=fake.url)

    one_line_failure(result, "no complete answer within")


def test_an_unusable_base_url_is_never_replaced_by_the_cloud(tmp_path: Path) -> None:
    source = tmp_path / "calc.py"
    source.write_text("x = 1\n")
    for args in (["complete", f"{source}:1:5"], ["check"]):
        result = run(*args, CODESTRAL_API_KEY=API_KEY, CODESTRAL_BASE_URL="localhost:1234/v1")
        one_line_failure(result, "CODESTRAL_BASE_URL", "completions are off")


def test_a_key_that_cannot_be_a_header_is_named(tmp_path: Path, fake: FakeFim) -> None:
    source = tmp_path / "calc.py"
    source.write_text("x = 1\n")

    result = run(
        "complete",
        f"{source}:1:5",
        CODESTRAL_API_KEY="sk-abc 123",  # quotes are named as such: see the test below
        CODESTRAL_BASE_URL=fake.url,
    )

    one_line_failure(result, "CODESTRAL_API_KEY", "printable ASCII")
    assert fake.requests == []


def test_a_key_pasted_with_its_quotes_is_named(tmp_path: Path, fake: FakeFim) -> None:
    source = tmp_path / "calc.py"
    source.write_text("x = 1\n")

    for args in (["check"], ["complete", f"{source}:1:5"]):
        result = run(*args, CODESTRAL_API_KEY="'sk-abc123456'", CODESTRAL_BASE_URL=fake.url)
        one_line_failure(result, "CODESTRAL_API_KEY", "looks quoted")
        assert "abc123456" not in result.stdout + result.stderr
    assert fake.requests == []


def test_lone_cr_line_ends_and_odd_numbers(tmp_path: Path, fake: FakeFim) -> None:
    fake.answer = Reply(text="2")
    source = tmp_path / "old_mac.py"
    source.write_text("x = 1\ry = \r", newline="")

    result = run(
        "complete", f"{source}:2:5", CODESTRAL_API_KEY=API_KEY, CODESTRAL_BASE_URL=fake.url
    )
    assert result.returncode == 0, result.stderr
    assert fake.requests[0].body["prompt"].endswith("x = 1\ry = ")

    for spot in (f"{source}:+2:5", f"{source}: 2:5", f"{source}:2_0:1", f"{source}:\u0662:1"):
        one_line_failure(run("complete", spot, CODESTRAL_API_KEY=API_KEY), "FILE:LINE:COL")


def test_a_binary_file_is_not_sent(tmp_path: Path, fake: FakeFim) -> None:
    source = tmp_path / "blob.py"
    source.write_bytes(b"\x00\x01\x02x = ")

    result = run(
        "complete", f"{source}:1:4", CODESTRAL_API_KEY=API_KEY, CODESTRAL_BASE_URL=fake.url
    )

    one_line_failure(result, "looks binary")
    assert fake.requests == []


def test_a_tcp_port_in_use_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        one_line_failure(run("--tcp", "--port", str(port)), f"cannot listen on 127.0.0.1:{port}")


def test_a_wrong_log_level_is_named() -> None:
    result = run("--log-level", "loud", "check")
    assert result.returncode == 2 and "'loud' is not one of DEBUG" in result.stderr


def test_a_usage_error_is_one_line() -> None:
    for args, said in [
        (("complete",), "the following arguments are required: FILE:LINE:COL"),
        (("--bogus",), "unrecognized arguments: --bogus"),
    ]:
        result = run(*args)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert said in result.stderr


def test_the_client_libraries_process_id_flag_is_taken() -> None:
    # vscode-languageclient and others pass it; the server must start (and, stdin at its end,
    # stop as after an editor that closed it).
    for value in ("4242", "not-a-pid"):
        result = run("--stdio", f"--clientProcessId={value}")
        assert result.returncode == 1 and "unrecognized" not in result.stderr, result.stderr


def test_a_tcp_session_ends_the_process_quietly_with_the_lsp_exit_code() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "codestral_lsp", "--tcp", "--port", str(port)],
        env=server_env(),
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        editor = None
        for _ in range(100):
            with contextlib.suppress(OSError):
                editor = socket.create_connection(("127.0.0.1", port))
                break
            time.sleep(0.1)
        assert editor is not None
        with editor:
            for message in (
                {
                    "id": 1,
                    "method": "initialize",
                    "params": {"processId": None, "capabilities": {}},
                },
                {"id": 2, "method": "shutdown"},
                {"method": "exit"},
            ):
                body = json.dumps({"jsonrpc": "2.0", **message}).encode()
                editor.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
                time.sleep(0.2)
            assert proc.wait(timeout=15) == 0
    finally:
        proc.kill()
        stderr = proc.communicate()[1]
    assert "Traceback" not in stderr and "Unhandled" not in stderr, stderr


def test_no_key_names_the_variable_for_the_provider(tmp_path: Path) -> None:
    source = tmp_path / "calc.py"
    source.write_text("x = 1\n")
    for args in (["complete", f"{source}:1:5"], ["check"]):
        one_line_failure(run(*args), "no API key", "CODESTRAL_API_KEY", "MISTRAL_API_KEY")
        other = run(*args, CODESTRAL_PROVIDER="aimlapi")
        one_line_failure(other, 'no API key for provider "aimlapi"', "CODESTRAL_API_KEY")
        assert "MISTRAL_API_KEY" not in other.stderr


def test_complete_reads_only_regular_files(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)  # reading it would block forever
    for path in (fifo, tmp_path, Path("/dev/zero")):
        result = run("complete", f"{path}:1:1", CODESTRAL_API_KEY=API_KEY)
        one_line_failure(result, f"cannot read {path}: not a regular file")


def test_complete_knows_the_language_by_the_file_name(tmp_path: Path, fake: FakeFim) -> None:
    # Protocol Buffers' rules end the answer before the next message.
    fake.answer = Reply(
        text="\noption java_multiple_files = true;\nmessage Fraction {\n  int64 n = 1;"
    )
    source = tmp_path / "fraction.proto"
    source.write_text('syntax = "proto3";\n\noption go_package = "x";\n\n// Fractions.\n')
    result = run(
        "complete", f"{source}:3:25", CODESTRAL_API_KEY=API_KEY, CODESTRAL_BASE_URL=fake.url
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "\noption java_multiple_files = true;\n"
