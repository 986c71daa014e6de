"""Several bot processes: `qabot run` twice, one shard each, against one emulator and one index directory.

Each process answers the guild on its own shard; a /kb add in one is served by the other within the poll
interval, without a restart; a build running elsewhere is refused as "already running".
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import pytest_asyncio

from bot.core.indexer import build_lock
from bot.discord_adapter import runner
from bot.discord_adapter.client import shard_options
from bot.errors import ShardConfigError
from bot.settings import CoreSettings, DiscordSettings
from tests.conftest import KNOWLEDGE, MODEL_CACHE, REPO, TEST_BACKEND
from tests.e2e.conftest import ANSWERABLE
from tests.e2e.helpers import bot_requests
from tests.emulator import DiscordEmulator, InteractionRecord
from tests.emulator.gateway import shard_for

pytestmark = pytest.mark.e2e
SHARDS = 2
MANAGE_GUILD = 1 << 5
START_TIMEOUT = 120.0  # two processes loading the model side by side on 2 cores
ANSWER_TIMEOUT = 30.0
PICKUP_TIMEOUT = 10.0  # the poll runs every second; allow for a loaded CI machine
NEW_ARTICLE = b"""---
title: The Quokka optimiser
url: https://example.org/quokka-optimiser
---

## Who invented the Quokka optimiser

The Quokka optimiser was invented in 2031 by Professor Ada Finchley at the Wollongong Institute.
The Quokka optimiser adapts its learning rate to the phase of the moon.
"""
NEW_QUESTION = "Who invented the Quokka optimiser?"
FAILURE_LOG = re.compile(r"(^|\s)(ERROR|CRITICAL)\s|Traceback", re.M)  # either log format
BOT_COMMAND = (sys.executable, "-m", "bot", "-v", "run")  # -v: the INFO lines the test waits for


@pytest.mark.parametrize(
    ("count", "ids", "expected"),
    [
        (None, [], {}),  # AutoShardedBot asks Discord for the recommended count
        (4, [], {"shard_count": 4}),
        (4, [1, 3], {"shard_count": 4, "shard_ids": [1, 3]}),
    ],
)
def test_shard_settings_choose_the_shards_this_process_runs(count, ids, expected):
    assert shard_options(DiscordSettings(shard_count=count, shard_ids=ids, _env_file=None)) == expected


@pytest.mark.parametrize(("count", "ids", "invalid"), [(2, [0, 2], [2]), (2, [1, 1], [1]), (None, [0], [0])])
async def test_impossible_shard_ids_stop_the_start_with_one_clear_line(tmp_path, count, ids, invalid):
    settings = DiscordSettings(shard_count=count, shard_ids=ids, DISCORD_TOKEN="t", _env_file=None)
    with pytest.raises(ShardConfigError) as error:
        shard_options(settings)
    assert error.value.invalid == invalid
    with pytest.raises(runner.StartFailed) as failure:  # before any network, model or index
        await runner.serve(CoreSettings(index_dir=tmp_path / "none"), settings)
    assert failure.value.code == runner.EXIT_CONFIG and "QABOT_SHARD_IDS" in str(failure.value)


async def test_without_shard_settings_one_process_runs_every_shard_discord_recommends(emu, start_bot):
    emu.recommended_shards = 2
    async with start_bot() as bot:
        assert sorted(bot.shards) == [0, 1] and bot_requests(emu, "GET", "/gateway/bot")
        assert sorted(c.shard for c in emu.connections if c.session) == [(0, 2), (1, 2)]


def guild_on_shard(emu: DiscordEmulator, shard: int, name: str):
    """Guild ids are time-based snowflakes; make guilds until one lands on `shard`, forget the rest."""
    while True:
        guild = emu.add_guild(name)
        if shard_for(guild.id, SHARDS) == shard:
            return guild
        del emu.guilds[guild.id]
        time.sleep(0.001)


@pytest_asyncio.fixture
async def world() -> AsyncIterator[SimpleNamespace]:
    emu = DiscordEmulator()
    await emu.start()
    w = SimpleNamespace(emu=emu, guilds=[], channels=[])
    w.alice, w.mod = emu.add_user("alice"), emu.add_user("mod")
    for shard, name in enumerate(("guild-a", "guild-b")):
        guild = guild_on_shard(emu, shard, name)
        w.guilds.append(guild)
        w.channels.append(emu.add_channel(guild, "general"))
        emu.add_member(guild, w.alice)
        emu.add_member(guild, w.mod, roles=[emu.add_role(guild, "managers", MANAGE_GUILD)])
    try:
        yield w
    finally:
        await emu.stop()
    emu.assert_clean()


def bot_env(tmp_path: Path, emu: DiscordEmulator, shard: int, home_guilds: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QABOT_") and k != "DISCORD_TOKEN"}
    return env | {
        "PYTHONPATH": str(REPO),
        "HF_HUB_OFFLINE": "1",
        "DISCORD_TOKEN": emu.token,
        "QABOT_DISCORD_API_BASE": emu.rest_base,
        "QABOT_DISCORD_GATEWAY_URL": emu.gateway_url,
        "QABOT_SHARD_COUNT": str(SHARDS),
        "QABOT_SHARD_IDS": str(shard),
        "QABOT_KNOWLEDGE_DIR": str(tmp_path / "knowledge"),
        "QABOT_INDEX_DIR": str(tmp_path / "index"),
        "QABOT_DATABASE_PATH": str(tmp_path / f"shard{shard}.sqlite3"),
        "QABOT_INDEX_POLL_SECONDS": "1",
        "QABOT_BACKEND": TEST_BACKEND,  # what the shipped_index fixture was built with
        "QABOT_MODEL_CACHE_DIR": str(MODEL_CACHE),
        "QABOT_COOLDOWN_RATE": "1000",
        # The base may be changed from Discord only in home servers (issue 12); both are the operator's.
        "QABOT_HOME_GUILD_IDS": home_guilds,
    }


async def wait_for_log(proc, log: Path, text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = log.read_text()
        if text in content:
            return content
        assert proc.returncode is None, f"{log.name} exited with {proc.returncode}:\n{content}"
        await asyncio.sleep(0.2)
    raise AssertionError(f"{text!r} not logged within {timeout:.0f} s:\n{log.read_text()}")


async def slash(w, shard: int, user, name: str, options: dict, sub: str | None = None) -> InteractionRecord:
    """A slash command in the guild on `shard`; the emulator sends it only to that shard's connection."""
    record = await w.emu.dispatch_slash_command(
        w.guilds[shard], w.channels[shard], user, name, options, subcommand=sub
    )
    return await record.wait(ANSWER_TIMEOUT)


