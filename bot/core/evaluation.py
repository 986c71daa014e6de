"""Retrieval and abstention metrics over a question set (format: ../shared/bench/python-faq/README.md).

questions file: JSON lines {"id", "question", "gold"} where gold is a file under the corpus;
unanswerable file: JSON lines {"id", "question"} whose answers are not in the corpus.
A hit is a retrieved passage that comes from the gold file; metrics are counted per document.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.search import Hit
from bot.core.service import KnowledgeBase
from bot.errors import KnowledgeError

RANKING_DEPTH = 10
CURVE_THRESHOLDS = tuple(round(0.30 + 0.02 * step, 2) for step in range(16))


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    gold: str | None = None


@dataclass(frozen=True)
class EvalReport:
    questions: int
    unanswerable: int
    recall_at_1: float
    recall_at_5: float
    mrr_at_10: float
    answered_share: float
    refused_share: float | None
    threshold: float
    latency_ms: dict[str, float]
    # (threshold, share of answerable answered, share of unanswerable refused) for the trade-off curve
    curve: tuple[tuple[float, float, float | None], ...] = field(default=())


def read_questions(path: Path) -> list[Question]:
    questions = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise KnowledgeError(f"can't read questions file {path}: {error}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            questions.append(Question(str(data.get("id", number)), data["question"], data.get("gold")))
        except (ValueError, KeyError, TypeError) as error:
            raise KnowledgeError(f"{path}:{number}: not a question record ({error})") from None
    return questions


def ranked_documents(paths: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(paths))


def retrieval_scores(rankings: Sequence[Sequence[Hit]], golds: Sequence[str]) -> dict[str, float]:
    """recall@1, recall@5 and MRR@10 counted per document: passages are ranked, then their files
    deduplicated in order, and a hit is the gold file's place in that list."""
    recall1 = recall5 = reciprocal = 0.0
    for hits, gold in zip(rankings, golds, strict=True):
        documents = ranked_documents([h.passage.doc_path for h in hits])[:RANKING_DEPTH]
        if gold in documents:
            place = documents.index(gold)
            recall1 += place == 0
            recall5 += place < 5
            reciprocal += 1 / (place + 1)
    count = len(golds) or 1
    return {"recall@1": recall1 / count, "recall@5": recall5 / count, "mrr@10": reciprocal / count}


def evaluate(
    kb: KnowledgeBase, questions: Sequence[Question], unanswerable: Sequence[Question] = ()
) -> EvalReport:
    """Ask every question one at a time (as users do) and score ranking, abstention and latency."""
    latencies: list[float] = []
    answerable_conf: list[float] = []
    rankings: list[list[Hit]] = []
    for item in questions:
        started = time.perf_counter()
        answer = kb.ask(item.question, k=RANKING_DEPTH)
        latencies.append((time.perf_counter() - started) * 1000)
        answerable_conf.append(answer.confidence)
        rankings.append(list(answer.hits))
    scores = retrieval_scores(rankings, [item.gold or "" for item in questions])
    unanswerable_conf = [kb.ask(item.question, k=RANKING_DEPTH).confidence for item in unanswerable]
    return EvalReport(
        questions=len(questions),
        unanswerable=len(unanswerable),
        recall_at_1=scores["recall@1"],
        recall_at_5=scores["recall@5"],
        mrr_at_10=scores["mrr@10"],
        answered_share=_share(answerable_conf, kb.threshold, above=True),
        refused_share=_share(unanswerable_conf, kb.threshold, above=False) if unanswerable else None,
        threshold=kb.threshold,
        latency_ms=percentiles(latencies),
        curve=tuple(
            (
                t,
                _share(answerable_conf, t, above=True),
                _share(unanswerable_conf, t, above=False) if unanswerable else None,
            )
            for t in CURVE_THRESHOLDS
        ),
    )


def _share(confidences: Sequence[float], threshold: float, above: bool) -> float:
    if not confidences:
        return 0.0
    hits = sum((c >= threshold) == above for c in confidences)
    return hits / len(confidences)


def percentiles(values_ms: Sequence[float]) -> dict[str, float]:
    if not values_ms:
        return {}
    ordered = sorted(values_ms)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50": statistics.median(ordered), "p90": at(0.90), "p99": at(0.99), "max": ordered[-1]}
