"""The emulator's fault injection against a real discord.py client: a 500, a slow REST call, and a
gateway connection cut without a close frame (the client resumes and gets what was sent meanwhile)."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.emulator import connected_client
from tests.emulator_tests.test_emulator_core import sync_guild_commands

pytestmark = pytest.mark.asyncio


async def test_a_500_on_a_follow_up_is_retried_by_discord_py_and_answered_once(emu, make_bot, discord_errors):
    w = emu.world
    async with connected_client(emu, make_bot()) as bot:
        await sync_guild_commands(bot)
        fault = emu.inject_fault("/webhooks/", method="POST", status=500)
        record = await emu.dispatch_slash_command(w.guild, w.general, w.alice, "ask", {"question": "hi"})
        await record.wait(10)
        posts = [r for r in emu.requests if r.method == "POST" and r.path.startswith("/webhooks/")]
        assert [r.status for r in posts] == [500, 200] and fault.hits == 1 and emu.rest.faults == []
        assert record.content == "answer: hi" and len(record.followups) == 1


async def test_a_slow_route_is_handled_at_once_and_answered_late(emu, make_bot, discord_errors):
    w = emu.world
    async with connected_client(emu, make_bot()) as bot:
        await sync_guild_commands(bot)
        emu.inject_fault("/callback", delay=0.5, times=None)
        record = await emu.dispatch_slash_command(w.guild, w.general, w.alice, "ask", {"question": "hi"})
        await record.wait(5)
        [callback] = [r for r in emu.requests if r.path.endswith("/callback")]
        followup = next(r for r in emu.requests if r.path.startswith("/webhooks/"))
        assert record.ack_latency < 0.5  # received at once: the deadline counts from arrival
        assert followup.timestamp - callback.timestamp >= 0.5  # discord.py waited for the slow answer


async def test_a_dropped_gateway_resumes_and_replays_events_sent_while_it_was_down(
    emu, make_bot, discord_errors
):
    w = emu.world
    async with connected_client(emu, make_bot()) as bot:
        first = emu.connections[0]
        await emu.drop_gateway()
        assert not first.is_open and first.close_code == 1006
        since = time.monotonic()
        await emu.create_user_message(w.general, w.alice, "!ping")  # into the detached session
        reply = await emu.wait_for_message(w.general, timeout=10, since=since)
        assert reply["content"] == "pong"
        resumed = [c for c in emu.connections[1:] if c.resumed]
        assert resumed and resumed[0].session is first.session and bot.is_ready()
        assert len([m for m in bot.seen_messages if m.content == "!ping"]) == 1  # replayed once, not twice
        await asyncio.sleep(0.3)
        assert resumed[0].heartbeats  # the new connection heartbeats again
