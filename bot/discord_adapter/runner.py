"""`qabot run`: load the index, open storage, connect to Discord and serve until stopped.

Failures at start (no token, a token Discord rejects, Discord unreachable, a bad index) end with one
clear line and a non-zero exit within a minute, so a supervisor can restart the bot. Once connected,
discord.py's own reconnect handles outages. The token is never printed or logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import time

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.core.embedding import Embedder
from bot.core.indexer import BuildReport
from bot.core.service import KnowledgeBase
from bot.discord_adapter.client import QABot, create_bot, shard_options
from bot.errors import ConfigError, IndexBusy, QABotError, ShardConfigError
from bot.settings import CoreSettings, DiscordSettings, SourcesSettings
from bot.storage import Storage
from bot.storage.salt import user_id_salt
from bot.wiring import knowledge_base

log = logging.getLogger("bot.discord_adapter")

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2
START_DEADLINE = 45.0  # seconds to reach Discord before giving up; with a hung last attempt still < 60 s
LOGIN_TIMEOUT = 10.0
RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0)
INDEX_BUILD_WAIT = 1800.0  # seconds to wait at start while another process builds the first index


class StartFailed(Exception):
    """Start-up ended with the message in args[0]; the exit code says what kind of failure."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("discord.http").setLevel(logging.WARNING)  # a line per request is noise


def _source_options(core: CoreSettings, settings: SourcesSettings) -> dict[str, object]:
    """The bot's sources (/kb source) and how often it syncs them."""
    from bot.wiring import source_service

    return {
        "sources": source_service(core, settings),
        "sync_interval_minutes": settings.sync_interval_minutes,
        "max_sources_per_server": settings.max_sources_per_server,
    }


def point_at_discord(settings: DiscordSettings) -> None:
    """Where the REST API and gateway are: Discord's own, or a compatible server or test emulator."""
    Route.BASE = settings.discord_api_base.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def run_bot(
    core: CoreSettings,
    discord_settings: DiscordSettings,
    *,
    embedder: Embedder | None = None,
    sync_only: bool = False,
    sources_settings: SourcesSettings | None = None,
) -> int:
    """Run until stopped (SIGINT/SIGTERM -> 0); a failed start logs one line and returns non-zero.
    `sync_only`: start as usual, send the slash commands to Discord whether or not they changed, and stop
    before going online (`qabot sync-commands`)."""
    configure_logging()
    try:
        options = _source_options(core, sources_settings) if sources_settings else {}
        asyncio.run(serve(core, discord_settings, embedder=embedder, sync_only=sync_only, **options))
    except StartFailed as failure:
        log.error("%s", failure)
        return failure.code
    except KeyboardInterrupt:
        pass
    except Exception:  # after a good start: log the traceback, exit non-zero so a supervisor restarts us
        log.exception("the bot stopped on an unexpected error")
        return EXIT_FAILED
    return EXIT_OK


