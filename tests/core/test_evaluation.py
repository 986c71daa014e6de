"""Section-level scoring: the right article is not enough, the gold section must come first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.core.evaluation import (
    Question,
    auroc,
    evaluate,
    gold_place,
    read_questions,
    threshold_answering,
)
from bot.core.service import KnowledgeBase

PAGE = """# Frameworks FAQ: page

## Note 1

Keras runs on TensorFlow, JAX or PyTorch and builds layered models quickly.

## Note 2

Gradient checkpointing trades compute for memory by recomputing activations.

## Note 3

Mixed precision stores weights in float16 halves and speeds up tensor cores.
"""


@pytest.fixture
def kb(tmp_path: Path, fake_embedder) -> KnowledgeBase:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "page.md").write_text(PAGE)
    (corpus / "other.md").write_text("# Other\n\n## Note 1\n\nTensor cores multiply float16 matrices.\n")
    base = KnowledgeBase(corpus, tmp_path / "index", fake_embedder, threshold=0.2, top_k=5)
    base.load()
    return base


def test_a_section_hit_needs_the_gold_heading_not_just_the_file(kb):
    asked = kb.ask("how does gradient checkpointing trade compute for memory", k=10)
    right = Question("1", "q", "page.md", "Note 2")
    wrong_section = Question("2", "q", "page.md", "Note 3")
    assert gold_place(asked.hits, right) == 0
    assert gold_place(asked.hits, wrong_section) not in (None, 0)
    assert gold_place(asked.hits, Question("3", "q", "page.md")) == 0  # per file: the file is first


def test_evaluate_reports_sections_and_whether_the_answer_cites_the_gold(kb):
    questions = [
        Question("1", "gradient checkpointing recomputing activations memory", "page.md", "Note 2"),
        Question("2", "mixed precision float16 halves weights", "page.md", "Note 3"),
        # Its words are in Note 1 of page.md, but the gold says Note 3: a miss at rank 1 and in the answer.
        Question("3", "keras layered models tensorflow jax", "page.md", "Note 3"),
    ]
    report = evaluate(kb, questions, [Question("u", "completely unrelated zebra question")])
    assert report.by_section
    assert report.recall_at_1 == pytest.approx(2 / 3)
    assert report.answer_cites_gold == pytest.approx(2 / 3)
    assert report.refused_at_target is not None and report.auroc is not None


def test_refusal_is_measured_where_95_percent_are_still_answered():
    confidences = [i / 100 for i in range(100)]  # 0.00 .. 0.99
    threshold = threshold_answering(confidences, 0.95)
    assert sum(c >= threshold for c in confidences) == 95
    assert threshold_answering([0.7], 0.95) == 0.7


def test_auroc_is_one_for_separated_and_half_for_identical_scores():
    assert auroc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auroc([0.5, 0.5], [0.5]) == 0.5
    assert auroc([0.1], [0.9]) == 0.0


def test_question_records_keep_their_section(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"id": "a", "question": "Why?", "gold": "p.md", "section": "Note 7"}) + "\n")
    assert read_questions(path) == [Question("a", "Why?", "p.md", "Note 7")]
