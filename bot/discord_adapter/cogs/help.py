"""/help: what the bot does and how to use it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_adapter.errors import NONE

if TYPE_CHECKING:
    from bot.discord_adapter.client import QABot

HELP = """\
I answer questions about machine-learning frameworks from this server's knowledge base, and I only \
answer from it: when it has nothing on your question, I say so and point to the closest articles.

**Asking**
• `/ask question:` — the answer, its sources and how confident I am. Set `private: True` to see it alone.
• Mention me with your question in any channel I can read.
• Right-click (long-press) a message → *Apps* → **Ask the knowledge base** to answer someone's question.
• In the help channels every new post is a question: I answer in a thread, but only when I'm confident. \
Follow-ups in that thread are answered with the first question as context.

**Under each answer**
👍 / 👎 tell the moderators whether it helped (you can change your vote) · **More sources** shows \
further passages, just to you · **Delete** removes the answer (the asker and moderators can).

**Moderators** (`/kb`, with the moderator role or Manage Server)
`/kb reindex` picks up edited articles · `/kb add` uploads an article (.md, .txt, .rst, .html) · \
`/kb remove` moves one to the trash · `/kb list` pages through them · `/kb stats` shows what was \
asked and what could not be answered.

Please don't ask too many questions at once: there is a short per-person cooldown."""


class Help(commands.Cog):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction) -> None:
        """How to ask questions and what the buttons and moderator commands do."""
        embed = discord.Embed(title="qabot help", description=HELP, colour=discord.Colour.blurple())
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NONE)


async def setup(bot: QABot) -> None:
    await bot.add_cog(Help(bot))
