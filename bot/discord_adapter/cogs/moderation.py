"""/kb: moderators reindex, add, remove and list articles, read the question statistics, and manage the
knowledge sources (/kb source, in cogs/sources.py).

Hidden from everyone else with default_permissions, and enforced in interaction_check, because server
admins can override the default and Discord's hiding is no security boundary.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import articles
from bot.discord_adapter import render
from bot.discord_adapter.cogs.sources import SourceCommands
from bot.discord_adapter.errors import NONE, NotModerator
from bot.discord_adapter.views import article_page
from bot.errors import IndexBusy, UnknownArticle, UploadRefused

if TYPE_CHECKING:
    from bot.discord_adapter.client import QABot

log = logging.getLogger(__name__)
PERIODS = {1: "the last 24 hours", 7: "the last 7 days", 30: "the last 30 days", 0: "all kept history"}
AUTOCOMPLETE_LIMIT = 25  # Discord shows at most 25 choices


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Moderation(
    SourceCommands, commands.GroupCog, group_name="kb", group_description="Manage the knowledge base"
):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if self.bot.is_moderator(interaction.user, interaction.permissions):
            return True
        command = interaction.command.qualified_name if interaction.command else "kb"
        await self.bot.audit(interaction, command, _options(interaction), "refused: not a moderator")
        raise NotModerator()

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """One index change at a time; a second one is refused at once rather than queued."""
        if self.bot.reindex_lock.locked():
            raise IndexBusy()
        async with self.bot.reindex_lock:
            yield

    @contextlib.asynccontextmanager
    async def failure_audited(
        self, interaction: discord.Interaction, action: str, args: dict
    ) -> AsyncIterator[None]:
        """A command that fails is written to the audit trail too; the error then goes on to the one
        error handler, which tells the moderator."""
        try:
            yield
        except Exception as error:
            await self.bot.audit(interaction, action, args, f"failed: {error}")
            raise

    @app_commands.command(name="reindex")
    async def reindex_command(self, interaction: discord.Interaction) -> None:
        """Pick up edited articles; questions keep being answered from the old index meanwhile."""
        async with self.failure_audited(interaction, "kb reindex", {}), self.exclusive():
            await interaction.response.defer(thinking=True, ephemeral=True)
            report = await asyncio.to_thread(self.bot.kb.reindex)
        summary = render.reindex_summary(report)
        await self.bot.audit(interaction, "kb reindex", {}, summary)
        await interaction.followup.send(summary, ephemeral=True, allowed_mentions=NONE)

    @app_commands.command(name="add")
    @app_commands.describe(
        file="An article: .md, .mdx, .txt, .rst, .html, .ipynb or .pdf",
        replace="Overwrite an article with the same file name",
    )
    async def add(
        self, interaction: discord.Interaction, file: discord.Attachment, replace: bool = False
    ) -> None:
        """Add an article file to the knowledge base and reindex."""
        args = {"file": file.filename, "size": file.size, "replace": replace}
        limit = self.bot.discord_settings.max_upload_bytes
        async with self.failure_audited(interaction, "kb add", args), self.exclusive():
            await interaction.response.defer(thinking=True, ephemeral=True)
            if file.size > limit:  # refused before downloading anything
                raise UploadRefused(file.filename, f"it is {file.size:,} bytes; the limit is {limit:,}")
            data = await file.read()
            # Checking parses the file, in time proportional to it: off the event loop, like the reindex.
            change = await asyncio.to_thread(
                articles.add_article, self.bot.kb, file.filename, data, limit=limit, replace=replace
            )
        summary = render.reindex_summary(
            change.report, "Replaced and reindexed" if change.replaced else "Added and reindexed"
        )
        await self.bot.audit(interaction, "kb add", {**args, "saved_as": change.path}, summary)
        await interaction.followup.send(
            f"Saved as `{change.path}`.\n{summary}", ephemeral=True, allowed_mentions=NONE
        )

    @app_commands.command(name="remove")
    @app_commands.describe(article="The article to move to the trash (it can be restored from there)")
    async def remove(self, interaction: discord.Interaction, article: str) -> None:
        """Move an article to the trash and reindex."""
        args = {"article": article}
        async with self.failure_audited(interaction, "kb remove", args), self.exclusive():
            if not articles.trashable(self.bot.kb.knowledge_dir, article):  # answered at once, not deferred
                raise UnknownArticle(article)
            await interaction.response.defer(thinking=True, ephemeral=True)
            change = await asyncio.to_thread(articles.remove_article, self.bot.kb, article)
        trashed = change.trashed.name if change.trashed else "?"
        summary = render.reindex_summary(change.report, "Removed and reindexed")
        await self.bot.audit(interaction, "kb remove", {**args, "trash": trashed}, summary)
        await interaction.followup.send(
            f"Moved `{article}` to `{articles.TRASH_DIR}/{trashed}`.\n{summary}",
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @remove.autocomplete("article")
    async def article_autocomplete(self, interaction: discord.Interaction, current: str):
        if not self.bot.is_moderator(interaction.user, interaction.permissions):
            return []
        wanted = current.casefold()
        return [
            app_commands.Choice(name=render.trim(f"{a.title} ({a.path})", 100), value=a.path)
            for a in self.bot.kb.articles()
            if wanted in a.title.casefold() or wanted in a.path.casefold()
        ][:AUTOCOMPLETE_LIMIT]

    @app_commands.command(name="list")
    async def list_articles(self, interaction: discord.Interaction) -> None:
        """Page through the articles in the knowledge base."""
        articles = self.bot.kb.articles()
        await interaction.response.send_message(**article_page(articles, 0), ephemeral=True)
        await self.bot.audit(interaction, "kb list", {}, f"{len(articles)} articles")

    @app_commands.command(name="stats")
    @app_commands.describe(period="How far back to count")
    @app_commands.choices(
        period=[app_commands.Choice(name=label, value=days) for days, label in PERIODS.items()]
    )
    async def stats(
        self, interaction: discord.Interaction, period: app_commands.Choice[int] | None = None
    ) -> None:
        """Questions asked, share answered, feedback, and the questions nobody could answer."""
        days = period.value if period is not None else 7
        await interaction.response.defer(thinking=True, ephemeral=True)
        stats = await asyncio.to_thread(self.bot.storage.stats, days or None, interaction.guild_id)
        await interaction.followup.send(embed=render.stats_embed(stats, PERIODS[days]), ephemeral=True)
        await self.bot.audit(interaction, "kb stats", {"days": days}, f"{stats.asked} questions")


def _options(interaction: discord.Interaction) -> dict:
    """The options a refused command was called with, for the audit trail."""
    data = interaction.data or {}
    options = data.get("options") or []
    while options and options[0].get("type") in (1, 2):  # unwrap subcommand (group) levels
        options = options[0].get("options") or []
    return {o["name"]: o.get("value") for o in options}


async def setup(bot: QABot) -> None:
    await bot.add_cog(Moderation(bot))
