"""Bad settings and broken index files through the real CLI (its main(), and once a real process):
one line on stderr naming the setting or file and the fix, exit code 2, never a traceback."""

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.cli import EXIT_ERROR, main
from tests.cli.test_cli import index_copy  # noqa: F401 (a fixture)
from tests.conftest import KNOWLEDGE, REPO

BAD_SETTINGS = [
    ("QABOT_THRESHOLD", "abc"),
    ("QABOT_THRESHOLD", "2"),
    ("QABOT_THRESHOLD", "-1"),
    ("QABOT_THRESHOLD", "nan"),
    ("QABOT_THRESHOLD", "inf"),
    ("QABOT_TOP_K", "0"),
    ("QABOT_TOP_K", "many"),
    ("QABOT_MAX_QUESTION_CHARS", "5"),
    ("QABOT_BACKEND", "gpu"),
]
BAD_BOT_SETTINGS = [
    ("QABOT_MODERATOR_ROLE_IDS", "abc"),
    ("QABOT_HELP_CHANNEL_IDS", "12,x3"),
    ("QABOT_COOLDOWN_SECONDS", "nan"),
    ("QABOT_COOLDOWN_RATE", "0"),
    ("QABOT_SHARD_COUNT", "two"),
    ("QABOT_INDEX_POLL_SECONDS", "-inf"),
    ("QABOT_AUDIT_MODERATOR_NAMES", "maybe"),
    # Finite but past what the clock can hold: the poll and sync tasks died at their first round
    # ("date value out of range") and every fetch failed with "timestamp out of range" from socket.settimeout.
    ("QABOT_INDEX_POLL_SECONDS", "1e12"),
    ("QABOT_SYNC_INTERVAL_MINUTES", "1000000000000"),
    ("QABOT_SOURCES_TIMEOUT_SECONDS", "1e12"),
    ("QABOT_SOURCES_REQUEST_INTERVAL", "1e12"),
]


def run_main(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.err + captured.out


def assert_one_line(output: str, *words: str) -> None:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), output
    assert "Traceback" not in output and "validation error" not in output
    for word in words:
        assert word in lines[0], (word, lines[0])


@pytest.mark.parametrize(("name", "value"), BAD_SETTINGS)
def test_a_bad_core_setting_is_one_line_naming_it(capsys, monkeypatch, tmp_path, name, value):
    monkeypatch.setenv(name, value)
    code, output = run_main(capsys, "ask", "What is JAX?", "--index", str(tmp_path / "i"))
    assert code == EXIT_ERROR
    assert_one_line(output, f"setting {name} is invalid", "fix it in the environment or .env")


@pytest.mark.parametrize(("name", "value"), BAD_BOT_SETTINGS)
def test_a_bad_bot_setting_stops_qabot_run_before_connecting(capsys, monkeypatch, tmp_path, name, value):
    monkeypatch.setenv(name, value)
    monkeypatch.setenv("DISCORD_TOKEN", "a-secret-token")
    code, output = run_main(capsys, "run", "--index", str(tmp_path / "i"), "--knowledge", str(tmp_path))
    assert code == EXIT_ERROR
    assert_one_line(output, f"setting {name} is invalid")
    assert "a-secret-token" not in output


def test_a_secret_setting_is_never_echoed(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("QABOT_COOLDOWN_RATE", "-5")
    monkeypatch.setenv("DISCORD_TOKEN", "tok" * 30)
    code, output = run_main(capsys, "run", "--index", str(tmp_path / "i"))
    assert code == EXIT_ERROR and "tok" * 30 not in output


def test_a_bad_setting_in_a_real_process_prints_no_traceback(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "QABOT_THRESHOLD": "nan"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "What is JAX?", "--index", str(tmp_path / "i")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == EXIT_ERROR
    assert done.stderr.strip() == (
        "error: setting QABOT_THRESHOLD is invalid: Input should be a finite number (got 'nan'); "
        "fix it in the environment or .env"
    )


def test_an_index_under_a_regular_file_is_one_line(capsys, tmp_path):
    (tmp_path / "file").write_text("x")
    code, output = run_main(capsys, "ask", "What is JAX?", "--index", str(tmp_path / "file" / "index"))
    assert code == EXIT_ERROR
    assert_one_line(output, "a part of that path is a file", "--index or QABOT_INDEX_DIR")


@pytest.mark.parametrize("kind", ["binary", "folder"])
def test_a_broken_current_file_is_one_line_with_the_fix(capsys, tmp_path, kind):
    index = tmp_path / "index"
    index.mkdir()
    if kind == "binary":
        (index / "CURRENT").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
        words = ("CURRENT does not hold a generation name", "qabot index --full")
    else:
        (index / "CURRENT").mkdir()
        words = ("CURRENT is a folder", "remove it")
    code, output = run_main(capsys, "ask", "What is JAX?", "--index", str(index))
    assert code == EXIT_ERROR
    assert_one_line(output, *words)


@pytest.mark.model
def test_a_manifest_with_null_files_is_one_line_with_the_fix(capsys, index_copy):  # noqa: F811
    manifest = index_copy / (index_copy / "CURRENT").read_text().strip() / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "files": None}))
    code, output = run_main(capsys, "ask", "What is JAX?", "--index", str(index_copy))
    assert code == EXIT_ERROR
    assert_one_line(output, "manifest.json", '"files"', "qabot index --full")


