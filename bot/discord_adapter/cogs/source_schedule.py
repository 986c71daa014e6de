"""The scheduled sync: every QABOT_SYNC_INTERVAL_MINUTES (off when 0) each collection with sources is
synced and, when something changed, rebuilt: the base's, and each server's that this process serves.

Collections go one after another, each off the event loop under its own reindex lock; one that is busy
(a moderator's change or sync) is skipped this round, and one that fails is one log line, never the end
of the round for the others. Servers are synced only by the process that serves them, so shards don't
crawl the same server's sources twice, and a server the bot left is not crawled at all.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from discord.ext import commands, tasks

from bot.discord_adapter.cogs.sources import reindex_of, sources_of
from bot.display import sync_report_lines
from bot.errors import QABotError

if TYPE_CHECKING:
    from bot.discord_adapter.client import QABot

log = logging.getLogger(__name__)


def collection_name(target: int | None) -> str:
    return "base" if target is None else f"server {target}"


class SourceSchedule(commands.Cog):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        if self.bot.sources is not None and self.bot.sync_interval_minutes > 0:
            self.run.change_interval(minutes=self.bot.sync_interval_minutes)
            self.run.start()

    async def cog_unload(self) -> None:
        self.run.cancel()

    @tasks.loop(minutes=60.0)  # replaced from the settings in cog_load
    async def run(self) -> None:
        await self.sync_all()

    @run.before_loop
    async def _first_round_after_one_interval(self) -> None:
        # Not at start-up: a restart loop would otherwise hammer every source's server.
        await asyncio.sleep(self.bot.sync_interval_minutes * 60)

    async def targets(self) -> list[int | None]:
        """The base, then each server with sources whose guild this process serves."""
        if self.bot.sources is None:
            return []
        servers = await asyncio.to_thread(self.bot.sources.servers_with_sources)
        return [None, *(guild_id for guild_id in servers if self.bot.get_guild(guild_id) is not None)]

    async def sync_all(self) -> None:
        """One scheduled round over every collection with sources."""
        for target in await self.targets():
            await self.sync_one(target)

    async def sync_one(self, target: int | None) -> None:
        where = collection_name(target)
        lock = self.bot.reindex_lock_for(target)
        if lock.locked():
            log.info("scheduled sync of the %s collection skipped: a reindex is running", where)
            return
        async with lock:
            try:
                result = await asyncio.to_thread(
                    sources_of(self.bot, target).sync_and_reindex, reindex_of(self.bot, target)
                )
            except QABotError as error:
                log.warning("scheduled sync of the %s collection failed: %s", where, error)
                return
            except Exception:  # never let the round die: the other collections and the next round go on
                log.exception("scheduled sync of the %s collection failed", where)
                return
        for report in result.reports:
            level = logging.WARNING if report.error else logging.INFO
            for line in sync_report_lines(report):
                log.log(level, "scheduled sync of the %s collection: %s", where, line)


async def setup(bot: QABot) -> None:
    await bot.add_cog(SourceSchedule(bot))
