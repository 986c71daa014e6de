"""The performance benchmark: every figure of issue 4, measured in one run on this machine.

Usage:
    python -m bot.bench                      # everything (about 10 minutes on 2 cores)
    python -m bot.bench --quick              # small sizes, for CI smoke tests (about 1-2 minutes)
    python -m bot.bench --json > bench.json  # the same figures as JSON
    python -m bot.bench --backends onnx-int8,torch --sections backends,startup
    python -m bot.bench --ann-sizes 100000,1000000 --sections ann

Sections (`--sections`, default all):
    backends     per embedding backend (torch, onnx, onnx-int8), on ../shared/bench/python-faq: indexing
                 throughput (passages/s), retrieval quality (R@1, R@5, MRR@10 per document, refusals),
                 and latency: the floor (bare model encode + bare FAISS search of the same index) against
                 qabot's whole warm answer path (KnowledgeBase.ask), p50/p99 and their ratio
    batching     answers/s when 200 questions arrive together and are answered with ask_many in batches
    startup      process start to printed answer of `python -m bot ask QUESTION --index --knowledge` on an
                 existing index, and the process's peak RSS
    incremental  reindex after editing one article of a synthetic ~10,000-passage knowledge base against a
                 full rebuild (`--kb-passages`), with the "auto" backend
    ann          FAISS at 100k and 1M synthetic clustered 384-d vectors (`--ann-sizes`): the index type
                 build_ann picks, build time, memory, single-query p50/p99 and recall@10 against exact search

Only local files and subprocesses are touched; the exported ONNX models are cached in `--cache-dir`
(default index/models, the same as QABOT_MODEL_CACHE_DIR), so later runs don't export again.
"""

from __future__ import annotations

from bot.bench.run import main

__all__ = ["main"]