async def serve(
    core: CoreSettings,
    discord_settings: DiscordSettings,
    *,
    embedder: Embedder | None = None,
    stop: asyncio.Event | None = None,
    sync_only: bool = False,
    **bot_options: object,
) -> None:
    """Log in, load the index, connect, then serve until `stop` is set (or a signal arrives); with
    `sync_only`, log in, send the commands and stop. The bot's cogs are built around a loaded knowledge
    base, so a sync loads it too (a few seconds)."""
    token = (
        discord_settings.discord_token.get_secret_value().strip() if discord_settings.discord_token else ""
    )
    if not token:
        raise StartFailed("no Discord token: set DISCORD_TOKEN in the environment or in .env", EXIT_CONFIG)
    _check_shards(discord_settings)
    salt = _salt(discord_settings)
    point_at_discord(discord_settings)
    stop = stop or _stop_on_signals()
    # The token and the connection are checked before the (possibly long) index build, so a bad
    # token or an unreachable Discord fails within a minute.
    await _check_token(token)
    kb = await asyncio.to_thread(_load_knowledge, core, embedder)
    try:
        storage = Storage(discord_settings.database_path, salt, discord_settings.retention_days)
    except ConfigError as error:  # a folder or a text file where the database should be
        raise StartFailed(str(error), EXIT_CONFIG) from None
    bot = create_bot(kb, storage, core, discord_settings, force_sync=sync_only, **bot_options)
    try:
        await asyncio.wait_for(bot.login(token), LOGIN_TIMEOUT)  # setup_hook loads the cogs and syncs
        if sync_only:
            return
        runner = asyncio.create_task(bot.connect(reconnect=True), name="qabot-gateway")
        await _wait_ready(bot, runner)
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({runner, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if runner.done():
            runner.result()
    finally:
        await bot.close()
        storage.close()
    log.info("stopped")


def _check_shards(settings: DiscordSettings) -> None:
    try:
        shard_options(settings)
    except ShardConfigError as error:
        if error.shard_count is None:
            problem = "QABOT_SHARD_IDS needs QABOT_SHARD_COUNT (the total number of shards of the bot)"
        else:
            problem = (
                f"QABOT_SHARD_IDS must name different shards from 0 to {error.shard_count - 1} "
                f"(QABOT_SHARD_COUNT={error.shard_count}); these can't be run: {error.invalid}"
            )
        raise StartFailed(f"bad shard settings: {problem}", EXIT_CONFIG) from None


def _salt(settings: DiscordSettings) -> str:
    configured = settings.user_id_salt.get_secret_value() if settings.user_id_salt else None
    try:
        return user_id_salt(configured, settings.database_path.parent)
    except ConfigError as error:
        raise StartFailed(str(error), EXIT_CONFIG) from None


def _load_knowledge(core: CoreSettings, embedder: Embedder | None) -> KnowledgeBase:
    try:
        kb = knowledge_base(core, embedder)
        report = _load_or_wait(kb)
    except QABotError as error:
        raise StartFailed(f"can't start: {error}") from None
    if report is not None:
        log.info("built the index: %d articles, %d passages", report.articles, report.passages)
    return kb


def _load_or_wait(kb: KnowledgeBase) -> BuildReport | None:
    """Load (building a missing index); while another process builds the first index, wait for it."""
    deadline = time.monotonic() + INDEX_BUILD_WAIT
    while True:
        try:
            return kb.load(build_if_missing=True)
        except IndexBusy:
            if time.monotonic() > deadline:
                raise
            log.info("another process is building the index in %s; waiting for it", kb.index_dir)
            time.sleep(2.0)


async def _check_token(token: str) -> None:
    """Check the token, retrying while Discord is unreachable, but never past START_DEADLINE."""
    deadline = time.monotonic() + START_DEADLINE
    for attempt, delay in enumerate((*RETRY_DELAYS, None), start=1):
        if await _try_login(token, attempt, delay, deadline):
            return


async def _try_login(token: str, attempt: int, delay: float | None, deadline: float) -> bool:
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    try:
        await asyncio.wait_for(http.static_login(token), LOGIN_TIMEOUT)
        return True
    except discord.LoginFailure:
        raise StartFailed(
            "Discord rejected the token: copy the bot token again from the Developer Portal into DISCORD_TOKEN",
            EXIT_CONFIG,
        ) from None
    except (aiohttp.ClientError, OSError, TimeoutError, discord.HTTPException) as error:
        reason = type(error).__name__
    finally:
        await http.close()
    if delay is None or time.monotonic() + delay > deadline:
        raise StartFailed(
            f"can't reach Discord at {Route.BASE} after {attempt} attempts ({reason}); "
            "check the network or QABOT_DISCORD_API_BASE"
        )
    log.warning("can't reach Discord (%s); retrying in %.0f s", reason, delay)
    await asyncio.sleep(delay)
    return False


async def _wait_ready(bot: QABot, runner: asyncio.Task[None]) -> None:
    ready = asyncio.create_task(bot.wait_until_ready())
    done, _ = await asyncio.wait({ready, runner}, timeout=START_DEADLINE, return_when=asyncio.FIRST_COMPLETED)
    if ready in done:
        return
    ready.cancel()
    if runner in done:
        error = runner.exception()
        if isinstance(error, discord.PrivilegedIntentsRequired):
            raise StartFailed(
                "Discord refused the Message Content intent: switch it on under Bot -> Privileged Gateway "
                "Intents in the Developer Portal",
                EXIT_CONFIG,
            )
        raise StartFailed(f"the gateway connection failed: {type(error).__name__}: {error}")
    raise StartFailed(f"no gateway connection within {START_DEADLINE:.0f} s; check QABOT_DISCORD_GATEWAY_URL")


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not in the main thread / on Windows
            loop.add_signal_handler(signum, stop.set)
    return stop