async def ask(w, shard: int, question: str) -> InteractionRecord:
    return await slash(w, shard, w.alice, "ask", {"question": question})


def answer_embed(w, record: InteractionRecord) -> dict:
    [embed] = w.emu.messages[record.original_message_id]["embeds"]
    return embed


def logged_guilds(database: Path) -> set[int]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        return {row[0] for row in db.execute("SELECT guild_id FROM questions")}


async def test_two_processes_serve_their_own_shards_and_share_reindexes(tmp_path, shipped_index, world):
    w, emu = world, world.emu
    shutil.copytree(KNOWLEDGE, tmp_path / "knowledge")
    shutil.copytree(shipped_index, tmp_path / "index")
    logs = [tmp_path / f"shard{shard}.log" for shard in range(SHARDS)]
    procs = []
    try:
        for shard, log in enumerate(logs):
            with log.open("wb") as out:
                procs.append(
                    await asyncio.create_subprocess_exec(
                        *BOT_COMMAND,
                        cwd=tmp_path,
                        env=bot_env(tmp_path, emu, shard, ",".join(str(g.id) for g in w.guilds)),
                        stdout=out,
                        stderr=out,
                    )
                )
        for proc, log in zip(procs, logs, strict=True):
            await wait_for_log(proc, log, "connected as", START_TIMEOUT)
        assert sorted(c.shard for c in emu.connections if c.session) == [(0, SHARDS), (1, SHARDS)]
        for shard, log in enumerate(logs):
            text = log.read_text()
            assert f"shard {shard} of {SHARDS} ready" in text and f"shard {1 - shard} of" not in text

        for shard in range(SHARDS):
            assert answer_embed(w, await ask(w, shard, ANSWERABLE))["title"] == ANSWERABLE
        for shard in range(SHARDS):  # each question was answered (and logged) by its shard's process
            assert logged_guilds(tmp_path / f"shard{shard}.sqlite3") == {w.guilds[shard].id}

        with build_lock(tmp_path / "index"):  # a build elsewhere (another process) is refused, not queued
            busy = await slash(w, 1, w.mod, "kb", {}, "reindex")
        assert "already running" in busy.content

        upload = emu.add_attachment("quokka-optimiser.md", NEW_ARTICLE, "text/markdown")
        added = await slash(w, 0, w.mod, "kb", {"file": upload}, "add")
        assert "Added: `quokka-optimiser.md`" in added.content
        picked = await wait_for_log(procs[1], logs[1], "picked up index generation", PICKUP_TIMEOUT)
        built = re.findall(r"serving index (gen-\S+)", logs[0].read_text())[-1]
        assert f"picked up index generation {built} " in picked  # the one process 0 built
        embed = answer_embed(w, await ask(w, 1, NEW_QUESTION))
        assert "2031" in embed["description"] and "The Quokka optimiser" in embed["fields"][0]["value"]
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()
    for proc, log in zip(procs, logs, strict=True):
        text = log.read_text()
        assert proc.returncode == 0 and not FAILURE_LOG.search(text), text
    assert "built the index" not in logs[1].read_text()  # process 1 only loaded what process 0 built
