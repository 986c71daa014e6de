"""The manifest: what a generation was built with and from, and the checksums of its files.

Loading compares it with the configured model, backend and dimension (refusing a mismatch), and with the
data it describes (store/checks.py); an incremental build reads its per-article content hashes to know
which articles changed.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.store.checks import manifest_problem
from bot.core.store.layout import FORMAT_VERSION, MANIFEST_FILE
from bot.errors import IndexCorrupt

if TYPE_CHECKING:
    from bot.core.embedding import Embedder


@dataclass(frozen=True)
class ArticleEntry:
    content_hash: str
    title: str
    passages: int


@dataclass(frozen=True)
class Manifest:
    model: str
    backend: str
    dimension: int
    index_type: str
    max_tokens: int
    passage_count: int
    view_count: int
    sentence_count: int
    articles: dict[str, ArticleEntry]
    files: dict[str, str] = field(default_factory=dict)
    generation: str = ""
    built_at: float = 0.0
    format_version: int = FORMAT_VERSION
    # The model whose passage vectors rerank.npy holds; None (and absent from the JSON, so an index
    # without a re-ranker is the same file as before the field existed) when there is none.
    rerank_model: str | None = None

    def to_json(self) -> str:
        data = asdict(self)
        if data["rerank_model"] is None:
            del data["rerank_model"]
        return json.dumps(data, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        problem = manifest_problem(data)
        if problem:
            raise ValueError(problem)
        data["articles"] = {path: ArticleEntry(**entry) for path, entry in data["articles"].items()}
        return cls(**data)


def new_manifest(
    embedder: Embedder,
    index_type: str,
    *,
    passages: int,
    views: int,
    sentences: int,
    articles: dict[str, ArticleEntry],
    reranker: Embedder | None = None,
) -> Manifest:
    """The manifest of a build about to be written; save_index adds the checksums and the generation."""
    return Manifest(
        model=embedder.model_name,
        backend=embedder.backend,
        dimension=embedder.dimension,
        index_type=index_type,
        max_tokens=embedder.max_tokens,
        passage_count=passages,
        view_count=views,
        sentence_count=sentences,
        articles=articles,
        rerank_model=None if reranker is None else reranker.model_name,
    )


def stamped(manifest: Manifest, files: dict[str, str], generation: str) -> Manifest:
    """The manifest as written: with its files' checksums, its generation's name and the time."""
    return replace(manifest, files=files, generation=generation, built_at=time.time())


def read_manifest(directory: Path) -> Manifest:
    """The manifest of one generation directory; a missing or malformed one is IndexCorrupt."""
    try:
        return Manifest.from_json((directory / MANIFEST_FILE).read_text())
    except FileNotFoundError:
        raise IndexCorrupt(directory.parent, f"{directory.name}/{MANIFEST_FILE} is missing") from None
    except (ValueError, TypeError, KeyError) as error:
        raise IndexCorrupt(directory.parent, f"{MANIFEST_FILE} is damaged ({error})") from None
