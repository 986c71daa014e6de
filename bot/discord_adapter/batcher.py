"""Micro-batching of questions: those arriving within a few milliseconds share one encode call.

One call sorts the questions by length, batches them and spreads the batches over every core, so a burst
is answered at several times the one-at-a-time rate (see `qabot bench`); the core runs in a worker thread, so the event loop (and the heartbeat) never waits.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Protocol

from bot.core.answer import Answer
from bot.core.collections import Scope

log = logging.getLogger(__name__)

BATCH_WINDOW = 0.005  # seconds to wait for company after the first question of a batch
MAX_BATCH = 32  # bigger batches only delay the first answers of a burst


@dataclass
class BatchCounts:
    """Running totals of the batches answered, for tests and benchmarks: three numbers, so a bot that
    runs for months keeps no per-batch history."""

    batches: int = 0
    questions: int = 0
    largest: int = 0

    def add(self, size: int) -> None:
        self.batches += 1
        self.questions += size
        self.largest = max(self.largest, size)


class Answerer(Protocol):
    """A KnowledgeBase, or the Collections (which also take the scope of the server asking)."""

    def clean_question(self, question: str) -> str: ...

    def ask_many(self, questions: list[str], k: int | None = None, /, *args: Scope) -> list[Answer]: ...


@dataclass
class _Pending:
    question: str
    k: int | None
    future: asyncio.Future[Answer] = field(repr=False)
    scope: Scope | None = None


class AskBatcher:
    """`await batcher.ask(question)` -> Answer; one worker task feeds `kb.ask_many` in a thread. Questions
    from one server (one scope) share a call; different servers' questions are answered call by call."""

    def __init__(self, kb: Answerer, window: float = BATCH_WINDOW, max_batch: int = MAX_BATCH) -> None:
        self.kb = kb
        self.window = window
        self.max_batch = max_batch
        self.counts = BatchCounts()
        self._queue: asyncio.Queue[_Pending] | None = None
        self._worker: asyncio.Task[None] | None = None

    async def ask(self, question: str, k: int | None = None, scope: Scope | None = None) -> Answer:
        # Cleaned here so a bad question fails alone instead of failing its whole batch.
        cleaned = self.kb.clean_question(question)
        if self._worker is None or self._worker.done():
            self._queue = asyncio.Queue()
            self._worker = asyncio.create_task(self._run(), name="qabot-ask-batcher")
        assert self._queue is not None
        pending = _Pending(cleaned, k, asyncio.get_running_loop().create_future(), scope)
        self._queue.put_nowait(pending)
        return await pending.future

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None

    async def _run(self) -> None:
        assert self._queue is not None
        queue = self._queue
        while True:
            batch = [await queue.get()]
            await asyncio.sleep(self.window)
            while len(batch) < self.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            live = [p for p in batch if not p.future.done()]  # the asker may have given up
            if live:
                self.counts.add(len(live))
                await self._answer(live)

    async def _answer(self, batch: list[_Pending]) -> None:
        by_call: dict[tuple[int | None, Scope | None], list[_Pending]] = {}
        for pending in batch:
            by_call.setdefault((pending.k, pending.scope), []).append(pending)
        for (k, scope), group in by_call.items():
            extra = () if scope is None else (scope,)  # a bare KnowledgeBase takes no scope
            try:
                answers = await asyncio.to_thread(self.kb.ask_many, [p.question for p in group], k, *extra)
            except Exception as error:
                if len(group) == 1:  # handed to the asker, whose error handler turns it into words
                    _settle(group[0], error=error)
                    continue
                # Some question the checks let through broke the shared call: answer one by one, so only
                # that question fails and its neighbours still get their answers.
                log.warning(
                    "a batch of %d questions failed (%r); answering them one by one", len(group), error
                )
                for pending in group:
                    await self._answer([pending])
                continue
            for pending, answer in zip(group, answers, strict=True):
                _settle(pending, answer=answer)


def _settle(pending: _Pending, answer: Answer | None = None, error: BaseException | None = None) -> None:
    if pending.future.done():  # the asker gave up meanwhile
        return
    if error is not None:
        pending.future.set_exception(error)
    else:
        pending.future.set_result(answer)
