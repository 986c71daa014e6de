"""Hostile knowledge folders through the real CLI and the real model: what lies outside the folder never
reaches an answer, and each bad file is one line saying why it was skipped."""

from __future__ import annotations

import json
import shutil

import pytest

from bot.cli import EXIT_SKIPPED
from tests.cli.test_cli import invoke
from tests.conftest import KNOWLEDGE, MODEL_CACHE, TEST_BACKEND
from tests.hostile import ALIAS_BOMB

pytestmark = pytest.mark.model
TOKEN = "MTIzNDU2Nzg5.secret-discord-token"


@pytest.fixture
def hostile(tmp_path, monkeypatch):
    monkeypatch.setenv("QABOT_BACKEND", TEST_BACKEND)
    monkeypatch.setenv("QABOT_MODEL_CACHE_DIR", str(MODEL_CACHE))
    (tmp_path / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\n")
    root = tmp_path / "knowledge"
    root.mkdir()
    for name in ("jax.md", "pytorch.md"):
        shutil.copy(KNOWLEDGE / name, root / name)
    (root / "config.md").symlink_to("../.env")
    (root / "passwd.md").symlink_to("/etc/passwd")
    (root / "bomb.md").write_text(ALIAS_BOMB)
    with (root / "huge.md").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    return root


def test_index_skips_links_bombs_and_huge_files_and_ask_never_quotes_them(hostile, tmp_path):
    index = str(tmp_path / "index")
    built = invoke("index", "--knowledge", str(hostile), "--index", index)
    assert built.exit_code == EXIT_SKIPPED, built.output
    lines = built.output.splitlines()
    assert "skipped config.md: symbolic link to outside the knowledge folder; not read" in lines
    assert "skipped passwd.md: symbolic link to outside the knowledge folder; not read" in lines
    assert any(line.startswith("skipped bomb.md: bad front matter: YAML aliases") for line in lines)
    assert "skipped huge.md: too big: 52,428,800 bytes; the limit is 2,000,000" in built.output
    assert "2 articles" in built.output and "4 skipped" in built.output
    asked = invoke("ask", "What is DISCORD_TOKEN?", "--json", "--knowledge", str(hostile), "--index", index)
    assert asked.exit_code == 0, asked.output
    answer = json.loads(asked.output)
    assert TOKEN not in asked.output and "root:" not in asked.output
    assert {p["path"] for p in answer["passages"]} <= {"jax.md", "pytorch.md"}


def test_the_article_size_limit_is_a_setting(hostile, tmp_path, monkeypatch):
    monkeypatch.setenv("QABOT_MAX_ARTICLE_BYTES", "4096")
    (hostile / "small.md").write_text("---\ntitle: Small\n---\n\nJAX is a library for array computing.\n")
    built = invoke("index", "--knowledge", str(hostile), "--index", str(tmp_path / "index"))
    assert "skipped jax.md: too big:" in built.output and "the limit is 4,096" in built.output
