"""Rate limits, threads/forums, reactions, context menu, autocomplete, interaction deadline,
permissions, intents, sharding, RESUME, zlib-stream and AutoShardedClient."""

from __future__ import annotations

import asyncio
import time

import discord
import pytest

from tests.emulator import connected_client

pytestmark = pytest.mark.asyncio


async def test_rate_limited_request_is_retried(emu, make_bot, discord_errors):
    w = emu.world
    async with connected_client(emu, make_bot()):
        emu.rate_limit_next(f"/channels/{w.general.id}/messages", retry_after=0.2, method="POST")
        since = time.monotonic()
        await emu.create_user_message(w.general, w.alice, "!ping")
        reply = await emu.wait_for_message(w.general, timeout=3, since=since)
        posts = [
            r for r in emu.requests if r.method == "POST" and r.path == f"/channels/{w.general.id}/messages"
        ]
        assert [r.status for r in posts] == [429, 200] and reply["content"] == "pong"
        assert posts[1].timestamp - posts[0].timestamp >= 0.2


async def test_thread_from_message_and_forum_posts(emu, make_bot, discord_errors):
    w = emu.world
    async with connected_client(emu, make_bot()) as bot:
        msg = await emu.create_user_message(w.general, w.alice, "!thread")
        thread_id = int(msg["id"])  # a thread started from a message shares its id
        reply = await emu.wait_for_message(thread_id, timeout=3)
        assert reply["content"] == "thread started"
        assert emu.channels[thread_id].type == 11 and emu.channels[thread_id].parent_id == w.general.id
        assert isinstance(bot.get_channel(thread_id), discord.Thread)

        thread, starter = await emu.create_forum_post(w.forum, w.alice, "Help me", "it broke")
        welcome = await emu.wait_for_message(thread.id, timeout=3)
        assert welcome["content"] == "welcome to the forum" and starter["id"] == str(thread.id)

        forum = bot.get_channel(w.forum.id)
        created = await forum.create_thread(name="Announcement", content="from the bot")
        assert created.thread.parent_id == w.forum.id and created.message.content == "from the bot"
        assert emu.messages_in(created.thread.id)[0]["content"] == "from the bot"


async def test_reaction_and_message_context_command(emu, make_bot, discord_errors):
    w = emu.world
    async with connected_client(emu, make_bot()) as bot:
        await bot.tree.sync(guild=discord.Object(w.guild.id))
        msg = await emu.create_user_message(w.general, w.alice, "!react")
        await emu.wait_for_request(lambda r: r.method == "PUT" and "/reactions/" in r.path, timeout=3)
        assert emu.messages[int(msg["id"])]["reactions"][0]["me"] is True
        record = await emu.dispatch_message_context_command(w.general, w.alice, "Count words", msg["id"])
        await record.wait(3)
        assert record.payload["data"]["type"] == 3 and record.content == "1 words"


async def test_subcommands_groups_user_options_and_user_context_menu(emu, make_bot, discord_errors):
    w = emu.world
    mods = emu.add_role(w.guild, "mods", 1 << 13)
    async with connected_client(emu, make_bot()) as bot:
        await bot.tree.sync(guild=discord.Object(w.guild.id))
        warn = await emu.dispatch_slash_command(
            w.guild, w.general, w.alice, "admin", {"member": w.alice, "reason": "spam"}, subcommand="warn"
        )
        assert (await warn.wait(3)).content == "warned alice: spam"
        assert warn.payload["data"]["options"][0]["options"][0] == {
            "name": "member",
            "type": 6,
            "value": str(w.alice.id),
        }
        show = await emu.dispatch_slash_command(
            w.guild, w.general, w.alice, "admin", {"role": mods}, group="roles", subcommand="show"
        )
        assert (await show.wait(3)).content == "role mods"
        whois = await emu.dispatch_user_context_command(w.general, w.alice, "Whois", w.alice)
        assert (await whois.wait(3)).content == "alice joined qa"


async def test_modal_shown_and_submitted(emu, make_bot, discord_errors):
    w = emu.world
    async with connected_client(emu, make_bot()) as bot:
        await bot.tree.sync(guild=discord.Object(w.guild.id))
        shown = await (await emu.dispatch_slash_command(w.guild, w.general, w.alice, "feedback")).wait(3)
        assert shown.callback_type == 9 and shown.answer["title"] == "Feedback"
        submit = await emu.dispatch_modal_submit(
            w.general, w.alice, shown.answer["custom_id"], {"feedback-text": "great bot"}
        )
        assert (await submit.wait(3)).content == "thanks for: great bot"


async def test_autocomplete_and_ephemeral_reply(emu, make_bot, discord_errors):
    w = emu.world
    async with connected_client(emu, make_bot()) as bot:
        await bot.tree.sync(guild=discord.Object(w.guild.id))
        auto = await emu.dispatch_autocomplete(
            w.guild, w.general, w.alice, "pick", {"fruit": "b"}, focused="fruit"
        )
        await auto.wait(3)
        assert auto.callback_type == 8 and auto.answer["choices"] == [{"name": "banana", "value": "banana"}]
        pick = await emu.dispatch_slash_command(w.guild, w.general, w.alice, "pick", {"fruit": "banana"})
        await pick.wait(3)
        assert pick.content == "picked banana" and emu.messages[pick.original_message_id]["flags"] & 64


