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
    """Multi-view dense retrieval with lexical coverage, over one loaded index generation."""

    def __init__(self, store: IndexStore, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder

    def search(self, question: str, k: int) -> list[Hit]:
        return self.search_many([question], k)[0]

    def encode(self, questions: Sequence[str]) -> np.ndarray:
        """The questions' vectors (one model call), acronyms the knowledge base defines spelled out."""
        return self.embedder.encode([self.store.lexical.expand(q) for q in questions])

    def search_many(self, questions: Sequence[str], k: int) -> list[list[Hit]]:
        """Encode the questions together (one encode call), then search each."""
        vectors = self.encode(questions)
        return [self.search_encoded(q, vector, k) for q, vector in zip(questions, vectors, strict=True)]

    def search_encoded(self, question: str, query: np.ndarray, k: int) -> list[Hit]:
        """Search with a question whose vector the caller already has."""
        wanted = max(TUNING.min_candidates, k * TUNING.candidates_per_hit)
        _, view_rows = self.store.search_views(query[None, :], wanted)
        coverage = self.store.lexical.coverage(question)
        candidates = dict.fromkeys(int(self.store.view_passage[v]) for v in view_rows[0] if v >= 0)
        candidates.update(dict.fromkeys(best_rows(coverage, TUNING.lexical_candidates)))
        scores = {
            row: (passage_score(self.store.view_vectors(row), query), float(coverage[row]))
            for row in candidates
        }
        best = sorted(scores, key=lambda row: -ranking_score(*scores[row]))[:k]
        passages = self.store.passages(best)
        return [Hit(p, rank, *scores[row]) for rank, (p, row) in enumerate(zip(passages, best, strict=True))]


def best_rows(scores: np.ndarray, count: int) -> list[int]:
    """The rows of the `count` highest positive scores."""
    rows = np.argpartition(-scores, count)[:count] if count < len(scores) else np.arange(len(scores))
    return [int(row) for row in rows if scores[row] > 0]
