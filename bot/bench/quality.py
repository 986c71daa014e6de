"""Per backend, on the python-faq dev bench: indexing throughput, retrieval quality, floor vs answer path."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from bot.bench.stats import ratio, summary
from bot.core.evaluation import Question, read_questions, retrieval_scores
from bot.core.indexer import build_index
from bot.core.service import KnowledgeBase
from bot.settings import CoreSettings
from bot.wiring import knowledge_base, open_embedder

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
THRESHOLD = CoreSettings.model_fields["threshold"].default  # what users get
TOP_K = 5
WARMUP = 5


@dataclass(frozen=True)
class DevBench:
    corpus: Path
    questions: list[Question]
    unanswerable: list[str]

    @classmethod
    def load(cls, directory: Path, limit: int | None = None) -> DevBench:
        questions = read_questions(directory / "questions.jsonl")
        unanswerable = [q.question for q in read_questions(directory / "unanswerable.jsonl")]
        return cls(directory / "corpus", questions[:limit], unanswerable[:limit])


def bench_backend(backend: str, bench: DevBench, work: Path, cache_dir: Path) -> tuple[dict, KnowledgeBase]:
    """Index the dev corpus with `backend`, then measure; returns the figures and the loaded knowledge base."""
    index_dir = work / f"faq-{backend}"
    settings = CoreSettings(
        knowledge_dir=bench.corpus,
        index_dir=index_dir,
        model=MODEL,
        backend=backend,
        model_cache_dir=cache_dir,
        threshold=THRESHOLD,
        top_k=TOP_K,
    )
    started = time.perf_counter()
    embedder = open_embedder(settings)
    load_seconds = time.perf_counter() - started
    report = build_index(bench.corpus, index_dir, embedder, full=True)
    kb = knowledge_base(settings, embedder)
    kb.load(build_if_missing=False)
    questions = [q.question for q in bench.questions]
    results = kb.searcher.search_many(questions, 10)
    refused = sum(not a.answered for a in kb.ask_many(bench.unanswerable)) if bench.unanswerable else 0
    answered = sum(a.answered for a in kb.ask_many(questions))
    figures = {
        "backend": embedder.backend,
        "model_load_s": round(load_seconds, 3),
        "indexing": {
            "passages": report.passages,
            "views_embedded": report.embedded,
            "seconds": round(report.seconds, 3),
            "passages_per_s": round(report.passages / report.seconds, 1),
            "views_per_s": round(report.embedded / report.seconds, 1),
        },
        "quality": {
            **{
                name: round(value, 4)
                for name, value in retrieval_scores(results, bench.questions).items()
            },
            "questions": len(questions),
            "unanswerable_refused": round(refused / max(1, len(bench.unanswerable)), 4),
            "answerable_answered": round(answered / max(1, len(questions)), 4),
        },
        "latency": floor_and_answer(kb, questions),
    }
    return figures, kb


def floor_and_answer(kb: KnowledgeBase, questions: list[str]) -> dict:
    """The bare model + bare FAISS search of the same index, against KnowledgeBase.ask, warm, one by one."""
    embedder, index = kb.embedder, kb.searcher.store.index
    for question in questions[:WARMUP]:
        index.search(embedder.encode([question]), TOP_K)
        kb.ask(question)
    floor, encode, answer = [], [], []
    for question in questions:
        start = time.perf_counter()
        vector = embedder.encode([question])
        encoded = time.perf_counter()
        index.search(vector, TOP_K)
        floor.append(time.perf_counter() - start)
        encode.append(encoded - start)
        start = time.perf_counter()
        kb.ask(question)
        answer.append(time.perf_counter() - start)
    floor_s, answer_s = summary(floor), summary(answer)
    return {
        "floor": floor_s,
        "floor_encode_only": summary(encode),
        "answer": answer_s,
        "answer_over_floor_p50": ratio(answer_s["p50_ms"], floor_s["p50_ms"]),
    }


def micro_batching(kb: KnowledgeBase, questions: list[str], total: int = 200) -> dict:
    """Answers/s when `total` questions arrive together and are answered with ask_many in batches."""
    arriving = [questions[i % len(questions)] for i in range(total)]
    kb.ask_many(arriving[:8])
    figures = {}
    for batch in (1, 16, 64, total):
        start = time.perf_counter()
        for first in range(0, total, batch):
            kb.ask_many(arriving[first : first + batch])
        figures[f"batch_{batch}"] = round(total / (time.perf_counter() - start), 1)
    return {"questions": total, "answers_per_s": figures}
