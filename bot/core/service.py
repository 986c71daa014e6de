"""KnowledgeBase: the one object the adapters use. Thread-safe: searches run beside a reindex."""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bot.core.answer import Answer, SentenceScorer, compose_answer
from bot.core.embedding import Embedder
from bot.core.indexer import BuildReport, Progress, build_index
from bot.core.knowledge_files import DEFAULT_MAX_ARTICLE_BYTES
from bot.core.questions import search_text
from bot.core.search import Searcher
from bot.core.store import IndexStore, current_generation, load_index
from bot.errors import EmptyQuestion, IndexMismatch, IndexMissing, QuestionNotText, QuestionTooLong

log = logging.getLogger(__name__)

# Mismatches load() repairs by building (the index is derived data): another format version (a full
# build), or no passage vectors of the configured re-ranker (an incremental one: only those are embedded).
REBUILT_ON_LOAD = ("format_version", "rerank_model", "rerank_dimension")


@dataclass(frozen=True)
class Article:
    path: str
    title: str
    passages: int


# Lone surrogates can't be encoded to UTF-8, so the tokenizer and the stemmer reject them with a TypeError;
# Python makes them from undecodable bytes (argv, stdin with surrogateescape) and JSON lets "\ud800" through.
SURROGATE = re.compile(r"[\ud800-\udfff]")
# Terminal colour and cursor sequences (ESC [ ... letter) pasted with a question: dropped whole, else their
# parameters ("[31m") would stick to the next word.
ANSI_SEQUENCE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
# C0 and C1 controls (NUL, escape sequences, DEL): never meaningful in a question, read as spaces.
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # all but the line feed
# Characters that show nothing (zero-width spaces, byte-order marks, soft hyphens) or only reorder what
# follows (bidi overrides and isolates, which make an echoed question read backwards): dropped, so that a
# question of nothing else is empty. The zero-width joiner stays: emoji sequences are made with it.
INVISIBLE = re.compile(
    r"[\u00ad\u061c\u180e\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)


def clean_question(question: str, limit: int) -> str:
    """The question with control characters made spaces and whitespace collapsed; refused when it is not
    valid text (lone surrogates), empty, or longer than `limit`."""
    bad = SURROGATE.search(question)
    if bad is not None:
        raise QuestionNotText(bad.start())
    cleaned = " ".join(readable(question).split())
    if not cleaned:
        raise EmptyQuestion()
    if len(cleaned) > limit:
        raise QuestionTooLong(len(cleaned), limit)
    return cleaned


def readable(question: str) -> str:
    """The question with terminal escape codes and control characters made spaces; line breaks stay,
    since they tell a pasted traceback's lines apart."""
    return INVISIBLE.sub("", CONTROL.sub(" ", ANSI_SEQUENCE.sub(" ", question)))


class SentenceVectors:
    """Vectors of answer sentences: from the index when it has them, else embedded once and kept."""

    def __init__(self, embedder: Embedder, capacity: int = 10_000) -> None:
        self.embedder = embedder
        self.capacity = capacity
        self._extra: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def scorer(self, stores: IndexStore | Sequence[IndexStore], query: np.ndarray) -> SentenceScorer:
        """Scores sentences by cosine to `query`; an answer merged from several collections looks each
        sentence up in every store it may come from."""

        def similarities(sentences: Sequence[str]) -> list[float]:
            return [float(vector @ query) for vector in self.vectors(stores, sentences)]

        return similarities

    def vectors(
        self, stores: IndexStore | Sequence[IndexStore], sentences: Sequence[str]
    ) -> list[np.ndarray]:
        searched = (stores,) if isinstance(stores, IndexStore) else tuple(stores)
        found = {s: _stored_vector(searched, s) for s in sentences}
        with self._lock:
            missing = [s for s, v in found.items() if v is None and s not in self._extra]
        if missing:  # only for an index older than its passages' sentences; one model call
            encoded = self.embedder.encode(missing)
            with self._lock:
                self._extra.update(zip(missing, encoded, strict=True))
                while len(self._extra) > self.capacity:
                    self._extra.popitem(last=False)
        with self._lock:
            return [vector if (vector := found[s]) is not None else self._extra[s] for s in sentences]


def _stored_vector(stores: Sequence[IndexStore], sentence: str) -> np.ndarray | None:
    for store in stores:
        vector = store.sentence_vector(sentence)
        if vector is not None:
            return vector
    return None


class KnowledgeBase:
    """Answers questions from the current index generation and swaps in new ones without downtime."""

    def __init__(
        self,
        knowledge_dir: Path,
        index_dir: Path,
        embedder: Embedder,
        *,
        threshold: float,
        top_k: int = 5,
        max_question_chars: int = 4000,
        max_article_bytes: int = DEFAULT_MAX_ARTICLE_BYTES,
        reranker: Embedder | None = None,
    ) -> None:
        """`reranker`: a second model that re-ranks the best passages (search.py); the index then holds
        its passage vectors, and `threshold` applies to the blended confidence."""
        self.knowledge_dir = knowledge_dir
        self.index_dir = index_dir
        self.embedder = embedder
        self.threshold = threshold
        self.top_k = top_k
        self.max_question_chars = max_question_chars
        self.max_article_bytes = max_article_bytes
        self.reranker = reranker
        self._searcher: Searcher | None = None
        self._swap_lock = threading.Lock()
        self._sentences = SentenceVectors(embedder)

    # -- loading -------------------------------------------------------------------------------
    def load(self, build_if_missing: bool = True) -> BuildReport | None:
        """Load the current index (building it first when there is none); errors if it is unusable."""
        report = None
        if build_if_missing and current_generation(self.index_dir) is None:
            report = self._build()
        try:
            store = self._load_store()
        except IndexMismatch as error:
            if not (build_if_missing and error.field in REBUILT_ON_LOAD):
                raise
            if error.field == "format_version":
                # Written by another version of qabot: the index is derived data, so rebuild it.
                log.warning(
                    "index in %s has file format %s, this version reads %s: rebuilding it now",
                    self.index_dir,
                    error.found,
                    error.expected,
                )
            else:
                # Without the configured re-ranker's vectors: add them; the main model's are reused.
                log.warning(
                    "index in %s lacks the re-ranker's passage vectors (its %s is %r, %r is configured): "
                    "embedding them now",
                    self.index_dir,
                    error.field,
                    error.found,
                    error.expected,
                )
            report = self._build(full=error.field == "format_version")
            store = self._load_store()
        self._swap(store)
        return report

    def _build(self, full: bool = False, progress: Progress | None = None) -> BuildReport:
        return build_index(
            self.knowledge_dir,
            self.index_dir,
            self.embedder,
            full=full,
            progress=progress,
            max_article_bytes=self.max_article_bytes,
            reranker=self.reranker,
        )

    def _load_store(self) -> IndexStore:
        reranker = self.reranker
        return load_index(
            self.index_dir,
            model=self.embedder.model_name,
            dimension=self.embedder.dimension,
            backend=self.embedder.backend,
            rerank=None if reranker is None else (reranker.model_name, reranker.dimension),
        )

    def _swap(self, store: IndexStore) -> None:
        with self._swap_lock:
            self._searcher = Searcher(store, self.embedder, self.reranker)
        log.info("serving index %s (%d passages)", store.generation, len(store))

    @property
    def searcher(self) -> Searcher:
        searcher = self._searcher
        if searcher is None:
            raise IndexMissing(self.index_dir)
        return searcher

    @property
    def generation(self) -> str:
        return self.searcher.store.generation

    def refresh(self) -> bool:
        """Pick up a generation another process built; True when a new one was swapped in."""
        name = current_generation(self.index_dir)
        if name is None or (self._searcher and name == self.generation):
            return False
        self._swap(self._load_store())
        return True

    # -- asking --------------------------------------------------------------------------------
    def clean_question(self, question: str) -> str:
        return clean_question(question, self.max_question_chars)

    def ask(self, question: str, k: int | None = None) -> Answer:
        return self.ask_many([question], k)[0]

    def ask_many(self, questions: Sequence[str], k: int | None = None) -> list[Answer]:
        """Answer several questions with one encode call (the bot batches questions that arrive together)."""
        cleaned = [self.clean_question(q) for q in questions]
        # A pasted traceback is searched by its exception line (and the words around it), not its frames.
        queries = [" ".join(search_text(readable(q)).split()) for q in questions]
        searcher = self.searcher  # one generation for the whole batch, even if a swap happens meanwhile
        vectors = searcher.encode(queries)
        reranks = searcher.encode_rerank(queries)
        results = [
            searcher.search_encoded(query, vector, k or self.top_k, rerank)
            for query, vector, rerank in zip(queries, vectors, reranks, strict=True)
        ]
        return [
            replace(
                compose_answer(query, hits, self.threshold, self._sentences.scorer(searcher.store, vector)),
                question=question,
            )
            for question, query, hits, vector in zip(cleaned, queries, results, vectors, strict=True)
        ]

    def sentence_scorer(self, stores: Sequence[IndexStore], query: np.ndarray) -> SentenceScorer:
        """Scores answer sentences found in any of `stores` (an answer merged from several collections)."""
        return self._sentences.scorer(stores, query)

    # -- maintaining ---------------------------------------------------------------------------
    def reindex(self, full: bool = False, progress: Progress | None = None) -> BuildReport:
        """Rebuild incrementally, then swap; questions keep using the old index until the swap."""
        report = self._build(full, progress)
        if report.rebuilt or self._searcher is None:
            self._swap(self._load_store())
        return report

    def articles(self) -> list[Article]:
        manifest = self.searcher.store.manifest
        return sorted(
            (Article(path, entry.title, entry.passages) for path, entry in manifest.articles.items()),
            key=lambda a: a.title.casefold(),
        )