async def test_late_interaction_response_is_rejected(emu, make_bot, discord_errors):
    w = emu.world
    emu.interaction_deadline = 0.2  # Discord's 3 s, shrunk so the test is fast
    async with connected_client(emu, make_bot()) as bot:
        await bot.tree.sync(guild=discord.Object(w.guild.id))
        record = await emu.dispatch_slash_command(w.guild, w.general, w.alice, "slow")
        with pytest.raises(asyncio.TimeoutError):
            await record.wait(1)
        assert record.callback_type is None and record.rejected[0].startswith("10062")
    assert any("Unknown interaction" in m for m in discord_errors.messages)  # discord.py logged the failure
    discord_errors.records.clear()


async def test_missing_send_permission_is_forbidden(emu, make_bot, discord_errors):
    w = emu.world
    bot_role = next(r for r in w.guild.roles.values() if r.managed)
    locked = emu.add_channel(
        w.guild,
        "readonly",
        overwrites=[{"id": str(bot_role.id), "type": 0, "allow": "0", "deny": str(1 << 11)}],
    )
    async with connected_client(emu, make_bot()) as bot:
        with pytest.raises(discord.Forbidden) as info:
            await bot.get_channel(locked.id).send("hi")
        assert info.value.code == 50013
        with pytest.raises(discord.HTTPException) as info:
            await bot.get_channel(w.general.id).send("x" * 2001)
        assert info.value.code == 50035


async def test_message_content_requires_the_intent(emu, make_bot, discord_errors):
    w = emu.world
    async with connected_client(emu, make_bot(message_content=False)) as bot:
        await emu.create_user_message(w.general, w.alice, "!ping")
        await emu.create_user_message(w.general, w.alice, f"<@{emu.bot_user.id}> hi")
        for _ in range(50):
            if len(bot.seen_messages) == 2:
                break
            await asyncio.sleep(0.02)
        assert [m.content for m in bot.seen_messages] == ["", f"<@{emu.bot_user.id}> hi"]


async def test_privileged_intent_not_enabled_closes_4014(emu, make_bot):
    emu.allowed_privileged_intents = 0
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with connected_client(emu, make_bot(), timeout=5):
            pass
    assert emu.connections[0].close_code == 4014


async def test_two_shards_split_guilds(emu, make_bot, discord_errors):
    w = emu.world
    other = emu.add_guild("second")
    while (other.id >> 22) % 2 == (w.guild.id >> 22) % 2:  # ids are time based: retry until parities differ
        await asyncio.sleep(0.002)
        other = emu.add_guild("second")
    other_channel = emu.add_channel(other, "chat")
    emu.add_member(other, w.alice)
    bots = [make_bot(shard_id=i, shard_count=2) for i in range(2)]
    async with connected_client(emu, bots[0]), connected_client(emu, bots[1]):
        by_shard = {b.shard_id: {g.id for g in b.guilds} for b in bots}
        expected = {shard: {gid for gid in emu.guilds if (gid >> 22) % 2 == shard} for shard in (0, 1)}
        assert by_shard == expected and all(expected.values())
        assert sorted(c.shard for c in emu.connections) == [(0, 2), (1, 2)]
        await emu.create_user_message(other_channel, w.alice, "!ping")
        await emu.wait_for_message(other_channel, timeout=3)
        owner = bots[(other.id >> 22) % 2]
        assert [m.content for m in owner.seen_messages][:1] == ["!ping"]
        assert not bots[(w.guild.id >> 22) % 2].seen_messages


async def test_reconnect_resumes_session(emu, make_bot, discord_errors):
    w = emu.world
    async with connected_client(emu, make_bot()) as bot:
        first = emu.connections[0]
        await emu.send_reconnect()
        for _ in range(100):
            if len(emu.connections) == 2 and emu.connections[1].resumed:
                break
            await asyncio.sleep(0.02)
        second = emu.connections[1]
        assert second.resumed and second.session is first.session and not first.is_open
        since = time.monotonic()
        await emu.create_user_message(w.general, w.alice, "!ping")
        assert (await emu.wait_for_message(w.general, timeout=3, since=since))["content"] == "pong"
        assert bot.is_ready()


async def test_zlib_stream_frames(emu, make_bot, discord_errors):
    emu.gateway_compress = True
    w = emu.world
    async with connected_client(emu, make_bot()) as bot:
        assert emu.connections[0].compressed and bot.get_guild(w.guild.id)
        await emu.create_user_message(w.general, w.alice, "!ping")
        assert (await emu.wait_for_message(w.general, timeout=3))["content"] == "pong"


async def test_auto_sharded_client_uses_gateway_bot(emu, discord_errors):
    class FastShardedClient(discord.AutoShardedClient):
        async def before_identify_hook(self, shard_id, *, initial=False):
            pass  # skip discord.py's 5 s pause between shard IDENTIFYs

    emu.recommended_shards = 2
    client = FastShardedClient(intents=discord.Intents.default(), guild_ready_timeout=0.1)
    async with connected_client(emu, client, timeout=20):
        assert any(r.path == "/gateway/bot" for r in emu.requests)
        assert client.shard_count == 2 and client.get_guild(emu.world.guild.id) is not None
        assert sorted(c.shard for c in emu.connections) == [(0, 2), (1, 2)]
