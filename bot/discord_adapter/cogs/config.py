"""/config show|set|reset: a server's own settings, for its moderators; every change is audited.

A server's value wins over the environment's, which wins over the built-in default (bot.guild_settings).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_adapter.errors import NONE
from bot.discord_adapter.render import CONTENT_LIMIT, trim
from bot.guild_settings import SETTINGS, GuildSettings, check_in_server, parse_setting, shown

if TYPE_CHECKING:
    from bot.discord_adapter.client import QABot

SettingName = Literal[
    "moderator-roles",
    "help-channels",
    "threshold",
    "cooldown-rate",
    "cooldown-seconds",
    "private-answers",
    "use-base",
]


def settings_text(settings: GuildSettings) -> str:
    """Each setting, its value, and whether this server set it or it is the default."""
    lines = [
        f"`{name}` = {shown(settings, name)}" + ("" if name in settings.changed else " (default)")
        for name in SETTINGS
    ]
    if settings.hidden_base:  # as many as fit: a server may hide hundreds
        lines.append("Hidden base articles: " + ", ".join(f"`{p}`" for p in sorted(settings.hidden_base)))
    return trim("\n".join(lines), CONTENT_LIMIT - 100)  # room for the line a change puts before it


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Config(commands.GroupCog, group_name="config", group_description="This server's settings"):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await self.bot.moderators_only(interaction, "config", {})

    @app_commands.command(name="show")
    async def show(self, interaction: discord.Interaction) -> None:
        """Show this server's settings (and which are defaults)."""
        settings = await self.bot.guild_configs.get(interaction.guild_id)
        await interaction.response.send_message(
            settings_text(settings), ephemeral=True, allowed_mentions=NONE
        )

    @app_commands.command(name="set")
    @app_commands.describe(
        name="The setting to change",
        value="Roles or channels (mentions or ids, or none), a number, or on/off",
    )
    async def set_setting(self, interaction: discord.Interaction, name: SettingName, value: str) -> None:
        """Change one of this server's settings."""
        assert interaction.guild_id is not None  # guild_only
        args = {"name": name, "value": value}
        try:
            stored = parse_setting(name, value)
            current = await self.bot.guild_configs.get(interaction.guild_id)
            check_in_server(name, stored, interaction.guild_id, current, self.bot.guild_configs.default)
        except Exception as error:
            await self.bot.audit(interaction, "config set", args, f"refused: {error}")
            raise
        await asyncio.to_thread(self.bot.storage.set_guild_setting, interaction.guild_id, name, stored)
        await self.changed(interaction, "config set", args, f"`{name}` set")

    @app_commands.command(name="reset")
    @app_commands.describe(name="The setting to put back to the default (leave out: all of them)")
    async def reset(self, interaction: discord.Interaction, name: SettingName | None = None) -> None:
        """Put one setting (or all) back to the default."""
        assert interaction.guild_id is not None
        count = await asyncio.to_thread(self.bot.storage.reset_guild_setting, interaction.guild_id, name)
        what = f"`{name}`" if name else "every setting"
        await self.changed(interaction, "config reset", {"name": name}, f"{what} reset ({count} changed)")

    async def changed(self, interaction: discord.Interaction, action: str, args: dict, result: str) -> None:
        self.bot.guild_configs.invalidate(interaction.guild_id)
        settings = await self.bot.guild_configs.get(interaction.guild_id)
        await self.bot.audit(interaction, action, args, result)
        await interaction.response.send_message(
            f"{result}.\n{settings_text(settings)}", ephemeral=True, allowed_mentions=NONE
        )


async def setup(bot: QABot) -> None:
    await bot.add_cog(Config(bot))
