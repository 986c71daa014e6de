"""/ask and the "Ask the knowledge base" message command."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_adapter.cooldown import ask_check
from bot.discord_adapter.views import answer_reply

if TYPE_CHECKING:
    from bot.discord_adapter.client import QABot

CONTEXT_MENU_NAME = "Ask the knowledge base"


class Ask(commands.Cog):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot
        # Context menus can't be declared inside a cog class, so it is built and registered here.
        self.menu = app_commands.ContextMenu(name=CONTEXT_MENU_NAME, callback=self.ask_about_message)
        app_commands.check(ask_check)(self.menu)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    @app_commands.command(name="ask")
    @app_commands.describe(
        question="What you want to know, e.g. How do I install PyTorch with CUDA?",
        private="Only you see the answer (the server's moderators choose the default)",
    )
    @app_commands.check(ask_check)
    async def ask(self, interaction: discord.Interaction, question: str, private: bool | None = None) -> None:
        """Ask the knowledge base a question about ML frameworks."""
        if private is None:
            private = (await self.bot.guild_configs.get(interaction.guild_id)).private_answers
        # Discord drops interactions not acknowledged within 3 s; answering can take longer under load.
        await interaction.response.defer(thinking=True, ephemeral=private)
        asked = await self.bot.ask(
            question, interaction.user.id, interaction.guild_id, interaction.channel_id
        )
        await interaction.followup.send(
            **answer_reply(asked.answer, asked.question_id, interaction.user.id), ephemeral=private
        )

    async def ask_about_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.defer(thinking=True)
        asked = await self.bot.ask(
            message.content, interaction.user.id, interaction.guild_id, interaction.channel_id
        )
        await interaction.followup.send(**answer_reply(asked.answer, asked.question_id, interaction.user.id))


async def setup(bot: QABot) -> None:
    await bot.add_cog(Ask(bot))
