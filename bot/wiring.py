"""The one place the retrieval core is built from settings, for the CLI, the bot and the bench.

The core takes what it is given (a model name, a concrete backend, directories, numbers) and never reads
settings or guesses. What needs the settings, the machine or the index on disk is decided here, once:
which backend `auto` means, which embedder to load, and how the KnowledgeBase is configured.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot.core import onnx_embedding
from bot.core.collections import Collections
from bot.core.embedding import ONNX_BACKENDS, Embedder, create_embedder, missing_onnx_libraries
from bot.core.indexer import BuildReport
from bot.core.quota import Quota
from bot.core.service import KnowledgeBase
from bot.core.store import current_generation, read_manifest
from bot.errors import IndexError_
from bot.settings import CoreSettings, SourcesSettings
from bot.sources.policy import FetchPolicy
from bot.sources.scoped import CollectionSources
from bot.sources.service import SourceService

log = logging.getLogger(__name__)


def resolve_backend(settings: CoreSettings) -> str:
    """The concrete backend for `settings.backend`: itself, or what `auto` means (see auto_backend), with
    torch as the fallback when the ONNX libraries are not installed."""
    if settings.backend != "auto":
        return settings.backend
    chosen = auto_backend(settings.index_dir)
    missing = missing_onnx_libraries()
    if missing:
        log.warning("%s not installed; embedding with torch", " and ".join(missing))
        return "torch"
    return chosen


def auto_backend(index_dir: Path | None) -> str:
    """What "auto" means: the backend the current index was built with, so every process and machine
    sharing it agrees with it; for a new index, "onnx-int8" where the processor has int8 dot-product
    instructions (VNNI, ARM64), else "onnx" (fp32). On plain AVX2 int8 is also faster (see bot.bench),
    but by less, and fp32 vectors are the model's own (int8's mean cosine to them is 0.994)."""
    built_with = _index_backend(index_dir) if index_dir else None
    if built_with in ONNX_BACKENDS:
        return built_with
    return "onnx-int8" if onnx_embedding.cpu_features().fast_int8 else "onnx"


def _index_backend(index_dir: Path) -> str | None:
    try:
        name = current_generation(index_dir)
        return None if name is None else read_manifest(index_dir / name).backend
    except IndexError_:
        return None  # a damaged index is reported when it is loaded, with its fix


def open_embedder(settings: CoreSettings) -> Embedder:
    """Load the configured model on the resolved backend."""
    return create_embedder(settings.model, resolve_backend(settings), cache_dir=settings.model_cache_dir)


def open_reranker(settings: CoreSettings) -> Embedder | None:
    """The re-ranking model when QABOT_RERANK_MODEL names one, else None. On ONNX fp32 unless the main
    model runs on torch: a question's vector came 7x sooner than torch's with all-mpnet-base-v2, to a
    cosine of 1.000; never int8, whose vectors for a second model are not measured."""
    if not settings.rerank_model:
        return None
    backend = "torch" if resolve_backend(settings) == "torch" else "onnx"
    return create_embedder(settings.rerank_model, backend, cache_dir=settings.model_cache_dir)


def knowledge_base(
    settings: CoreSettings, embedder: Embedder | None = None, reranker: Embedder | None = None
) -> KnowledgeBase:
    """A KnowledgeBase configured from `settings`, not loaded yet (the bot waits for a build elsewhere).
    `embedder` and `reranker`, when given, are used instead of loading the configured models. With a
    re-ranker the threshold is QABOT_RERANK_THRESHOLD: the blended confidence has a scale of its own."""
    reranker = reranker or open_reranker(settings)
    return KnowledgeBase(
        settings.knowledge_dir,
        settings.index_dir,
        embedder or open_embedder(settings),
        threshold=settings.threshold if reranker is None else settings.rerank_threshold,
        top_k=settings.top_k,
        max_question_chars=settings.max_question_chars,
        max_article_bytes=settings.max_article_bytes,
        reranker=reranker,
    )


def open_knowledge_base(
    settings: CoreSettings,
    *,
    embedder: Embedder | None = None,
    reranker: Embedder | None = None,
    build_if_missing: bool = True,
) -> tuple[KnowledgeBase, BuildReport | None]:
    """The loaded KnowledgeBase and the report of the build it needed first (None when it found an index)."""
    current_generation(settings.index_dir)  # a bad CURRENT or --index is reported before the model loads
    kb = knowledge_base(settings, embedder, reranker)
    return kb, kb.load(build_if_missing=build_if_missing)


MB = 1024 * 1024


def collections_root(settings: CoreSettings, database_path: Path) -> Path:
    """Where the servers' collections live: QABOT_COLLECTIONS_DIR, else `collections` beside the database."""
    return settings.collections_dir or database_path.parent / "collections"


def server_quota(settings: CoreSettings) -> Quota:
    """What each server's collection may hold, when changed from Discord."""
    return Quota(settings.max_server_articles, settings.max_server_mb * MB)


def open_collections(settings: CoreSettings, base: KnowledgeBase, database_path: Path) -> Collections:
    """The servers' collections around the loaded base, sharing its models, within the memory budget and
    each within its quota."""
    root = collections_root(settings, database_path)
    return Collections(base, root, settings.collections_memory_mb * MB, server_quota(settings))


def fetch_policy(settings: SourcesSettings) -> FetchPolicy:
    return FetchPolicy(
        allow_private=settings.sources_allow_private,
        ca_bundle=str(settings.sources_ca_bundle) if settings.sources_ca_bundle else None,
        max_pages=settings.sources_max_pages,
        max_page_bytes=settings.sources_max_page_bytes,
        max_repo_bytes=settings.sources_max_repo_mb * MB,
        request_interval=settings.sources_request_interval,
        concurrency=settings.sources_concurrency,
        timeout=settings.sources_timeout_seconds,
    )


def source_service(core: CoreSettings, settings: SourcesSettings) -> SourceService:
    """The sources, writing their articles into the configured knowledge folder."""
    return SourceService(settings.sources_dir, core.knowledge_dir, fetch_policy(settings))


def collection_sources(
    core: CoreSettings, settings: SourcesSettings, database_path: Path
) -> CollectionSources:
    """The base's sources and each server collection's, for the command line (the bot builds its own
    around its collections' folder)."""
    return CollectionSources(
        source_service(core, settings),
        collections_root(core, database_path),
        settings.max_sources_per_server,
        server_quota(core),
    )
