"""The shipped knowledge base answered with the real model: the facts it must know, and honest refusals."""

import pytest

from bot.core.service import KnowledgeBase
from bot.settings import CoreSettings
from tests.conftest import KNOWLEDGE

pytestmark = pytest.mark.model

EXPECTED = [
    ("Who developed TensorFlow?", "tensorflow.md", "Google Brain"),
    ("How many parameters does ChatGPT have?", "chatgpt.md", "175 billion"),
    ("What is LibTorch?", "pytorch.md", "C++"),
    ("What is eager execution in TensorFlow 2?", "tensorflow.md", "Eager execution"),
    ("What is jit in JAX?", "jax.md", "compiles"),
    # Opened with "JAX is used for ..." until a passive stopped counting as a definition.
    ("What is JAX?", "jax.md", "open-source Python library"),
    ("What backends does Keras 3 support?", "keras.md", "JAX"),
    ("How do I fix CUDA out of memory?", "gpu-setup-and-cuda.md", "out of memory"),
    ("Should I use PyTorch or TensorFlow?", "choosing-a-framework.md", "PyTorch"),
    # Refused on dense similarity alone (0.45 and 0.42); the words they share with the article count now.
    ("Why is my loss NaN?", "mixed-precision-training.md", "NaN"),
    ("What is a learning rate scheduler?", "training-basics.md", "warm-up"),
    # Names the model reads poorly, each with a section of its own.
    ("What is XLA?", "jax.md", "Accelerated Linear Algebra"),
    ("What is torch.compile?", "pytorch.md", "TorchDynamo"),
    # An acronym the model can't read, spelled out from the article that defines it (0.43 before).
    ("What is RLHF?", "chatgpt.md", "reward model"),
]


@pytest.fixture(scope="module")
def kb(shipped_index, real_embedder):
    base = KnowledgeBase(KNOWLEDGE, shipped_index, real_embedder, threshold=CoreSettings().threshold)
    base.load(build_if_missing=False)
    return base


@pytest.mark.parametrize(("question", "article", "phrase"), EXPECTED)
def test_known_questions_are_answered_from_the_right_article(kb, question, article, phrase):
    answer = kb.ask(question)
    assert answer.answered, answer.confidence
    assert answer.sources[0].path == article
    assert phrase in answer.text
    assert all(s in " ".join(h.passage.text for h in answer.hits) for s in answer.sentences)


@pytest.mark.parametrize("question", ["What is the capital of France?", "How do I bake sourdough bread?"])
def test_off_topic_questions_are_refused_with_closest_titles(kb, question):
    answer = kb.ask(question)
    assert not answer.answered and answer.sources == ()
    assert answer.suggestions and len(answer.hits) == 5


def test_ask_many_equals_asking_one_by_one(kb):
    questions = [q for q, _, _ in EXPECTED[:4]]
    together = kb.ask_many(questions)
    alone = [kb.ask(q) for q in questions]
    assert [a.hits[0].passage.id for a in together] == [a.hits[0].passage.id for a in alone]
    assert [a.confidence for a in together] == pytest.approx([a.confidence for a in alone], abs=1e-4)


def test_multi_view_rescoring_matches_exhaustive_scoring(kb):
    """The candidate search must find the same best passage as scoring every passage exactly."""
    from bot.core.search import passage_score, ranking_score

    store = kb.searcher.store
    question = "How do I save a PyTorch model?"
    query = kb.embedder.encode([question])[0]
    coverage = store.lexical.coverage(question)

    def score(row: int) -> float:
        return ranking_score(passage_score(store.view_vectors(row), query), float(coverage[row]))

    exhaustive = max(range(len(store)), key=score)
    hit = kb.searcher.search_encoded(question, query, 1)[0]
    assert hit.passage.id == store.passages([exhaustive])[0].id


def test_the_shipped_question_set_stays_answered(kb):
    """bench/shipped-kb: questions users ask about the shipped articles. Editing an article must not
    quietly cost answers (measured when last changed: recall@5 1.0, answered 1.0, refused 0.846 at 0.48, 0.692 at 0.44)."""
    from bot.core.evaluation import evaluate, read_questions

    bench = KNOWLEDGE.parent / "bench" / "shipped-kb"
    report = evaluate(
        kb, read_questions(bench / "questions.jsonl"), read_questions(bench / "unanswerable.jsonl")
    )
    assert report.recall_at_5 >= 0.95
    assert report.answered_share >= 0.9
    # At the default threshold 0.44 (lowered from 0.48 so that every development set is 95 % answered)
    # 9 of the 13 are refused; at 0.48 it was 11.
    assert report.refused_share is not None and report.refused_share >= 0.65


BUILT_WITH = "What frameworks ChatGPT is built with"


@pytest.mark.parametrize(
    "question",
    [
        "which framework is chatgpt built with",
        "Is ChatGPT made with PyTorch?",
        "does openai use tensorflow or pytorch",
        "What frameworks were used to build ChatGPT?",
        "what programming framework powers chatgpt",
    ],
)
def test_the_headline_question_is_answered_with_pytorch_from_its_section(kb, question):
    """Rephrasings of the project's headline question, none copied from a heading: the answer says
    PyTorch and cites the section that answers, not "What is ChatGPT"."""
    answer = kb.ask(question)
    assert answer.answered and "PyTorch" in answer.text.split(". ")[0] + answer.text
    assert answer.sources[0].section == BUILT_WITH


@pytest.mark.parametrize(
    ("error", "section", "fix"),
    [
        (
            "RuntimeError: Expected all tensors to be on the same device, but found at least two devices, "
            "cuda:0 and cpu!",
            "Error: Expected all tensors to be on the same device",
            "device",
        ),
        (
            'Traceback (most recent call last):\n  File "train.py", line 30, in <module>\n    out = model(x)\n'
            "RuntimeError: mat1 and mat2 shapes cannot be multiplied (32x3136 and 784x128)",
            "Error: mat1 and mat2 shapes cannot be multiplied",
            "in_features",
        ),
    ],
)
def test_a_pasted_error_finds_its_fix(kb, error, section, fix):
    answer = kb.ask(error)
    assert answer.answered and answer.sources[0].section == section
    assert fix in answer.text


def test_everyday_questions_are_answered_with_their_fact(kb):
    """bench/user-questions, judged by the answer's text (measured with its 52 questions: the answer
    cites the gold section 0.904 and holds the expected fact 0.942)."""
    from bot.core.evaluation import evaluate, read_questions

    report = evaluate(kb, read_questions(KNOWLEDGE.parent / "bench" / "user-questions" / "questions.jsonl"))
    assert report.answer_cites_gold >= 0.85
    assert report.answer_has_fact is not None and report.answer_has_fact >= 0.85
