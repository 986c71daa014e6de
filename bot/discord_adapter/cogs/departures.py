"""Servers the bot leaves: their data is kept for the retention period (QABOT_RETENTION_DAYS), in case
the bot is invited back, then deleted by the retention purge (client.py); rejoining keeps it."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

if TYPE_CHECKING:
    from bot.discord_adapter.client import QABot

log = logging.getLogger(__name__)


class Departures(commands.Cog):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await asyncio.to_thread(self.bot.storage.guild_left, guild.id)
        self.bot.collections.evict(guild.id)
        log.info("left server %s; its data is deleted in %d days", guild.id, self.bot.storage.retention_days)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await asyncio.to_thread(self.bot.storage.guild_joined, guild.id)


async def setup(bot: QABot) -> None:
    await bot.add_cog(Departures(bot))
