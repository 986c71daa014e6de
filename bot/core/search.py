"""Question -> ranked passages.

Each passage is embedded as several views (chunking.Views): the passage with and without its heading
path and, for longer passages, each paragraph with and without it. FAISS finds the views nearest the
question; their passages are then rescored exactly from all their views:

    dense = mean(cos(passage with heading), cos(passage), max cos(paragraph with heading), max cos(paragraph))

so a passage ranks high when it matches as a whole and has one paragraph that matches closely.

Then a lexical score (lexical.py: how much of the question's rare vocabulary the passage contains)
is added, because the model reads names like XLA, RLHF or `torch.compile` poorly:

    score      = dense + ranking_lexical_weight * coverage       ranks the passages
    confidence = dense + confidence_lexical_weight * coverage    of the best passage, decides whether to answer

The weights live in tuning.py with the reason for each; the measurements behind them are in the
README ("How it answers"). The passages with the highest coverage also join the candidates, so one the
model misses entirely can still be found. Before a question is embedded, each acronym the knowledge
base defines ("reinforcement learning from human feedback (RLHF)") gets its long form beside it
(LexicalIndex.expand), because the model reads acronyms worst of all.

With an optional re-ranker (a second, stronger model; QABOT_RERANK_MODEL), the best `rerank_depth`
passages by that score are scored again with its cosine too, and ranked as before with

    dense = (1 - rerank_weight) * dense + rerank_weight * cos(re-ranker's question, its passage vector)

so both the ranking and the confidence use the blend (which has a threshold of its own). The re-ranker's
passage vectors are made at indexing time (rerank.npy); a question costs it one encode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.core.chunking import Passage, ViewScores
from bot.core.embedding import Embedder
from bot.core.store import IndexStore
from bot.core.tuning import TUNING


def ranking_score(dense: float, lexical: float) -> float:
    return dense + TUNING.ranking_lexical_weight * lexical


@dataclass(frozen=True)
class Hit:
    """A retrieved passage: `dense` is its view similarity to the question, in [-1, 1], and `lexical`
    the question's coverage of its words, in [0, 1); `score` ranks it (see the module docstring)."""

    passage: Passage
    rank: int
    dense: float
    lexical: float
    # Which collection it came from ("base", "server") when a question searched more than one; "" else.
    collection: str = ""

    @property
    def score(self) -> float:
        return ranking_score(self.dense, self.lexical)

    @property
    def confidence(self) -> float:
        """How sure we are that this passage answers the question (see the module docstring)."""
        return self.dense + TUNING.confidence_lexical_weight * self.lexical


def passage_score(view_vectors: np.ndarray, query: np.ndarray) -> float:
    """Combine a passage's view similarities (see Views for what they are): the mean of the passage's
    two views and its best paragraph's two, or of the passage's two when it has one paragraph."""
    views = ViewScores.decode(view_vectors @ query)
    if not views.paragraphs_plain:
        return (views.with_heading + views.plain) / 2
    best_paragraphs = max(views.paragraphs_with_heading) + max(views.paragraphs_plain)
    return (views.with_heading + views.plain + best_paragraphs) / 4


class Searcher:
    """Multi-view dense retrieval with lexical coverage, over one loaded index generation; re-ranked by
    a second model when given one (the store then holds its passage vectors, see load_index)."""

    def __init__(self, store: IndexStore, embedder: Embedder, reranker: Embedder | None = None) -> None:
        if reranker is not None and store.manifest.rerank_model != reranker.model_name:
            raise ValueError(f"the index holds no passage vectors of {reranker.model_name}")
        self.store = store
        self.embedder = embedder
        self.reranker = reranker

    def search(self, question: str, k: int) -> list[Hit]:
        return self.search_many([question], k)[0]

    def encode(self, questions: Sequence[str]) -> np.ndarray:
        """The questions' vectors (one model call), acronyms the knowledge base defines spelled out."""
        return self.embedder.encode([self.store.lexical.expand(q) for q in questions])

    def encode_rerank(self, questions: Sequence[str]) -> list[np.ndarray | None]:
        """The questions' vectors from the re-ranker (one model call), or None each without one."""
        if self.reranker is None:
            return [None] * len(questions)
        return list(self.reranker.encode([self.store.lexical.expand(q) for q in questions]))

    def search_many(self, questions: Sequence[str], k: int) -> list[list[Hit]]:
        """Encode the questions together (one encode call per model), then search each."""
        vectors = self.encode(questions)
        reranks = self.encode_rerank(questions)
        return [
            self.search_encoded(q, vector, k, rerank)
            for q, vector, rerank in zip(questions, vectors, reranks, strict=True)
        ]

    def search_encoded(
        self, question: str, query: np.ndarray, k: int, rerank_query: np.ndarray | None = None
    ) -> list[Hit]:
        """Search with a question whose vector the caller already has (and its re-ranker vector, which
        re-ranks the best passages when given; see encode_rerank)."""
        # Re-ranking looks deeper, so the candidates are those of a search for `depth` passages.
        depth = k if rerank_query is None else max(k, TUNING.rerank_depth)
        wanted = max(TUNING.min_candidates, depth * TUNING.candidates_per_hit)
        _, view_rows = self.store.search_views(query[None, :], wanted)
        coverage = self.store.lexical.coverage(question)
        candidates = dict.fromkeys(int(self.store.view_passage[v]) for v in view_rows[0] if v >= 0)
        candidates.update(dict.fromkeys(best_rows(coverage, TUNING.lexical_candidates)))
        scores = {
            row: (passage_score(self.store.view_vectors(row), query), float(coverage[row]))
            for row in candidates
        }
        best = sorted(scores, key=lambda row: -ranking_score(*scores[row]))
        if rerank_query is not None:
            best = best[:depth]
            scores = {row: (self._blend(row, scores[row][0], rerank_query), scores[row][1]) for row in best}
            best.sort(key=lambda row: -ranking_score(*scores[row]))
        best = best[:k]
        passages = self.store.passages(best)
        return [Hit(p, rank, *scores[row]) for rank, (p, row) in enumerate(zip(passages, best, strict=True))]

    def _blend(self, row: int, dense: float, rerank_query: np.ndarray) -> float:
        vectors = self.store.rerank_vectors
        if vectors is None:
            raise ValueError("a re-ranker query for an index without re-rank vectors")
        second = float(np.asarray(vectors[row]) @ rerank_query)
        return (1 - TUNING.rerank_weight) * dense + TUNING.rerank_weight * second


def best_rows(scores: np.ndarray, count: int) -> list[int]:
    """The rows of the `count` highest positive scores."""
    rows = np.argpartition(-scores, count)[:count] if count < len(scores) else np.arange(len(scores))
    return [int(row) for row in rows if scores[row] > 0]
