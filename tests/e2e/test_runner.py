"""`qabot run` start-up: fails fast with one clear line (and never shows the token), or serves."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import shutil
import socket
import sqlite3
import stat
import time

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route
from pydantic import SecretStr

from bot.discord_adapter import runner
from bot.settings import CoreSettings, DiscordSettings
from tests.conftest import KNOWLEDGE
from tests.e2e.conftest import ANSWERABLE
from tests.e2e.helpers import message_of, slash

pytestmark = pytest.mark.e2e
SECRET = "very-secret-token-value"


@pytest.fixture(autouse=True)
def restore_discord_urls():
    saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    yield
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


@pytest.fixture
def core(tmp_path, shipped_index) -> CoreSettings:
    shutil.copytree(KNOWLEDGE, tmp_path / "knowledge")
    shutil.copytree(shipped_index, tmp_path / "index")
    return CoreSettings(knowledge_dir=tmp_path / "knowledge", index_dir=tmp_path / "index")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings_for(tmp_path, api_base: str, gateway: str = "ws://127.0.0.1:9/", token: str | None = SECRET):
    values = {
        "discord_api_base": api_base,
        "discord_gateway_url": gateway,
        "database_path": tmp_path / "db.sqlite3",
    }
    if token is not None:
        values["DISCORD_TOKEN"] = token
    return DiscordSettings(**values)


async def test_no_token_is_one_clear_line(core, tmp_path):
    with pytest.raises(runner.StartFailed) as failure:
        await runner.serve(core, settings_for(tmp_path, "http://127.0.0.1:9/api/v10", token=None))
    assert failure.value.code == runner.EXIT_CONFIG and "DISCORD_TOKEN" in str(failure.value)


async def test_rejected_token_fails_at_once(core, tmp_path, emu):
    started = time.monotonic()
    with pytest.raises(runner.StartFailed) as failure:
        await runner.serve(core, settings_for(tmp_path, emu.rest_base, emu.gateway_url, token="wrong"))
    assert "rejected the token" in str(failure.value) and failure.value.code == runner.EXIT_CONFIG
    assert time.monotonic() - started < 10


def test_unreachable_discord_gives_up_with_a_non_zero_exit_and_hides_the_token(
    core, tmp_path, monkeypatch, caplog
):
    monkeypatch.setattr(runner, "RETRY_DELAYS", (0.1, 0.2))
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    code = runner.run_bot(core, settings_for(tmp_path, f"http://127.0.0.1:{closed_port()}/api/v10"))
    assert code == runner.EXIT_FAILED and time.monotonic() - started < 10
    [line] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert line.startswith("can't reach Discord") and "\n" not in line
    assert SECRET not in caplog.text


async def test_bad_index_stops_the_start(core, tmp_path, emu, real_embedder):
    (core.index_dir / "CURRENT").write_text("no-such-generation\n")
    with pytest.raises(runner.StartFailed) as failure:
        await runner.serve(
            core, settings_for(tmp_path, emu.rest_base, emu.gateway_url, emu.token), embedder=real_embedder
        )
    assert "can't start" in str(failure.value)


async def test_serves_from_the_settings_urls_until_stopped(core, tmp_path, emu, real_embedder):
    w = emu.world
    settings = settings_for(tmp_path, emu.rest_base, emu.gateway_url, emu.token).model_copy(
        update={"dev_guild_id": w.guild.id}
    )
    stop = asyncio.Event()
    serving = asyncio.create_task(
        runner.serve(core, settings, embedder=real_embedder, stop=stop, guild_ready_timeout=0.1)
    )
    try:
        for _ in range(300):
            if emu.find_command(w.guild, "ask") and emu.connections and emu.connections[0].session:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # GUILD_CREATE processed
        record = await slash(emu, w.alice, "ask", {"question": ANSWERABLE})
        assert message_of(emu, record)["embeds"][0]["title"] == ANSWERABLE
    finally:
        stop.set()
        await asyncio.wait_for(serving, 20)
    assert (tmp_path / "db.sqlite3").exists()


async def test_without_a_salt_setting_a_random_one_is_kept_and_never_logged(
    core, tmp_path, emu, real_embedder, caplog
):
    """The old default salt "change-me" made stored user hashes reversible: sha256("change-me" + id)."""
    caplog.set_level(logging.DEBUG)
    w = emu.world
    for salt_setting in (None, "change-me"):  # unset, and the placeholder from an old .env
        settings = settings_for(tmp_path, emu.rest_base, emu.gateway_url, emu.token).model_copy(
            update={"dev_guild_id": w.guild.id, "user_id_salt": salt_setting and SecretStr(salt_setting)}
        )
        stop = asyncio.Event()
        serving = asyncio.create_task(
            runner.serve(core, settings, embedder=real_embedder, stop=stop, guild_ready_timeout=0.1)
        )
        try:
            for _ in range(300):
                if emu.find_command(w.guild, "ask") and emu.connections and emu.connections[-1].session:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.5)
            await slash(emu, w.alice, "ask", {"question": ANSWERABLE})
        finally:
            stop.set()
            await asyncio.wait_for(serving, 20)
    salt_file = tmp_path / ".user-id-salt"
    salt = salt_file.read_text().strip()
    assert len(salt) >= 32 and stat.S_IMODE(salt_file.stat().st_mode) == 0o600
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        hashes = {row[0] for row in db.execute("SELECT user_hash FROM questions")}
    assert hashes == {hashlib.sha256(f"{salt}{w.alice.id}".encode()).hexdigest()}  # one salt, both starts
    assert hashlib.sha256(f"change-me{w.alice.id}".encode()).hexdigest() not in hashes
    assert salt not in caplog.text and "generated a random salt" in caplog.text


async def test_a_database_path_that_is_no_database_stops_the_start_with_one_line(
    core, tmp_path, emu, real_embedder
):
    settings = settings_for(tmp_path, emu.rest_base, emu.gateway_url, emu.token)
    settings.database_path.write_text("root:x:0:0:root:/root:/bin/bash\n")
    with pytest.raises(runner.StartFailed) as failure:
        await runner.serve(core, settings, embedder=real_embedder)
    assert failure.value.code == runner.EXIT_CONFIG and "QABOT_DATABASE_PATH" in str(failure.value)
