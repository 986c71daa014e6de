"""Questions from different servers arriving in one batch window are each answered from their own
server's collection (real FAISS, the hashing stand-in for the model)."""

from __future__ import annotations

import asyncio

from bot.core.collections import Collections, Scope
from bot.discord_adapter.batcher import AskBatcher
from tests.core.test_collections import PLATYPUS, WOMBAT, collections  # noqa: F401 (a fixture)

QUESTION = "What do wombat and platypus models do with tensors and graphs?"


async def test_one_window_of_questions_from_two_servers_keeps_them_apart(collections):  # noqa: F811
    collections: Collections
    collections.add(1, "wombat.md", WOMBAT, limit=100_000, replace=False)
    collections.add(2, "platypus.md", PLATYPUS, limit=100_000, replace=False)
    batcher = AskBatcher(collections, window=0.05)
    try:
        in_1, in_2, base = await asyncio.gather(
            batcher.ask(QUESTION, scope=Scope(1)),
            batcher.ask(QUESTION, scope=Scope(2)),
            batcher.ask(QUESTION),
        )
    finally:
        await batcher.close()
    assert batcher.counts.batches == 1 and batcher.counts.largest == 3  # one window, three calls
    paths = [{(h.collection, h.passage.doc_path) for h in a.hits} for a in (in_1, in_2, base)]
    assert ("server", "wombat.md") in paths[0] and not any(p == "platypus.md" for _, p in paths[0])
    assert ("server", "platypus.md") in paths[1] and not any(p == "wombat.md" for _, p in paths[1])
    assert {p for _, p in paths[2]} <= {"jax.md", "keras.md"}
