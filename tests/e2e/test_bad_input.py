"""Hostile questions reach the real bot from the emulator (as JSON, where "\\ud800" is legal): a bad one
gets its own error reply and the good ones asked beside it, in the same batch window, their answers."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from tests.e2e.conftest import ANSWERABLE
from tests.e2e.helpers import ANSWER_TIMEOUT, message_of

pytestmark = pytest.mark.e2e

NOT_TEXT = "The question is not valid text (undecodable bytes at character 9); send it as UTF-8"
GOOD = (ANSWERABLE, "What is JAX?", "How do I save a Keras model?")


async def test_an_undecodable_question_gets_its_own_error_and_its_neighbours_their_answers(emu, start_bot):
    w = emu.world
    questions = [GOOD[0], "What is \ud800 PyTorch?", GOOD[1], "What\x00 is\x1b[31m Keras\x7f?", GOOD[2]]
    async with start_bot() as bot:
        records = await asyncio.gather(
            *(
                emu.dispatch_slash_command(w.guild, w.general, w.alice, "ask", {"question": q})
                for q in questions
            )
        )
        await asyncio.gather(*(r.wait(ANSWER_TIMEOUT) for r in records))
        counts = replace(bot.batcher.counts)
    bad = records[1]
    assert bad.content == NOT_TEXT and not message_of(emu, bad)["embeds"]
    for record, title in zip(
        [records[0], records[2], records[3], records[4]],
        [GOOD[0], GOOD[1], "What is Keras ?", GOOD[2]],
        strict=True,
    ):
        [embed] = message_of(emu, record)["embeds"]
        assert embed["title"] == title
    assert all(len(r.followups) == 1 and not r.rejected for r in records)  # each answered exactly once
    assert counts.questions == 4  # the refused question never reached the model


async def test_a_mention_with_undecodable_text_gets_an_error_reply_and_the_next_is_answered(emu, start_bot):
    w = emu.world
    async with start_bot():
        bad = await emu.create_user_message(w.general, w.alice, f"<@{emu.bot_user.id}> What \udcff is JAX?")
        reply = await emu.wait_for_message(w.general, ANSWER_TIMEOUT)
        assert reply["content"].startswith(
            "The question is not valid text (undecodable bytes at character 6)"
        )
        assert reply["message_reference"]["message_id"] == bad["id"]
        good = await emu.create_user_message(w.general, w.alice, f"<@{emu.bot_user.id}> {ANSWERABLE}")
        answer = await emu.wait_for_message(
            w.general, ANSWER_TIMEOUT, lambda m: m["message_reference"]["message_id"] == good["id"]
        )
        assert answer["embeds"][0]["title"] == ANSWERABLE
