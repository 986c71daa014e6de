"""End-to-end fixtures: the real bot (real discord.py, real KnowledgeBase with the real model, real
SQLite) against the local Discord emulator. Guards: no discord.py or qabot ERROR log, no request to a
route the emulator lacks, no emulator bug, and a hard time limit per test."""

from __future__ import annotations

import logging
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
import pytest_asyncio

from bot.core.service import KnowledgeBase
from bot.discord_adapter.client import QABot, create_bot
from bot.settings import CoreSettings, DiscordSettings
from bot.storage import Storage
from tests.conftest import KNOWLEDGE, hard_time_limit
from tests.emulator import DiscordEmulator, DiscordErrorCollector, connected_client

TEST_TIME_LIMIT = 300  # seconds; a hung test dumps its stacks and ends the run instead of hanging CI
HEARTBEAT_MS = 250
MANAGE_GUILD = 1 << 5
THRESHOLD = 0.5

ANSWERABLE = "How do I install PyTorch with CUDA?"
UNANSWERABLE = "What is the best pizza topping in Naples?"


time_limit = hard_time_limit(TEST_TIME_LIMIT)


@pytest.fixture
def logged_errors():
    """ERROR records from discord.py and from qabot itself (a handler crash would otherwise look like a
    timeout)."""
    collectors = [DiscordErrorCollector("discord").install(), DiscordErrorCollector("bot").install()]
    yield collectors
    for collector in collectors:
        collector.uninstall()
    for collector in collectors:
        collector.assert_clean()


@pytest.fixture
def knowledge_dir(tmp_path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target


@pytest.fixture
def kb(tmp_path, knowledge_dir, shipped_index, real_embedder) -> KnowledgeBase:
    index_dir = tmp_path / "index"
    shutil.copytree(shipped_index, index_dir)
    knowledge = KnowledgeBase(knowledge_dir, index_dir, real_embedder, threshold=THRESHOLD)
    knowledge.load(build_if_missing=False)
    return knowledge


@pytest.fixture
def storage(tmp_path) -> AsyncIterator[Storage]:
    store = Storage(tmp_path / "qabot.sqlite3", "test-salt", retention_days=30)
    yield store
    store.close()


@pytest_asyncio.fixture
async def emu(logged_errors) -> AsyncIterator[DiscordEmulator]:
    """Guild 'qa': #general, #help (text), #forum (forum); alice and bob (members), mod (moderator
    role), manager (Manage Server, no moderator role)."""
    emulator = DiscordEmulator(heartbeat_interval_ms=HEARTBEAT_MS)
    await emulator.start()
    guild = emulator.add_guild("qa")
    w = SimpleNamespace(guild=guild)
    w.general = emulator.add_channel(guild, "general")
    w.help = emulator.add_channel(guild, "help")
    w.forum = emulator.add_channel(guild, "forum", 15)
    w.mod_role = emulator.add_role(guild, "kb-moderators")
    w.manager_role = emulator.add_role(guild, "managers", MANAGE_GUILD)
    for name in ("alice", "bob", "mod", "manager"):
        setattr(w, name, emulator.add_user(name))
    for user in (w.alice, w.bob):
        emulator.add_member(guild, user)
    emulator.add_member(guild, w.mod, roles=[w.mod_role])
    emulator.add_member(guild, w.manager, roles=[w.manager_role])
    emulator.world = w
    try:
        yield emulator
    finally:
        await emulator.stop()
    emulator.assert_clean()


@pytest.fixture
def make_settings(emu, tmp_path) -> Callable[..., DiscordSettings]:
    def make(**overrides: object) -> DiscordSettings:
        w = emu.world
        values: dict[str, object] = {
            "dev_guild_id": w.guild.id,
            "moderator_role_ids": [w.mod_role.id],
            "help_channel_ids": [w.help.id, w.forum.id],
            "cooldown_rate": 1000,  # tests ask a lot; the cooldown test sets its own
            "cooldown_seconds": 60,
            "database_path": tmp_path / "qabot.sqlite3",
            "discord_api_base": emu.rest_base,
            "discord_gateway_url": emu.gateway_url,
            **overrides,
        }
        return DiscordSettings(**values)

    return make


@pytest.fixture
def start_bot(emu, kb, storage, make_settings):
    """`async with start_bot(**settings) as bot`: the connected bot, commands synced to the guild."""

    @asynccontextmanager
    async def start(**overrides: object) -> AsyncIterator[QABot]:
        settings = make_settings(**overrides)
        bot = create_bot(kb, storage, CoreSettings(threshold=THRESHOLD), settings, guild_ready_timeout=0.1)
        async with connected_client(emu, bot, timeout=20) as connected:
            yield connected

    return start


@pytest.fixture(autouse=True)
def _quiet_http_logs():
    logging.getLogger("discord.http").setLevel(logging.WARNING)
    yield
