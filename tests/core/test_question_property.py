"""Any text at all, through the core's question cleaning and ask: the only exceptions are qabot's own."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.service import KnowledgeBase, clean_question
from bot.errors import EmptyQuestion, QuestionError, QuestionNotText, QuestionTooLong
from tests.core.test_store import make_kb
from tests.fakes import HashingEmbedder

LIMIT = 200
# Every code point, surrogates and controls included, with the awkward ones made likely.
ANY_CHAR = st.characters(codec=None, categories=None) | st.sampled_from(
    "\x00\x1b\x7f\x85\u2028\ufeff\ud800\udfff"
)
TEXT = st.text(ANY_CHAR, max_size=3 * LIMIT) | st.builds(lambda c, n: c * n, ANY_CHAR, st.integers(0, 50_000))


class Utf8Embedder(HashingEmbedder):
    """Needs valid UTF-8, as the real tokenizer does (it hands text to Rust, which refuses lone surrogates)."""

    def encode(self, texts):
        for text in texts:
            text.encode("utf-8")
        return super().encode(texts)


@pytest.fixture(scope="module")
def kb(tmp_path_factory) -> KnowledgeBase:
    root = tmp_path_factory.mktemp("property")
    base = KnowledgeBase(
        make_kb(root), root / "index", Utf8Embedder(), threshold=0.1, max_question_chars=LIMIT
    )
    base.load()
    return base


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_cleaning_any_text_gives_clean_text_or_a_question_error(text):
    try:
        cleaned = clean_question(text, LIMIT)
    except QuestionNotText as error:
        assert 0xD800 <= ord(text[error.position]) <= 0xDFFF
        return
    except (EmptyQuestion, QuestionTooLong):
        return
    assert 0 < len(cleaned) <= LIMIT and cleaned == cleaned.strip()
    assert cleaned.encode("utf-8")  # no lone surrogates left to break the tokenizer
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in cleaned)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXT)
def test_asking_any_text_answers_or_raises_a_question_error(kb, text):
    try:
        answer = kb.ask(text)
    except QuestionError:
        return
    assert answer.question == clean_question(text, LIMIT)
    assert 0.0 <= answer.confidence <= 1.0 + 1e-6
