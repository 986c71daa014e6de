"""The opt-in re-ranker through the command line: `qabot index` writes its vectors, `qabot eval
--threshold` sets the threshold in force. The bundled model stands in for the second model."""

import json
import shutil

import pytest
from click.testing import CliRunner

from bot.cli import cli
from tests.conftest import KNOWLEDGE, MODEL_CACHE, TEST_BACKEND

pytestmark = pytest.mark.model


@pytest.fixture
def rerank_env(monkeypatch, tmp_path):
    monkeypatch.setenv("QABOT_BACKEND", TEST_BACKEND)
    monkeypatch.setenv("QABOT_MODEL_CACHE_DIR", str(MODEL_CACHE))
    monkeypatch.setenv("QABOT_RERANK_MODEL", "sentence-transformers/all-MiniLM-L6-v2")
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    shutil.copy(KNOWLEDGE / "jax.md", knowledge / "jax.md")
    return knowledge


def test_qabot_index_stores_the_rerankers_vectors(rerank_env, tmp_path):
    result = CliRunner().invoke(
        cli, ["index", "--knowledge", str(rerank_env), "--index", str(tmp_path / "index")]
    )
    assert result.exit_code == 0, result.output
    generation = tmp_path / "index" / (tmp_path / "index" / "CURRENT").read_text().strip()
    manifest = json.loads((generation / "manifest.json").read_text())
    assert manifest["rerank_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert (generation / "rerank.npy").is_file()


def test_eval_threshold_overrides_the_rerankers_threshold_too(rerank_env, tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "1", "question": "What is jit in JAX?", "gold": "jax.md"}) + "\n")
    result = CliRunner().invoke(
        cli,
        ["eval", "--corpus", str(rerank_env), "--questions", str(questions), "--threshold", "0.9", "--json"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["threshold"] == 0.9 and report["answered_share"] == 0.0
