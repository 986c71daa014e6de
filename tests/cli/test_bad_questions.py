"""Hostile questions through the real `qabot` process: real bytes on stdin and in argv, not str."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bot.cli import EXIT_ERROR
from tests.cli.test_cli import index_copy  # noqa: F401 (a fixture)
from tests.conftest import KNOWLEDGE, MODEL_CACHE, REPO, TEST_BACKEND

NOT_TEXT = "the question is not valid text (undecodable bytes at character 9)"


def qabot(*args: bytes | str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "QABOT_BACKEND": TEST_BACKEND,
        "QABOT_MODEL_CACHE_DIR": str(MODEL_CACHE),
        "QABOT_KNOWLEDGE_DIR": str(KNOWLEDGE),
        "HF_HUB_OFFLINE": "1",
    }
    command = [sys.executable, "-m", "bot", *args]
    return subprocess.run(command, input=stdin, capture_output=True, env=env, timeout=120, check=False)


@pytest.mark.model
def test_a_line_of_undecodable_bytes_gets_its_own_error_and_the_rest_are_answered(index_copy):  # noqa: F811
    stdin = (
        b"What is JAX?\nWhat is \xff PyTorch?\nWhat\x00 is \x1b[31mKeras\x1b[0m?\n\x00\x07\nWhat is Flax?\n"
    )
    done = qabot("ask", "-", "--json", "--index", str(index_copy), stdin=stdin)
    lines = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [line.get("answered") for line in lines] == [True, None, True, None, True], done.stderr
    assert lines[0]["sources"][0]["path"] == "jax.md"
    assert lines[1] == {"question": "What is \ufffd PyTorch?", "error": NOT_TEXT + "; send it as UTF-8"}
    assert lines[2]["question"] == "What is Keras ?" and lines[2]["sources"][0]["path"] == "keras.md"
    assert lines[3]["error"].startswith("the question is empty")
    assert done.returncode == EXIT_ERROR
    assert (
        done.stderr.decode().strip().splitlines()[-1]
        == "error: 2 of 5 questions could not be answered (see above)"
    )
    assert b"Traceback" not in done.stderr


@pytest.mark.model
def test_stdin_without_bad_lines_exits_zero_in_plain_text(index_copy):  # noqa: F811
    done = qabot("ask", "-", "--index", str(index_copy), stdin=b"What is JAX?\n\nWhat is Keras?\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().count("Sources:") == 2 and "error" not in done.stdout.decode()


def test_undecodable_bytes_in_argv_are_one_clear_line_before_the_model_loads(tmp_path):
    done = qabot("ask", b"What is \xff PyTorch?", "--index", str(tmp_path / "none"))
    assert done.returncode == EXIT_ERROR
    assert done.stderr.decode().strip() == f"error: {NOT_TEXT}; send it as UTF-8"
    assert not (tmp_path / "none").exists()  # refused before anything was built


@pytest.mark.model
def test_control_characters_in_argv_are_read_as_spaces(index_copy):  # noqa: F811
    done = qabot("ask", "What\x01 is\x7f \x1b[1mJAX\x1b[0m?", "--json", "--index", str(index_copy))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["question"] == "What is JAX ?" and answer["sources"][0]["path"] == "jax.md"
