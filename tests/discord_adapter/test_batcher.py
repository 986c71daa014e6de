"""The micro-batcher with a real KnowledgeBase (real FAISS, the hashing stand-in for the model): a question
that fails, in the checks or inside the shared encode call, fails alone and its batch is still answered."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.service import KnowledgeBase
from bot.discord_adapter.batcher import AskBatcher, BatchCounts
from bot.errors import EmptyQuestion, QuestionNotText
from tests.core.test_store import make_kb
from tests.fakes import HashingEmbedder

GOOD = ("What does jit compile?", "How do I install PyTorch?", "What is eager execution?")


class FragileEmbedder(HashingEmbedder):
    """Breaks any encode call that contains a text with 'boom': a model failing on one odd input."""

    def encode(self, texts):
        if any("boom" in text for text in texts):
            raise RuntimeError("the model choked")
        return super().encode(texts)


def knowledge_base(tmp_path, embedder) -> KnowledgeBase:
    kb = KnowledgeBase(make_kb(tmp_path), tmp_path / "index", embedder, threshold=0.1)
    kb.load()
    return kb


async def ask_together(batcher: AskBatcher, questions: list[str]) -> list[object]:
    # Gathered in one go, so they land in one batch window.
    return await asyncio.gather(*(batcher.ask(q) for q in questions), return_exceptions=True)


async def test_undecodable_and_empty_questions_fail_alone_and_their_batch_is_answered(tmp_path):
    batcher = AskBatcher(knowledge_base(tmp_path, HashingEmbedder()), window=0.05)
    questions = [GOOD[0], "What is \udcff PyTorch?", GOOD[1], "\x00\x1b[0m", GOOD[2]]
    try:
        results = await ask_together(batcher, questions)
    finally:
        await batcher.close()
    assert isinstance(results[1], QuestionNotText) and results[1].position == 8
    assert isinstance(results[3], EmptyQuestion)
    assert [r.question for r in (results[0], results[2], results[4])] == list(GOOD)
    assert batcher.counts == BatchCounts(batches=1, questions=3, largest=3)  # the good ones shared one call


async def test_a_question_that_breaks_the_batch_call_fails_alone(tmp_path):
    embedder = FragileEmbedder()
    batcher = AskBatcher(knowledge_base(tmp_path, embedder), window=0.05)
    questions = [GOOD[0], "what goes boom", GOOD[1], GOOD[2]]
    try:
        results = await ask_together(batcher, questions)
    finally:
        await batcher.close()
    assert isinstance(results[1], RuntimeError)
    assert [r.question for r in (results[0], results[2], results[3])] == [GOOD[0], GOOD[1], GOOD[2]]
    assert batcher.counts == BatchCounts(batches=1, questions=4, largest=4)


@pytest.mark.parametrize("bad", ["What is \ud800?", "boom"])
async def test_a_lone_failing_question_gets_its_error_and_the_batcher_keeps_working(tmp_path, bad):
    batcher = AskBatcher(knowledge_base(tmp_path, FragileEmbedder()))
    try:
        with pytest.raises((QuestionNotText, RuntimeError)):
            await batcher.ask(bad)
        assert (await batcher.ask(GOOD[0])).question == GOOD[0]
    finally:
        await batcher.close()
