"""The collections measurement on a small scale with the hashing stand-in (the bench itself uses the real
model): every server is asked once, cold, the loaded ones stay within the budget, and the figures add up."""

from __future__ import annotations

import shutil

from bot.bench.collections_bench import bench_collections, render_collections
from bot.core.service import KnowledgeBase
from tests.conftest import KNOWLEDGE
from tests.fakes import HashingEmbedder


def test_every_server_is_asked_cold_and_the_loaded_ones_fit_the_budget(tmp_path):
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    for name in ("jax.md", "keras.md", "pytorch.md"):
        shutil.copy(KNOWLEDGE / name, knowledge / name)
    base = KnowledgeBase(knowledge, tmp_path / "index", HashingEmbedder(), threshold=0.3)
    base.load()
    figures = bench_collections(base, tmp_path / "work", servers=6, budget_mb=1)
    assert figures["cold_first_answer"]["n"] == 6 and figures["warm_base_only"]["n"] > 0
    assert 0 < figures["loaded_at_end"] < 6  # a 1 MB budget can't hold six collections
    assert figures["loaded_estimate_mb"] <= 1
    assert len(list((tmp_path / "work" / "collections").iterdir())) == 6
    assert "6 servers x 20 articles" in render_collections(figures)
