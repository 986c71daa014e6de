"""The command tree in use: one cooldown for every way of asking, /help written from the tree, and
global command syncs only when the tree changed or on purpose."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.discord_adapter import command_sync
from bot.discord_adapter.runner import serve
from bot.settings import CoreSettings
from tests.e2e.conftest import ANSWERABLE, THRESHOLD
from tests.e2e.helpers import ANSWER_TIMEOUT, bot_requests, slash

pytestmark = pytest.mark.e2e


async def test_ask_mentions_and_help_posts_share_one_cooldown_per_user(emu, start_bot, storage):
    w = emu.world
    async with start_bot(cooldown_rate=3, cooldown_seconds=60):
        assert (await slash(emu, w.alice, "ask", {"question": ANSWERABLE})).callback_type == 5
        await emu.create_user_message(w.help, w.alice, ANSWERABLE)  # answered in a thread: the second
        await emu.wait_for_request(lambda r: r.method == "POST" and "/threads" in r.path, ANSWER_TIMEOUT)
        since = time.monotonic()
        await emu.create_user_message(w.general, w.alice, f"<@{emu.bot_user.id}> {ANSWERABLE}")
        assert (await emu.wait_for_message(w.general, ANSWER_TIMEOUT, since=since))["embeds"]  # the third
        refused = await slash(emu, w.alice, "ask", {"question": ANSWERABLE})
        assert refused.callback_type == 4 and "Try again <t:" in refused.content
        since = time.monotonic()
        await emu.create_user_message(w.general, w.alice, f"<@{emu.bot_user.id}> {ANSWERABLE}")
        reply = await emu.wait_for_message(w.general, ANSWER_TIMEOUT, since=since)
        words = "You're asking a lot at once. Try again <t:"  # the same words however one asks
        assert refused.content.startswith(words) and reply["content"].startswith(words)
        assert (await slash(emu, w.bob, "ask", {"question": ANSWERABLE})).callback_type == 5  # per user
    assert storage.stats(days=1).asked == 4  # alice's three and bob's one; refusals are not asked


async def test_help_lists_every_synced_command_with_its_description(emu, start_bot):
    async with start_bot():
        [put] = bot_requests(emu, "PUT", "/commands")
        record = await slash(emu, emu.world.alice, "help")
    text = record.callback_data["embeds"][0]["description"]
    for command in put.json:
        if command["name"] == "help":
            continue
        if command.get("type", 1) == 3:  # a message command
            assert f"**{command['name']}**" in text
        elif command["name"] == "kb":
            for sub in command["options"]:
                if sub["type"] == 2:  # a subcommand group (/kb source): its commands are listed
                    for leaf in sub["options"]:
                        assert f"/kb {sub['name']} {leaf['name']}" in text and leaf["description"] in text
                else:
                    assert f"/kb {sub['name']}" in text and sub["description"] in text
        else:
            assert f"`/{command['name']} " in text and command["description"] in text
    assert "`/ask question: [private:]`" in text
    assert text.index("/ask") < text.index("**Moderators**") < text.index("/kb add")


def global_puts(emu) -> list:
    return [r for r in bot_requests(emu, "PUT", "/commands") if "/guilds/" not in r.path]


async def test_global_commands_are_synced_only_when_the_tree_changed(emu, start_bot, tmp_path):
    async with start_bot(dev_guild_id=None):
        pass
    assert len(global_puts(emu)) == 1
    [stored] = tmp_path.glob(".synced-commands-*.sha256")
    async with start_bot(dev_guild_id=None):  # same tree: nothing sent
        pass
    assert len(global_puts(emu)) == 1
    stored.write_text("a tree from an older version")
    async with start_bot(dev_guild_id=None):
        pass
    assert len(global_puts(emu)) == 2 and stored.read_text() != "a tree from an older version"


async def test_sync_commands_sends_them_even_when_unchanged_and_stays_offline(
    emu, start_bot, make_settings, kb, real_embedder, tmp_path
):
    async with start_bot(dev_guild_id=None):
        pass
    connections = len(emu.connections)
    settings = make_settings(dev_guild_id=None, DISCORD_TOKEN=emu.token)
    core = CoreSettings(knowledge_dir=kb.knowledge_dir, index_dir=kb.index_dir, threshold=THRESHOLD)
    await serve(core, settings, embedder=real_embedder, stop=asyncio.Event(), sync_only=True)
    assert len(global_puts(emu)) == 2 and len(emu.connections) == connections
    assert command_sync.hash_file(tmp_path, emu.application_id).is_file()
