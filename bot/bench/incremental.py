"""The cost of an incremental reindex after one article changes, against a full rebuild."""

from __future__ import annotations

import time
from pathlib import Path

from bot.bench.stats import ratio
from bot.bench.synthetic import edit_one_article, write_knowledge_base
from bot.core.embedding import Embedder
from bot.core.indexer import build_index
from bot.core.store import load_index


def bench_incremental(embedder: Embedder, work: Path, passages: int) -> dict:
    knowledge, index_dir = work / "synthetic-kb", work / "synthetic-index"
    articles = write_knowledge_base(knowledge, passages)
    full = build_index(knowledge, index_dir, embedder, full=True)
    edit_one_article(knowledge)
    incremental = build_index(knowledge, index_dir, embedder)
    started = time.perf_counter()
    load_index(index_dir).close()  # what a serving process pays to swap the new generation in
    swap = time.perf_counter() - started
    return {
        "backend": embedder.backend,
        "articles": articles,
        "passages": full.passages,
        "full_rebuild": {
            "seconds": round(full.seconds, 3),
            "views_embedded": full.embedded,
            "passages_per_s": round(full.passages / full.seconds, 1),
        },
        "incremental": {
            "seconds": round(incremental.seconds, 3),
            "views_embedded": incremental.embedded,
            "views_reused": incremental.reused,
            "changed": list(incremental.changed),
        },
        "load_new_generation_s": round(swap, 3),
        "full_over_incremental": ratio(full.seconds, incremental.seconds),
    }
