"""Retrieval, answer and abstention metrics over a question set.

questions file: JSON lines {"id", "question", "gold"[, "section"]}: gold is a file under the corpus and
section, when given, the heading of the section of that file that answers the question;
unanswerable file: JSON lines {"id", "question"} whose answers are not in the corpus.
A question may also carry "expect": words its answer's text must contain (the fact asked for), since a
user reads the answer, not the ranking.

Without sections a hit is a retrieved passage from the gold file (metrics per document, as in
../shared/bench/python-faq). With sections a hit is a passage of the gold file under the gold heading
(../shared/bench/python-faq-pages): the right article is not enough, the user reads one section.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.answer import Answer
from bot.core.chunking import SECTION_SEPARATOR
from bot.core.search import Hit
from bot.core.service import KnowledgeBase
from bot.errors import KnowledgeError

RANKING_DEPTH = 10
CURVE_THRESHOLDS = tuple(round(0.30 + 0.02 * step, 2) for step in range(16))
# Abstention is compared where the bot still answers this share of the answerable questions.
ANSWERED_TARGET = 0.95


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    gold: str | None = None
    section: str | None = None
    # Words the answer's text must contain (each, case-insensitive): the fact the user asked for.
    expect: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvalReport:
    questions: int
    unanswerable: int
    by_section: bool  # whether hits are counted per section (the gold carries one) or per file
    recall_at_1: float
    recall_at_5: float
    mrr_at_10: float
    answer_cites_gold: float  # answered, and the answer's first source is the gold (section or file)
    answer_has_fact: float | None  # of the questions that name their fact, the share whose answer says it
    answered_share: float
    refused_share: float | None
    threshold: float
    threshold_at_target: float  # the highest threshold that still answers ANSWERED_TARGET
    refused_at_target: float | None
    auroc: float | None  # how well confidence separates answerable from unanswerable questions
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
            questions.append(
                Question(
                    str(data.get("id", number)),
                    data["question"],
                    data.get("gold"),
                    data.get("section"),
                    tuple(str(word) for word in data.get("expect", ())),
                )
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise KnowledgeError(f"{path}:{number}: not a question record ({error})") from None
    return questions


def ranked_documents(paths: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(paths))


def is_gold(doc_path: str, section: str, gold: Question) -> bool:
    """Whether a passage at (doc_path, section) answers `gold`: the right file and, when the gold names
    a section, that heading on the passage's heading path (a sub-heading of it is still inside it)."""
    if doc_path != gold.gold:
        return False
    return gold.section is None or gold.section in section.split(SECTION_SEPARATOR)


def gold_place(hits: Sequence[Hit], gold: Question) -> int | None:
    """The gold's place among the distinct files (or sections, when the gold has one) of the hits."""
    units = list(
        dict.fromkeys(
            (h.passage.doc_path, h.passage.section if gold.section is not None else "") for h in hits
        )
    )[:RANKING_DEPTH]
    return next((place for place, unit in enumerate(units) if is_gold(*unit, gold)), None)


def retrieval_scores(rankings: Sequence[Sequence[Hit]], golds: Sequence[Question]) -> dict[str, float]:
    """recall@1, recall@5 and MRR@10: passages are ranked, their files (or sections) deduplicated in
    order, and a hit is the gold's place in that list."""
    recall1 = recall5 = reciprocal = 0.0
    for hits, gold in zip(rankings, golds, strict=True):
        place = gold_place(hits, gold)
        if place is not None:
            recall1 += place == 0
            recall5 += place < 5
            reciprocal += 1 / (place + 1)
    count = len(golds) or 1
    return {"recall@1": recall1 / count, "recall@5": recall5 / count, "mrr@10": reciprocal / count}


def cites_gold(answer: Answer, gold: Question) -> bool:
    """Whether the user reads the right thing: the answer's first source is the gold."""
    if not answer.answered or not answer.sources:
        return False
    first = answer.sources[0]
    return is_gold(first.path, first.section, gold)


def has_fact(answer: Answer, expected: Sequence[str]) -> bool:
    """Whether the user reads the fact: an answer whose text holds every expected word."""
    text = answer.text.casefold()
    return answer.answered and all(word.casefold() in text for word in expected)


def evaluate(
    kb: KnowledgeBase, questions: Sequence[Question], unanswerable: Sequence[Question] = ()
) -> EvalReport:
    """Ask every question one at a time (as users do) and score ranking, answers, abstention, latency."""
    latencies: list[float] = []
    answers: list[Answer] = []
    for item in questions:
        started = time.perf_counter()
        answers.append(kb.ask(item.question, k=RANKING_DEPTH))
        latencies.append((time.perf_counter() - started) * 1000)
    scores = retrieval_scores([list(a.hits) for a in answers], questions)
    answerable_conf = [a.confidence for a in answers]
    unanswerable_conf = [kb.ask(item.question, k=RANKING_DEPTH).confidence for item in unanswerable]
    at_target = threshold_answering(answerable_conf, ANSWERED_TARGET)
    cited = sum(cites_gold(answer, item) for answer, item in zip(answers, questions, strict=True))
    with_facts = [(answer, item.expect) for answer, item in zip(answers, questions, strict=True) if item.expect]
    return EvalReport(
        questions=len(questions),
        unanswerable=len(unanswerable),
        by_section=any(item.section is not None for item in questions),
        recall_at_1=scores["recall@1"],
        recall_at_5=scores["recall@5"],
        mrr_at_10=scores["mrr@10"],
        answer_cites_gold=cited / (len(questions) or 1),
        answer_has_fact=sum(has_fact(a, e) for a, e in with_facts) / len(with_facts) if with_facts else None,
        answered_share=_share(answerable_conf, kb.threshold, above=True),
        refused_share=_share(unanswerable_conf, kb.threshold, above=False) if unanswerable else None,
        threshold=kb.threshold,
        threshold_at_target=at_target,
        refused_at_target=_share(unanswerable_conf, at_target, above=False) if unanswerable else None,
        auroc=auroc(answerable_conf, unanswerable_conf) if unanswerable and questions else None,
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


def threshold_answering(confidences: Sequence[float], share: float) -> float:
    """The highest threshold at which at least `share` of these confidences are answered (>=)."""
    if not confidences:
        return 0.0
    ordered = sorted(confidences, reverse=True)
    needed = max(1, -(-round(share * len(ordered) * 1000) // 1000))  # ceil, robust to float noise
    return ordered[min(needed, len(ordered)) - 1]


def auroc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """The chance that a random answerable question gets more confidence than a random unanswerable
    one (ties count half): 1.0 separates them perfectly, 0.5 is a coin."""
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


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
