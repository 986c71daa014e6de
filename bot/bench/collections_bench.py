"""Many servers: N server collections of 20 articles each beside the base, answered through Collections.

Indexing N x 20 articles with the real model would take N times one small build (about 2 s each on two
cores, so over half an hour for 1,000 servers) and measure indexing, which is not the question here. So one
collection of 20 synthetic articles (3 one-paragraph sections each) is indexed once with the real model
and its folder copied to every server: each copy is a complete, valid collection of the same shape and
size, loaded, verified and searched as its own. Content does not change what is measured (load time,
memory, answer time), only which passages are found.

Measured: the resident memory of the process (VmRSS) before and after every server has asked once, the
estimated size of the loaded collections against the budget (RSS also keeps what evicted collections
freed but the allocator did not hand back), the first answer in a server whose
collection is not loaded (cold: load + answer), answers in a loaded one (warm), and the base's own
answers for comparison (the single-collection path).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from bot.bench.stats import summary
from bot.bench.synthetic import article_text
from bot.core.collection_folders import collection_dirs
from bot.core.collections import Collections, Scope
from bot.core.embedding import Embedder
from bot.core.indexer import build_index
from bot.core.service import KnowledgeBase

ARTICLES_PER_SERVER = 20
SECTIONS_PER_ARTICLE = 3
FIRST_GUILD = 10**17  # snowflake-sized ids
SERVER_QUESTION = "How does the optimizer question help the model gradient?"
BASE_QUESTIONS = (
    "How do I install PyTorch with CUDA?",
    "What is JAX?",
    "How do I save a Keras model?",
    "What is a tokenizer in Hugging Face Transformers?",
)
WARM_RUNS = 40


def resident_mb() -> float:
    """This process's resident memory now (Linux /proc), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def build_template(embedder: Embedder, work: Path) -> tuple[Path, Path]:
    """One server collection, indexed with the real model: (knowledge folder, index folder)."""
    knowledge, index = work / "template" / "knowledge", work / "template" / "index"
    knowledge.mkdir(parents=True, exist_ok=True)
    for number in range(ARTICLES_PER_SERVER):
        text = article_text(number, SECTIONS_PER_ARTICLE)
        (knowledge / f"note-{number:02d}.md").write_text(text)
    build_index(knowledge, index, embedder)
    return knowledge, index


def copy_servers(template: tuple[Path, Path], root: Path, servers: int) -> list[int]:
    """The template collection copied to `servers` server folders under `root`; returns their ids."""
    guilds = [FIRST_GUILD + n for n in range(servers)]
    for guild_id in guilds:
        for source, target in zip(template, collection_dirs(root, guild_id), strict=True):
            if not target.exists():
                shutil.copytree(source, target)
    return guilds


def timed(collections: Collections, question: str, scope: Scope) -> float:
    started = time.perf_counter()
    collections.ask_many([question], None, scope)
    return time.perf_counter() - started


def bench_collections(base: KnowledgeBase, work: Path, servers: int, budget_mb: int) -> dict:
    """Cold, warm and base-only answer times and memory with `servers` collections (see the docstring)."""
    root = work / "collections"
    template = build_template(base.embedder, work)
    guilds = copy_servers(template, root, servers)
    collections = Collections(base, root, budget_mb * 2**20)
    for question in BASE_QUESTIONS:  # warm the model and the base before anything is timed
        base.ask(question)
    rss_before = resident_mb()
    cold = [timed(collections, SERVER_QUESTION, Scope(guild_id)) for guild_id in guilds]
    rss_after = resident_mb()
    hot = guilds[-1]  # the last one asked is certainly loaded
    base_only, warm, warm_own = [], [], []
    for n in range(WARM_RUNS):  # interleaved, so a burst of load on the machine hits all three alike
        base_only.append(timed(collections, BASE_QUESTIONS[n % 4], Scope()))
        warm.append(timed(collections, BASE_QUESTIONS[n % 4], Scope(hot)))
        warm_own.append(timed(collections, SERVER_QUESTION, Scope(hot)))
    one_collection_mb = collections.resident_bytes() / max(1, len(collections.loaded_ids())) / 2**20
    return {
        "servers": servers,
        "articles_per_server": ARTICLES_PER_SERVER,
        "passages_per_server": SECTIONS_PER_ARTICLE * ARTICLES_PER_SERVER,
        "budget_mb": budget_mb,
        "loaded_at_end": len(collections.loaded_ids()),
        "loaded_estimate_mb": round(collections.resident_bytes() / 2**20, 1),
        "collection_on_disk_mb": round(one_collection_mb, 3),
        "rss_mb": {
            "before_servers": round(rss_before, 1),
            "after_every_server": round(rss_after, 1),
            "growth": round(rss_after - rss_before, 1),
        },
        "cold_first_answer": summary(cold),
        "cold_max_ms": round(max(cold) * 1e3, 1),
        "warm_base_only": summary(base_only),
        "warm_server_base_question": summary(warm),
        "warm_server_own_question": summary(warm_own),
    }


def render_collections(f: dict) -> str:
    return (
        f"collections: {f['servers']} servers x {f['articles_per_server']} articles "
        f"({f['passages_per_server']} passages) + base | cold first answer p50 "
        f"{f['cold_first_answer']['p50_ms']:.0f} ms p99 {f['cold_first_answer']['p99_ms']:.0f} ms max "
        f"{f['cold_max_ms']:.0f} ms | warm p50: base alone {f['warm_base_only']['p50_ms']:.1f} ms, server + base "
        f"{f['warm_server_base_question']['p50_ms']:.1f} ms (own article {f['warm_server_own_question']['p50_ms']:.1f}"
        f" ms) | RSS {f['rss_mb']['before_servers']} -> {f['rss_mb']['after_every_server']} MB, "
        f"{f['loaded_at_end']} loaded ({f['loaded_estimate_mb']} MB of {f['budget_mb']} MB budget)"
    )
