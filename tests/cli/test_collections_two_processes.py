"""A server's collection changed by another process (the real `qabot` command) reaches a running bot's
Collections through refresh(): the shard and the command share nothing but the folders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.collections import Collections, Scope
from bot.core.service import KnowledgeBase
from tests.cli.homes import WOMBAT
from tests.cli.test_cli import index_copy  # noqa: F401 (a fixture)
from tests.conftest import KNOWLEDGE, MODEL_CACHE, REPO, TEST_BACKEND

GUILD = 4242
QUESTION = "What does Wombat dig burrows with?"


def qabot(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "QABOT_BACKEND": TEST_BACKEND,
        "QABOT_MODEL_CACHE_DIR": str(MODEL_CACHE),
        "QABOT_KNOWLEDGE_DIR": str(KNOWLEDGE),
        "QABOT_INDEX_DIR": str(home / "index"),
        "QABOT_COLLECTIONS_DIR": str(home / "collections"),
        "HF_HUB_OFFLINE": "1",
    }
    command = [sys.executable, "-m", "bot", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=180, check=False)


def from_server(collections: Collections) -> list[str]:
    answer = collections.ask_many([QUESTION], scope=Scope(guild_id=GUILD))[0]
    return [source.path for source in answer.sources if source.collection == "server"]


@pytest.mark.model
def test_another_process_adding_and_removing_a_server_article_reaches_the_running_collections(
    index_copy,  # noqa: F811
    real_embedder,
    tmp_path,
):
    base = KnowledgeBase(KNOWLEDGE, index_copy, real_embedder, threshold=0.44)
    base.load(build_if_missing=False)
    collections = Collections(base, tmp_path / "collections", memory_budget=10**9)
    assert from_server(collections) == []  # no collection yet: nothing of the server's

    (tmp_path / "wombat.md").write_bytes(WOMBAT)
    added = qabot("kb", "add", str(tmp_path / "wombat.md"), "--collection", str(GUILD), home=tmp_path)
    assert added.returncode == 0, added.stderr
    assert from_server(collections) == ["wombat.md"]  # not loaded before: read fresh on first use

    removed = qabot("kb", "remove", "wombat.md", "--collection", str(GUILD), home=tmp_path)
    assert removed.returncode == 0, removed.stderr
    assert collections.refresh() == [GUILD]  # loaded now: its CURRENT moved on
    assert from_server(collections) == []
