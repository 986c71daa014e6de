"""/help: what the bot does and how to use it, with the commands listed from the command tree itself, so
a new or renamed command shows up here without anyone remembering to edit a list."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_adapter.errors import NONE

if TYPE_CHECKING:
    from bot.discord_adapter.client import QABot

INTRO = """\
I answer questions about machine-learning frameworks from this server's knowledge base, and I only \
answer from it: when it has nothing on your question, I say so and point to the closest articles."""

# Ways of asking that are not commands, so the tree can't describe them.
BY_MESSAGE = """\
• Mention me with your question in any channel I can read.
• In the help channels every new post is a question: I answer in a thread, but only when I'm confident. \
Follow-ups in that thread are answered with the first question as context."""

BUTTONS = """\
**Under each answer**
👍 / 👎 tell the moderators whether it helped (you can change your vote) · **More sources** shows \
further passages, just to you · **Delete** removes the answer (the asker and moderators can)."""

COOLDOWN = "Please don't ask too many questions at once: there is a short per-person cooldown, shared by \
every way of asking."


def usage(command: app_commands.Command) -> str:
    """`/ask question: [private:]`: required options bare, optional ones in brackets."""
    options = [f"{p.name}:" if p.required else f"[{p.name}:]" for p in command.parameters]
    return "`" + " ".join([f"/{command.qualified_name}", *options]) + "`"


def help_text(tree: app_commands.CommandTree) -> str:
    """The help page for the global commands of `tree`: everyone's commands and message commands under
    "Asking", a group hidden by default permissions under "Moderators"."""
    asking: list[str] = []
    moderators: list[str] = []
    for command in sorted(tree.get_commands(), key=lambda c: c.name):
        if isinstance(command, app_commands.ContextMenu):
            asking.append(f"• Right-click (long-press) a message → *Apps* → **{command.name}**.")
        elif isinstance(command, app_commands.Group):
            lines = [f"*{command.description}*"] + [  # a group's own description heads its commands
                f"• {usage(sub)} — {sub.description}"
                for sub in command.walk_commands()
                if isinstance(sub, app_commands.Command)
            ]
            (moderators if command.default_permissions is not None else asking).extend(lines)
        elif command.name != "help":
            asking.append(f"• {usage(command)} — {command.description}")
    sections = [INTRO, "**Asking**\n" + "\n".join([*asking, BY_MESSAGE]), BUTTONS]
    if moderators:
        sections.append("**Moderators** (with the moderator role or Manage Server)\n" + "\n".join(moderators))
    sections.append(COOLDOWN)
    return "\n\n".join(sections)


class Help(commands.Cog):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction) -> None:
        """How to ask questions and what the buttons and moderator commands do."""
        embed = discord.Embed(
            title="qabot help", description=help_text(self.bot.tree), colour=discord.Colour.blurple()
        )
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NONE)


async def setup(bot: QABot) -> None:
    await bot.add_cog(Help(bot))
