"""The buttons under an answer: feedback, more sources, delete (asker and moderators only)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ANSWERABLE
from tests.e2e.helpers import ANSWER_TIMEOUT, custom_ids, message_of, slash

pytestmark = pytest.mark.e2e


async def ask_and_get_buttons(emu):
    record = await slash(emu, emu.world.alice, "ask", {"question": ANSWERABLE})
    message = message_of(emu, record)
    return message, custom_ids(message)


async def click(emu, message, custom_id, user):
    return await (await emu.dispatch_component(message["id"], custom_id, user)).wait(ANSWER_TIMEOUT)


async def test_votes_are_stored_once_per_user_and_can_be_changed(emu, start_bot, storage):
    w = emu.world
    async with start_bot():
        message, (up, down, *_) = await ask_and_get_buttons(emu)
        first = await click(emu, message, up, w.bob)
        assert first.callback_data["flags"] & 64 and "Thanks" in first.content
        again = await click(emu, message, up, w.bob)
        assert "already" in again.content
        changed = await click(emu, message, down, w.bob)
        assert "Changed" in changed.content
        await click(emu, message, up, w.alice)
        assert storage.votes_for(int(message["id"])) == (1, 1)
        stats = storage.stats(days=1, guild_id=w.guild.id)
        assert (stats.upvotes, stats.downvotes) == (1, 1)  # counted for the server they were cast in
        other = storage.stats(days=1, guild_id=w.guild.id + 1)
        assert (other.upvotes, other.downvotes) == (0, 0)


async def test_more_sources_lists_the_next_passages_privately(emu, start_bot):
    async with start_bot():
        message, ids = await ask_and_get_buttons(emu)
        more = await click(emu, message, ids[2], emu.world.bob)
        assert more.callback_type == 5 and more.callback_data["flags"] & 64
        [embed] = more.answer["embeds"]
        assert embed["title"].startswith("More sources") and len(embed["fields"]) >= 2
        cited = message["embeds"][0]["fields"][0]["value"].count("\n") + 1  # the answer's sources
        assert embed["fields"][0]["name"].startswith(f"{cited + 1}. ")  # numbered on from them


async def test_delete_is_refused_to_others_and_done_for_the_asker(emu, start_bot):
    w = emu.world
    async with start_bot():
        message, ids = await ask_and_get_buttons(emu)
        refused = await click(emu, message, ids[3], w.bob)
        assert "Only moderators" in refused.content and int(message["id"]) in emu.messages
        deleted = await emu.dispatch_component(message["id"], ids[3], w.alice)
        await emu.wait_for_request(lambda r: r.method == "DELETE", ANSWER_TIMEOUT)
        assert deleted.callback_type == 6  # a silent acknowledgement, then the delete
        assert int(message["id"]) not in emu.messages


async def test_moderators_can_delete_any_answer(emu, start_bot):
    async with start_bot():
        message, ids = await ask_and_get_buttons(emu)
        await emu.dispatch_component(message["id"], ids[3], emu.world.mod)
        await emu.wait_for_request(lambda r: r.method == "DELETE", ANSWER_TIMEOUT)
        assert int(message["id"]) not in emu.messages


async def test_buttons_keep_working_after_a_restart(emu, start_bot, storage):
    async with start_bot():
        message, ids = await ask_and_get_buttons(emu)
    async with start_bot():  # a new bot process: nothing remembered but the custom ids
        voted = await click(emu, message, ids[0], emu.world.bob)
        assert "Thanks" in voted.content
        assert storage.votes_for(int(message["id"])) == (1, 0)