@pytest.mark.model
def test_a_full_disk_during_qabot_index_is_one_line_and_the_old_index_still_answers(
    capsys,
    monkeypatch,
    tmp_path,
    index_copy,  # noqa: F811
):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    (knowledge / "new.md").write_text("---\ntitle: New\n---\n## Graph capture\nA short new article.")
    served = (index_copy / "CURRENT").read_text()

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "save", disk_full)
    code, output = run_main(capsys, "index", "--knowledge", str(knowledge), "--index", str(index_copy))
    monkeypatch.undo()
    assert code == EXIT_ERROR
    assert_one_line(output, "the disk is full", "previous index is still served")
    assert (index_copy / "CURRENT").read_text() == served
    assert not [p for p in Path(index_copy).iterdir() if p.name.startswith(".tmp-")]
    monkeypatch.setenv("QABOT_BACKEND", "onnx")
    code, output = run_main(
        capsys, "ask", "What is JAX?", "--index", str(index_copy), "--knowledge", str(knowledge)
    )
    assert code == 0 and "JAX" in output


def test_a_dotenv_that_is_not_utf8_is_one_line_naming_the_file_and_line_never_its_text(
    capsys, monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_bytes(b"QABOT_TOP_K=3\nDISCORD_TOKEN=tok\xffsecret\n")
    code, output = run_main(capsys, "ask", "What is JAX?", "--index", str(tmp_path / "i"))
    assert code == EXIT_ERROR
    assert_one_line(output, "can't read the settings file .env", "line 2 is not valid UTF-8")
    assert "secret" not in output and "tok" not in output


def test_an_unreadable_dotenv_is_one_line_naming_the_file(capsys, monkeypatch, tmp_path):
    import builtins

    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("QABOT_TOP_K=3\n")
    real_open = builtins.open

    # Root reads any file whatever its mode, so the refusal is injected at the call that opens it.
    def refusing_open(file, *args, **kwargs):
        if str(file).endswith(".env"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)
    code, output = run_main(capsys, "run", "--index", str(tmp_path / "i"))
    assert code == EXIT_ERROR
    assert_one_line(output, "can't read the settings file .env", "Permission denied")


def test_a_database_path_that_is_a_text_file_is_one_line(capsys, monkeypatch, tmp_path):
    (tmp_path / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    monkeypatch.setenv("QABOT_DATABASE_PATH", str(tmp_path / "passwd"))
    monkeypatch.setenv("QABOT_COLLECTIONS_DIR", str(tmp_path / "collections"))
    code, output = run_main(capsys, "collections", "delete", "123", "--yes")
    assert code == EXIT_ERROR
    assert_one_line(output, f"can't use {tmp_path / 'passwd'} as the database", "QABOT_DATABASE_PATH")


@pytest.mark.parametrize(
    "args", [("source", "add", "docs", "https://example.org/docs/"), ("sync", "--index", "i")]
)
def test_a_sources_dir_that_is_a_file_is_one_line(capsys, monkeypatch, tmp_path, args):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    monkeypatch.setenv("QABOT_SOURCES_DIR", str(tmp_path / "passwd"))
    code, output = run_main(capsys, *args)
    assert code == EXIT_ERROR
    assert_one_line(output, "QABOT_SOURCES_DIR")
    assert (tmp_path / "passwd").read_text() == "root:x:0:0:root:/root:/bin/bash\n"


def test_adding_to_a_server_collection_under_a_file_is_one_line(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (tmp_path / "new.md").write_text("---\ntitle: New\n---\n# New\n\nSome text.\n")
    monkeypatch.setenv("QABOT_COLLECTIONS_DIR", str(tmp_path / "passwd"))
    code, output = run_main(capsys, "kb", "add", str(tmp_path / "new.md"), "--collection", "123")
    assert code == EXIT_ERROR
    assert_one_line(output, "`new.md` was not added", "QABOT_COLLECTIONS_DIR")
