"""Answering from several collections at once: a server's own and the base.

Each collection is searched on its own (its own FAISS index, passages and lexical statistics), the hits
are merged by their ranking score, and one answer is composed from the merged list with answer.py, so a
merged answer is chosen, quoted and cited by exactly the rules of a single-collection one. Scores are
comparable across collections because every collection is embedded by the same loaded model; the
lexical coverage uses each collection's own idf, which is why it is weighted lightly (tuning.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from bot.core.answer import Answer, compose_answer
from bot.core.embedding import Embedder
from bot.core.questions import search_text
from bot.core.search import Hit, Searcher
from bot.core.service import KnowledgeBase, clean_question, readable

BASE = "base"
SERVER = "server"
# Hidden base articles are dropped after the search, so the search looks this many passages deeper at
# most; a server hiding more passages than that may get fewer than k hits from the base.
MAX_HIDDEN_DEPTH = 50


@dataclass(frozen=True)
class Part:
    """One collection a question is answered from: its label in citations, and the article paths of
    it that this server has hidden."""

    label: str
    kb: KnowledgeBase
    hidden: frozenset[str] = frozenset()


def ask_across(
    parts: Sequence[Part], questions: Sequence[str], k: int, threshold: float, max_question_chars: int
) -> list[Answer]:
    """Answer each question from the merged hits of `parts` (at least one; all sharing one embedder)."""
    cleaned = [clean_question(q, max_question_chars) for q in questions]
    queries = [" ".join(search_text(readable(q)).split()) for q in questions]
    searchers = [part.kb.searcher for part in parts]  # one generation each for the whole batch
    vectors = _encode(searchers, queries, searchers[0].embedder)
    reranks: list[list[np.ndarray | None]] = (
        [[None] * len(queries) for _ in searchers]
        if searchers[0].reranker is None
        else [list[np.ndarray | None](v) for v in _encode(searchers, queries, searchers[0].reranker)]
    )
    answers = []
    for row, (question, query) in enumerate(zip(cleaned, queries, strict=True)):
        found = [
            _part_hits(part, searcher, query, vectors[n][row], reranks[n][row], k)
            for n, (part, searcher) in enumerate(zip(parts, searchers, strict=True))
        ]
        hits = merge_hits(found, k)
        # Sentences are scored against the question as embedded for the best hit's collection.
        best = next((n for n, part in enumerate(parts) if hits and part.label == hits[0].collection), 0)
        scorer = parts[0].kb.sentence_scorer([s.store for s in searchers], vectors[best][row])
        answers.append(replace(compose_answer(query, hits, threshold, scorer), question=question))
    return answers


def merge_hits(found: Sequence[Sequence[Hit]], k: int) -> list[Hit]:
    """The best `k` of several ranked lists, by ranking score, renumbered."""
    merged = sorted((hit for hits in found for hit in hits), key=lambda hit: -hit.score)[:k]
    return [replace(hit, rank=rank) for rank, hit in enumerate(merged)]


def _part_hits(
    part: Part, searcher: Searcher, query: str, vector: np.ndarray, rerank: np.ndarray | None, k: int
) -> list[Hit]:
    manifest = searcher.store.manifest
    hidden_passages = sum(e.passages for path, e in manifest.articles.items() if path in part.hidden)
    depth = k + min(hidden_passages, MAX_HIDDEN_DEPTH)
    hits = searcher.search_encoded(query, vector, depth, rerank)
    kept = [hit for hit in hits if hit.passage.doc_path not in part.hidden][:k]
    return [replace(hit, collection=part.label) for hit in kept]


def _encode(searchers: Sequence[Searcher], queries: Sequence[str], model: Embedder) -> list[list[np.ndarray]]:
    """Each collection's query vectors by `model`. A collection spells out the acronyms it defines, so the
    texts may differ between collections; each distinct text is encoded once, in one model call."""
    texts = [[searcher.store.lexical.expand(q) for q in queries] for searcher in searchers]
    unique = list(dict.fromkeys(text for per_searcher in texts for text in per_searcher))
    encoded = dict(zip(unique, model.encode(unique), strict=True))
    return [[encoded[text] for text in per_searcher] for per_searcher in texts]
