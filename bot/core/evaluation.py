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


def evaluate(
    kb: KnowledgeBase, questions: Sequence[Question], unanswerable: Sequence[Question] = ()
) -> EvalReport:
    """Ask every question one at a time (as users do) and score ranking, abstention and latency."""
    recall1 = recall5 = reciprocal = 0.0
    latencies: list[float] = []
    answerable_conf: list[float] = []
    for item in questions:
        started = time.perf_counter()
        answer = kb.ask(item.question, k=RANKING_DEPTH)
        latencies.append((time.perf_counter() - started) * 1000)
        answerable_conf.append(answer.confidence)
        documents = ranked_documents([h.passage.doc_path for h in answer.hits])
        if documents[:1] == [item.gold]:
            recall1 += 1
        if item.gold in documents[:5]:
            recall5 += 1
        if item.gold in documents[:RANKING_DEPTH]:
            reciprocal += 1 / (documents.index(item.gold) + 1)
    unanswerable_conf = [kb.ask(item.question, k=RANKING_DEPTH).confidence for item in unanswerable]
    count = len(questions) or 1
    return EvalReport(
        questions=len(questions),
        unanswerable=len(unanswerable),
        recall_at_1=recall1 / count,
        recall_at_5=recall5 / count,
        mrr_at_10=reciprocal / count,
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
