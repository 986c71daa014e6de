"""Question -> ranked passages.

Each passage is embedded as several views (see Passage.views): the passage with and without its heading
path and, for longer passages, each paragraph with and without it. FAISS finds the views nearest the
question; their passages are then rescored exactly from all their views:

    score = mean(cos(passage with heading), cos(passage), max cos(paragraph with heading), max cos(paragraph))

so a passage ranks high when it matches as a whole and has one paragraph that matches closely. On
../shared/bench/python-faq this beats single-vector retrieval (recall@1 0.84 -> 0.86, MRR 0.895 -> 0.908).

Then a lexical score (lexical.py: how much of the question's rare vocabulary the passage contains)
is added, because the model reads names like XLA, RLHF or `torch.compile` poorly:

    score      = dense + 0.1 * coverage     ranks the passages
    confidence = dense + 0.2 * coverage     of the best passage, decides whether to answer

Ranking keeps the weight small: the model's sense of meaning is the better judge of which passage
answers, and words only break near-ties. Whether the knowledge base answers at all is a different
question, where finding the question's rare words is strong evidence of its own. The passages with
the highest coverage also join the candidates, so one the model misses entirely can still be found.
Before a question is embedded, each acronym the knowledge base defines ("reinforcement learning from
human feedback (RLHF)") gets its long form beside it (lexical.py: LexicalIndex.expand), because the
model reads acronyms worst of all: "What is RLHF?" scored 0.43 against its definition, 0.71 spelled out.

The lexical score measured against dense scores alone, same articles, at the default threshold (0.48
with it, 0.45 without): ../shared/bench/python-faq recall@1 0.860 -> 0.853, recall@5 0.972 = 0.972,
answered 0.958 -> 0.951, unanswerable refused 0.417 -> 0.458; bench/shipped-kb recall@1 0.871 -> 0.935,
answered 0.806 -> 0.935, refused 0.786 -> 0.857 (later article edits and the acronyms took it further:
see the README). A weight of 0.2 for ranking too gave recall@5 0.965 on python-faq.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.core.chunking import Passage
from bot.core.embedding import Embedder
from bot.core.store import IndexStore

# How many views FAISS returns per passage wanted: enough candidates that rescoring can reorder them.
CANDIDATES_PER_HIT = 8
MIN_CANDIDATES = 40
# Passages with the best lexical coverage that join the candidates whatever their dense score.
LEXICAL_CANDIDATES = 10
# How much lexical coverage (in [0, 1)) adds to the dense score; see the module docstring.
RANKING_LEXICAL_WEIGHT = 0.1
CONFIDENCE_LEXICAL_WEIGHT = 0.2


def ranking_score(dense: float, lexical: float) -> float:
    return dense + RANKING_LEXICAL_WEIGHT * lexical


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
        return self.dense + CONFIDENCE_LEXICAL_WEIGHT * self.lexical


def passage_score(view_vectors: np.ndarray, query: np.ndarray) -> float:
    """Combine a passage's view similarities; views are laid out as in Passage.views."""
    similarities = view_vectors @ query
    if len(similarities) == 2:  # one paragraph: the paragraph views equal the passage views
        return float(similarities.mean())
    with_heading, plain = similarities[0], similarities[1]
    paragraphs = similarities[2:]
    return float((with_heading + plain + paragraphs[0::2].max() + paragraphs[1::2].max()) / 4)


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
        wanted = max(MIN_CANDIDATES, k * CANDIDATES_PER_HIT)
        _, view_rows = self.store.search_views(query[None, :], wanted)
        coverage = self.store.lexical.coverage(question)
        candidates = dict.fromkeys(int(self.store.view_passage[v]) for v in view_rows[0] if v >= 0)
        candidates.update(dict.fromkeys(best_rows(coverage, LEXICAL_CANDIDATES)))
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
