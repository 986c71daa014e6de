"""/kb: moderators reindex, add, remove and list articles, and read the question statistics.

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

from bot.core.indexer import BuildReport
from bot.discord_adapter import render, uploads
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
class Moderation(commands.GroupCog, group_name="kb", group_description="Manage the knowledge base"):
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

    async def reindex(self) -> BuildReport:
        return await asyncio.to_thread(self.bot.kb.reindex)

    async def _audited(self, interaction: discord.Interaction, action: str, args: dict, result: str) -> None:
        await self.bot.audit(interaction, action, args, result)

    @app_commands.command(name="reindex")
    async def reindex_command(self, interaction: discord.Interaction) -> None:
        """Pick up edited articles; questions keep being answered from the old index meanwhile."""
        try:
            async with self.exclusive():
                await interaction.response.defer(thinking=True, ephemeral=True)
                report = await self.reindex()
        except Exception as error:
            await self._audited(interaction, "kb reindex", {}, f"failed: {error}")
            raise
        summary = render.reindex_summary(report)
        await self._audited(interaction, "kb reindex", {}, summary)
        await interaction.followup.send(summary, ephemeral=True, allowed_mentions=NONE)

    @app_commands.command(name="add")
    @app_commands.describe(
        file="A .md, .txt, .rst or .html article", replace="Overwrite an article with the same file name"
    )
    async def add(
        self, interaction: discord.Interaction, file: discord.Attachment, replace: bool = False
    ) -> None:
        """Add an article file to the knowledge base and reindex."""
        args = {"file": file.filename, "size": file.size, "replace": replace}
        try:
            async with self.exclusive():
                await interaction.response.defer(thinking=True, ephemeral=True)
                name, replaced, report = await self._add(file, replace)
        except Exception as error:
            await self._audited(interaction, "kb add", args, f"failed: {error}")
            raise
        summary = render.reindex_summary(
            report, "Replaced and reindexed" if replaced else "Added and reindexed"
        )
        await self._audited(interaction, "kb add", {**args, "saved_as": name}, summary)
        await interaction.followup.send(
            f"Saved as `{name}`.\n{summary}", ephemeral=True, allowed_mentions=NONE
        )

    async def _add(self, file: discord.Attachment, replace: bool) -> tuple[str, bool, BuildReport]:
        limit = self.bot.discord_settings.max_upload_bytes
        if file.size > limit:  # refused before downloading anything
            raise UploadRefused(file.filename, f"it is {file.size:,} bytes; the limit is {limit:,}")
        data = await file.read()
        # Parsing takes time in proportion to the file: off the event loop, like everything after it.
        name, old = await asyncio.to_thread(
            uploads.prepare_upload, self.bot.kb.knowledge_dir, file.filename, data, limit, replace
        )
        target = self.bot.kb.knowledge_dir / name
        await asyncio.to_thread(uploads.write_atomically, target, data)
        try:
            report = await self.reindex()
        except BaseException:  # put the knowledge directory back the way it was
            await asyncio.to_thread(_restore, target, old)
            raise
        return name, old is not None, report

    @app_commands.command(name="remove")
    @app_commands.describe(article="The article to move to the trash (it can be restored from there)")
    async def remove(self, interaction: discord.Interaction, article: str) -> None:
        """Move an article to the trash and reindex."""
        args = {"article": article}
        try:
            async with self.exclusive():
                known = article in {a.path for a in self.bot.kb.articles()}
                # A skipped file (a link, a broken article) is no article but can be removed by name.
                if not known and not uploads.trashable(self.bot.kb.knowledge_dir, article):
                    raise UnknownArticle(article)
                await interaction.response.defer(thinking=True, ephemeral=True)
                trashed = await asyncio.to_thread(uploads.move_to_trash, self.bot.kb.knowledge_dir, article)
                try:
                    report = await self.reindex()
                except BaseException:
                    uploads.restore_from_trash(trashed, self.bot.kb.knowledge_dir, article)
                    raise
        except Exception as error:
            await self._audited(interaction, "kb remove", args, f"failed: {error}")
            raise
        summary = render.reindex_summary(report, "Removed and reindexed")
        await self._audited(interaction, "kb remove", {**args, "trash": trashed.name}, summary)
        await interaction.followup.send(
            f"Moved `{article}` to `{uploads.TRASH_DIR}/{trashed.name}`.\n{summary}",
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
        await self._audited(interaction, "kb list", {}, f"{len(articles)} articles")

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
        await self._audited(interaction, "kb stats", {"days": days}, f"{stats.asked} questions")


def _restore(target, old: bytes | None) -> None:
    if old is None:
        target.unlink(missing_ok=True)
    else:
        uploads.write_atomically(target, old)


def _options(interaction: discord.Interaction) -> dict:
    """The options a refused command was called with, for the audit trail."""
    data = interaction.data or {}
    options = data.get("options") or []
    while options and options[0].get("type") in (1, 2):  # unwrap subcommand (group) levels
        options = options[0].get("options") or []
    return {o["name"]: o.get("value") for o in options}


async def setup(bot: QABot) -> None:
    await bot.add_cog(Moderation(bot))
