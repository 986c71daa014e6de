"""The CLI through its own entry point (click's runner), with the real model where answers matter."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import EXIT_ERROR, EXIT_SKIPPED, cli
from tests.conftest import KNOWLEDGE, MODEL_CACHE, SHIPPED_ARTICLES, TEST_BACKEND


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def index_copy(shipped_index, tmp_path, monkeypatch) -> Path:
    """A copy of the session's index; the CLI uses the backend and model cache it was built with."""
    monkeypatch.setenv("QABOT_BACKEND", TEST_BACKEND)
    monkeypatch.setenv("QABOT_MODEL_CACHE_DIR", str(MODEL_CACHE))
    target = tmp_path / "index"
    shutil.copytree(shipped_index, target)
    return target


@pytest.mark.parametrize("question", ["", "   \n\t "])
def test_empty_question_is_one_clear_line(question, tmp_path):
    result = invoke("ask", question, "--index", str(tmp_path / "none"))
    assert result.exit_code == EXIT_ERROR
    assert (
        result.output.strip()
        == 'error: the question is empty; ask something, e.g. `qabot ask "What is PyTorch?"`'
    )


def test_huge_question_is_refused_and_says_the_limit(tmp_path):
    result = invoke("ask", "why " * 25_000, "--index", str(tmp_path / "none"))
    assert result.exit_code == EXIT_ERROR
    assert "the limit is 4000" in result.output and "Traceback" not in result.output


def test_missing_knowledge_dir_is_one_clear_line(tmp_path):
    result = invoke("index", "--knowledge", str(tmp_path / "absent"), "--index", str(tmp_path / "i"))
    assert result.exit_code == EXIT_ERROR
    assert result.output.strip().startswith("error: knowledge directory not found")


def test_empty_knowledge_base_is_one_clear_line(tmp_path):
    (tmp_path / "kb").mkdir()
    result = invoke("index", "--knowledge", str(tmp_path / "kb"), "--index", str(tmp_path / "i"))
    assert result.exit_code == EXIT_ERROR and "no usable articles" in result.output


@pytest.mark.model
def test_unreadable_index_names_the_fix(index_copy):
    generation = index_copy / (index_copy / "CURRENT").read_text().strip()
    (generation / "passages.sqlite").write_bytes(b"garbage")
    result = invoke("ask", "What is PyTorch?", "--index", str(index_copy), "--knowledge", str(KNOWLEDGE))
    assert result.exit_code == EXIT_ERROR
    assert "qabot index --full" in result.output and "Traceback" not in result.output


@pytest.mark.model
def test_index_reports_skipped_files_and_exits_with_skipped_status(tmp_path):
    knowledge = tmp_path / "kb"
    shutil.copytree(KNOWLEDGE, knowledge)
    (knowledge / "broken.md").write_bytes(b"---\ntitle: [oops\n---\ntext")
    result = invoke("index", "--knowledge", str(knowledge), "--index", str(tmp_path / "i"))
    assert result.exit_code == EXIT_SKIPPED
    assert "skipped broken.md: bad front matter" in result.output
    assert f"{SHIPPED_ARTICLES} articles" in result.output and " reused, 1 skipped" in result.output


@pytest.mark.model
def test_ask_json_has_the_documented_shape(index_copy):
    result = invoke("ask", "Who developed TensorFlow?", "--json", "-k", "3", "--index", str(index_copy))
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert set(answer) >= {"question", "answered", "answer", "confidence", "sources", "passages"}
    assert answer["answered"] and "Google Brain" in answer["answer"]
    assert len(answer["passages"]) == 3
    assert answer["sources"][0]["path"] == "tensorflow.md"
    assert answer["sources"][0]["url"].startswith("https://")
    assert set(answer["passages"][0]) == {"text", "title", "section", "path", "score"}


@pytest.mark.model
def test_ask_builds_the_index_when_there_is_none_with_the_default_backend(tmp_path):
    result = invoke("ask", "What is JAX?", "--index", str(tmp_path / "new"), "--knowledge", str(KNOWLEDGE))
    assert result.exit_code == 0 and "built the index first" in result.output
    assert "JAX" in result.output and "Sources:" in result.output
    assert (tmp_path / "new" / "CURRENT").exists()


@pytest.mark.model
def test_an_index_built_with_another_backend_is_refused_with_the_fix(index_copy, monkeypatch):
    monkeypatch.setenv("QABOT_BACKEND", "onnx-int8")
    result = invoke("ask", "What is JAX?", "--index", str(index_copy))
    assert result.exit_code == EXIT_ERROR
    assert "backend='onnx' but 'onnx-int8'" in result.output and "qabot index --full" in result.output


@pytest.mark.model
def test_auto_backend_follows_the_index_it_finds(tmp_path, monkeypatch):
    monkeypatch.setenv("QABOT_MODEL_CACHE_DIR", str(MODEL_CACHE))
    monkeypatch.setenv("QABOT_BACKEND", "onnx-int8")
    index = str(tmp_path / "int8")
    assert invoke("index", "--knowledge", str(KNOWLEDGE), "--index", index).exit_code == 0
    monkeypatch.setenv("QABOT_BACKEND", "auto")  # on any processor: the index says int8
    result = invoke("ask", "What is JAX?", "--json", "--index", index, "--knowledge", str(KNOWLEDGE))
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["answered"] and answer["sources"][0]["path"] == "jax.md"


@pytest.mark.model
def test_ask_stdin_answers_each_line_as_json(index_copy):
    questions = "What is eager execution?\n\nHow do I bake sourdough bread?\n"
    result = invoke("ask", "-", "--json", "--index", str(index_copy), input=questions)
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [line["answered"] for line in lines] == [True, False]
    assert len(lines[1]["passages"]) == 5 and lines[1]["answer"].startswith("I couldn't find")


@pytest.mark.model
def test_chat_answers_until_an_empty_line(index_copy):
    result = invoke("chat", "--index", str(index_copy), input="What is LibTorch?\n\n")
    assert result.exit_code == 0 and "C++" in result.output and "Sources:" in result.output


def test_eval_rejects_a_malformed_questions_file(tmp_path):
    (tmp_path / "q.jsonl").write_text('{"id": 1}\n')
    (tmp_path / "corpus").mkdir()
    result = invoke("eval", "--corpus", str(tmp_path / "corpus"), "--questions", str(tmp_path / "q.jsonl"))
    assert result.exit_code == EXIT_ERROR and "not a question record" in result.output
