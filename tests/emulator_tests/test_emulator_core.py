"""Core flows: login/READY, command sync, slash command with defer+follow-up, button,
on_message reply, bad tokens, heartbeats, unhandled-route recording."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import discord
import pytest
from discord.http import Route

from tests.emulator import DiscordEmulator, connected_client

pytestmark = pytest.mark.asyncio


async def sync_guild_commands(bot) -> None:
    await bot.tree.sync(guild=discord.Object(bot.guild_id))


async def test_login_ready_and_guild_state(emu, make_bot, discord_errors):
    w = emu.world
    async with connected_client(emu, make_bot()) as bot:
        assert bot.user.id == emu.bot_user.id and bot.application_id == emu.application_id
        guild = bot.get_guild(w.guild.id)
        assert guild is not None and guild.name == "qa" and guild.owner_id == w.guild.owner_id
        assert isinstance(guild.get_channel(w.general.id), discord.TextChannel)
        assert isinstance(guild.get_channel(w.forum.id), discord.ForumChannel)
        assert guild.me.guild_permissions.send_messages and not guild.me.guild_permissions.administrator
        conn = emu.connections[0]
        assert conn.identify["intents"] == bot.intents.value and conn.shard == (0, 1)
        assert conn.query["compress"] == "zlib-stream"  # asked for, but plain text frames were accepted
        paths = [(r.method, r.path) for r in emu.requests]
        assert ("GET", "/users/@me") in paths and ("GET", "/oauth2/applications/@me") in paths
    assert emu.unhandled == []


async def test_command_sync_is_recorded(emu, make_bot, discord_errors):
    async with connected_client(emu, make_bot()) as bot:
        synced = await bot.tree.sync(guild=discord.Object(emu.world.guild.id))
        put = await emu.wait_for_request(
            lambda r: r.method == "PUT" and r.path.endswith(f"/guilds/{emu.world.guild.id}/commands"),
            timeout=2,
        )
        assert put.path == f"/applications/{emu.application_id}/guilds/{emu.world.guild.id}/commands"
        assert {c["name"] for c in put.json} == {
            "ask",
            "panel",
            "slow",
            "pick",
            "feedback",
            "admin",
            "Whois",
            "Count words",
        }
        assert {c.name for c in synced} == {c["name"] for c in put.json} and all(c.id for c in synced)
        fetched = await bot.tree.fetch_commands(guild=discord.Object(emu.world.guild.id))
        assert {c.id for c in fetched} == {c.id for c in synced}
        again = await bot.tree.sync(guild=discord.Object(emu.world.guild.id))
        assert {c.id for c in again} == {c.id for c in synced}  # ids are stable across syncs


async def test_slash_command_defer_then_followup_edits_original(emu, make_bot, discord_errors):
    w = emu.world
    async with connected_client(emu, make_bot()) as bot:
        await sync_guild_commands(bot)
        record = await emu.dispatch_slash_command(w.guild, w.general, w.alice, "ask", {"question": "why?"})
        await emu.wait_for_response(record.id, timeout=3)
        assert record.callback_type == 5 and record.ack_latency < 3
        assert record.content == "answer: why?" and record.response_latency < 3
        assert [e[1]["content"] for e in record.edits] == ["answer: why?"]  # follow-up filled the original
        original = emu.messages[record.original_message_id]
        assert original["content"] == "answer: why?" and original["flags"] == 0
        assert original["interaction_metadata"]["id"] == str(record.id)
        assert emu.messages_in(w.general) == [original]
        member = record.payload["member"]
        assert member["user"]["id"] == str(w.alice.id) and int(member["permissions"]) & (1 << 11)


async def test_slash_command_with_attachment_option(emu, make_bot, discord_errors):
    w = emu.world
    upload = emu.add_attachment("notes.txt", b"hello world", "text/plain")
    async with connected_client(emu, make_bot()) as bot:
        await sync_guild_commands(bot)
        record = await emu.dispatch_slash_command(
            w.guild, w.general, w.alice, "ask", {"question": "read", "file": upload}
        )
        await record.wait(3)
        assert record.content == "notes.txt: 11 bytes"
        download = await emu.wait_for_request(lambda r: r.path.startswith("/attachments/"), timeout=1)
        assert download.status == 200
        followup = await emu.wait_for_request(lambda r: r.path.startswith("/webhooks/"), timeout=1)
        assert followup.files[0]["filename"] == "copy.txt" and followup.files[0]["data"] == b"hello world"
        [att] = emu.messages[record.original_message_id]["attachments"]
        async with aiohttp.ClientSession() as session, session.get(att["url"]) as resp:
            assert await resp.read() == b"hello world"


async def test_button_click_is_handled(emu, make_bot, discord_errors):
    w = emu.world
    async with connected_client(emu, make_bot()) as bot:
        await sync_guild_commands(bot)
        panel = await (await emu.dispatch_slash_command(w.guild, w.general, w.alice, "panel")).wait(3)
        assert panel.callback_type == 4 and panel.content == "press it"
        message = emu.messages[panel.original_message_id]
        assert message["components"][0]["components"][0]["custom_id"] == "ping"
        click = await emu.dispatch_component(message["id"], "ping", w.alice)
        await click.wait(3)
        assert click.callback_type == 7 and click.content == "pong"
        assert message["content"] == "pong" and message["components"] == []


async def test_on_message_reply(emu, make_bot, discord_errors):
    w = emu.world
    async with connected_client(emu, make_bot()) as bot:
        since = time.monotonic()
        sent = await emu.create_user_message(w.general, w.alice, "!ping")
        reply = await emu.wait_for_message(w.general, timeout=3, since=since)
        assert reply["content"] == "pong" and reply["type"] == 19
        assert reply["message_reference"]["message_id"] == sent["id"]
        assert [m["content"] for m in emu.messages_in(w.general)] == ["!ping", "pong"]
        for _ in range(50):  # the bot also receives its own reply over the gateway, like on Discord
            if any(m.content == "pong" for m in bot.seen_messages):
                break
            await asyncio.sleep(0.02)
        assert bot.seen_messages[0].author.id == w.alice.id and bot.seen_messages[-1].content == "pong"


async def test_bad_token_login_failure(emu, make_bot):
    with pytest.raises(discord.LoginFailure):
        async with connected_client(emu, make_bot(), token="not-the-token", timeout=5):
            pass
    assert emu.requests[0].path == "/users/@me" and emu.requests[0].status == 401


async def test_bad_token_on_gateway_closes_4004(emu):
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(emu.gateway_url + "?v=10&encoding=json") as ws,
    ):
        hello = json.loads((await ws.receive(timeout=2)).data)
        assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] == 100
        await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 513, "properties": {}}})
        closing = await ws.receive(timeout=2)
        assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 4004
    assert emu.connections[0].close_code == 4004


async def test_heartbeats_are_recorded_and_acked(emu, make_bot, discord_errors):
    async with connected_client(emu, make_bot()) as bot:
        await asyncio.sleep(0.6)
        conn = emu.connections[0]
        assert len(conn.heartbeats) >= 4
        assert conn.max_heartbeat_gap() < 0.5  # 100 ms interval; the loop never stalled
        assert bot.latency < 0.5


async def test_unhandled_route_is_recorded_as_404(emu, make_bot):
    async with connected_client(emu, make_bot()) as bot:
        with pytest.raises(discord.NotFound):
            await bot.http.request(Route("GET", "/voice/regions"))
    assert [(r.method, r.path, r.status) for r in emu.unhandled] == [("GET", "/voice/regions", 404)]
    emu.unhandled.clear()  # expected here; the fixture asserts it is empty


async def test_emulator_standalone_context_manager():
    async with DiscordEmulator() as emu:
        assert emu.rest_base.startswith("http://127.0.0.1:") and emu.rest_base.endswith("/api/v10")
        assert emu.gateway_url.startswith("ws://127.0.0.1:") and emu.gateway_url.endswith("/gateway")
        async with aiohttp.ClientSession() as session, session.get(emu.rest_base + "/gateway") as resp:
            assert resp.headers["Content-Type"] == "application/json"
            assert (await resp.json())["url"] == emu.gateway_url
