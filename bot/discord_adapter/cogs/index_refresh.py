"""Pick up an index generation another process built (another shard's /kb add, or `qabot index`).

Every few seconds the KnowledgeBase (and each loaded server collection) compares the index directory's CURRENT file (a few bytes) with the
generation it serves and swaps in the new one when they differ; questions keep the old one until then.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from discord.ext import commands, tasks

from bot.errors import QABotError

if TYPE_CHECKING:
    from bot.discord_adapter.client import QABot

log = logging.getLogger(__name__)


class IndexRefresh(commands.Cog):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.poll.change_interval(seconds=self.bot.discord_settings.index_poll_seconds)
        self.poll.start()

    async def cog_unload(self) -> None:
        self.poll.cancel()

    @tasks.loop(seconds=5.0)  # the interval is replaced from the settings in cog_load
    async def poll(self) -> None:
        await self.refresh_collections()
        if self.bot.reindex_lock.locked():  # our own reindex swaps in what it builds
            return
        kb = self.bot.kb
        try:
            swapped = await asyncio.to_thread(kb.refresh)
        except QABotError as error:  # e.g. a damaged generation: keep serving the one we have
            log.warning("can't load the index in %s, still serving the previous one: %s", kb.index_dir, error)
            return
        except Exception:  # never let the loop die: the next check may well succeed
            log.exception("checking %s for a new index failed", kb.index_dir)
            return
        if swapped:
            log.info("picked up index generation %s from %s", kb.generation, kb.index_dir)

    async def refresh_collections(self) -> None:
        """Servers' collections another process changed; one not loaded is read fresh when next used."""
        try:
            changed = await asyncio.to_thread(self.bot.collections.refresh)
        except Exception:  # never let the loop die
            log.exception("checking the servers' collections for new indexes failed")
            return
        for guild_id in changed:
            log.info("picked up a change to the collection of server %s", guild_id)


async def setup(bot: QABot) -> None:
    await bot.add_cog(IndexRefresh(bot))
