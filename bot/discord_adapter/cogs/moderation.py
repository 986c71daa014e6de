"""/kb: moderators reindex, add, remove, restore and list articles, read the question statistics, and
manage a collection's knowledge sources (/kb source, in cogs/sources.py, by the same rule of scope).

Each command acts on the server's own collection, for that server's moderators (its /config roles, else
the environment's, or Manage Server). The operator's base collection is changed with `scope: base`, only
in the home servers (QABOT_HOME_GUILD_IDS, else the development guild), where it is also the default.
Elsewhere, removing a base article hides it in that server only; /kb restore shows it again.

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
from bot.core.quota import usage_line
from bot.discord_adapter import render
from bot.discord_adapter.cogs.sources import ScopeOption, SourceCommands
from bot.discord_adapter.errors import NONE
from bot.discord_adapter.views import article_page
from bot.errors import (
    BaseCollectionRefused,
    IndexBusy,
    QuotaExceeded,
    SourceRefused,
    TooManySources,
    UnknownArticle,
    UploadRefused,
)

if TYPE_CHECKING:
    from bot.discord_adapter.client import QABot

log = logging.getLogger(__name__)
PERIODS = {1: "the last 24 hours", 7: "the last 7 days", 30: "the last 30 days", 0: "all kept history"}
AUTOCOMPLETE_LIMIT = 25  # Discord shows at most 25 choices
SCOPE_HELP = "server: this server's own collection; base: the operator's (home servers only)"


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Moderation(
    SourceCommands, commands.GroupCog, group_name="kb", group_description="Manage the knowledge base"
):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await self.bot.moderators_only(interaction, "kb", _options(interaction))

    def target(self, interaction: discord.Interaction, scope: ScopeOption | None, action: str) -> int | None:
        """The collection a change acts on: None for the base, else the server's id. The base only from
        a home server (where it is the default); anywhere else the server's own collection."""
        home = interaction.guild_id in self.bot.discord_settings.home_guilds()
        if (scope or ("base" if home else "server")) == "server":
            assert interaction.guild_id is not None  # guild_only
            return interaction.guild_id
        if not home:
            raise BaseCollectionRefused(action)
        return None

    @contextlib.asynccontextmanager
    async def exclusive(self, target: int | None) -> AsyncIterator[None]:
        """One change of a collection at a time; a second one is refused at once rather than queued."""
        lock = self.bot.reindex_lock_for(target)
        if lock.locked():
            raise IndexBusy()
        async with lock:
            yield

    @contextlib.asynccontextmanager
    async def failure_audited(
        self, interaction: discord.Interaction, action: str, args: dict
    ) -> AsyncIterator[None]:
        """A command that fails (or is refused) is written to the audit trail too; the error then goes on
        to the one error handler, which tells the moderator."""
        try:
            yield
        except Exception as error:
            refused = isinstance(
                error, BaseCollectionRefused | SourceRefused | TooManySources | QuotaExceeded
            )
            outcome = "refused" if refused else "failed"
            await self.bot.audit(interaction, action, args, f"{outcome}: {error}")
            raise

    @app_commands.command(name="reindex")
    @app_commands.describe(scope=SCOPE_HELP)
    async def reindex_command(
        self, interaction: discord.Interaction, scope: ScopeOption | None = None
    ) -> None:
        """Pick up edited articles; questions keep being answered from the old index meanwhile."""
        args = {"scope": scope} if scope else {}
        async with self.failure_audited(interaction, "kb reindex", args):
            target = self.target(interaction, scope, "/kb reindex")
            async with self.exclusive(target):
                await interaction.response.defer(thinking=True, ephemeral=True)
                if target is None:
                    report = await asyncio.to_thread(self.bot.kb.reindex)
                else:
                    report = await asyncio.to_thread(self.bot.collections.reindex, target)
        summary = render.reindex_summary(report)
        await self.bot.audit(interaction, "kb reindex", args, summary)
        await interaction.followup.send(summary, ephemeral=True, allowed_mentions=NONE)

    @app_commands.command(name="add")
    @app_commands.describe(
        file="An article: .md, .mdx, .txt, .rst, .html, .ipynb or .pdf",
        replace="Overwrite an article with the same file name",
        scope=SCOPE_HELP,
    )
    async def add(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment,
        replace: bool = False,
        scope: ScopeOption | None = None,
    ) -> None:
        """Add an article file to the knowledge base and reindex."""
        args = {
            "file": file.filename,
            "size": file.size,
            "replace": replace,
            **({"scope": scope} if scope else {}),
        }
        limit = self.bot.discord_settings.max_upload_bytes
        async with self.failure_audited(interaction, "kb add", args):
            target = self.target(interaction, scope, "/kb add")
            async with self.exclusive(target):
                await interaction.response.defer(thinking=True, ephemeral=True)
                if file.size > limit:  # refused before downloading anything
                    raise UploadRefused(file.filename, f"it is {file.size:,} bytes; the limit is {limit:,}")
                data = await file.read()
                # Checking parses the file, in time proportional to it: off the event loop, like the reindex.
                if target is None:
                    change = await asyncio.to_thread(
                        articles.add_article, self.bot.kb, file.filename, data, limit=limit, replace=replace
                    )
                else:
                    change = await asyncio.to_thread(
                        self.bot.collections.add, target, file.filename, data, limit=limit, replace=replace
                    )
        summary = render.reindex_summary(
            change.report, "Replaced and reindexed" if change.replaced else "Added and reindexed"
        )
        await self.bot.audit(interaction, "kb add", {**args, "saved_as": change.path}, summary)
        await interaction.followup.send(
            f"Saved as `{change.path}`.\n{summary}", ephemeral=True, allowed_mentions=NONE
        )

    @app_commands.command(name="remove")
    @app_commands.describe(
        article="The article to move to the trash (it can be restored from there)", scope=SCOPE_HELP
    )
    async def remove(
        self, interaction: discord.Interaction, article: str, scope: ScopeOption | None = None
    ) -> None:
        """Move an article to the trash and reindex (a base article: hide it in this server only)."""
        args = {"article": article, **({"scope": scope} if scope else {})}
        async with self.failure_audited(interaction, "kb remove", args):
            target = self.target(interaction, scope, "/kb remove")
            if target is None:
                await self.remove_from_base(interaction, article, args)
            elif articles.trashable(self.bot.collections.knowledge_dir(target), article):
                await self.remove_from_server(interaction, target, article, args)
            elif article in {a.path for a in self.bot.kb.articles()}:
                await self.hide_base_article(interaction, target, article, args)
            else:  # answered at once, not deferred
                raise UnknownArticle(article)

    async def remove_from_base(self, interaction: discord.Interaction, article: str, args: dict) -> None:
        async with self.exclusive(None):
            if not articles.trashable(self.bot.kb.knowledge_dir, article):
                raise UnknownArticle(article)
            await interaction.response.defer(thinking=True, ephemeral=True)
            change = await asyncio.to_thread(articles.remove_article, self.bot.kb, article)
        await self.report_removal(interaction, change, article, args)

    async def remove_from_server(
        self, interaction: discord.Interaction, target: int, article: str, args: dict
    ) -> None:
        async with self.exclusive(target):
            await interaction.response.defer(thinking=True, ephemeral=True)
            change = await asyncio.to_thread(self.bot.collections.remove, target, article)
        await self.report_removal(interaction, change, article, args)

    async def report_removal(
        self, interaction: discord.Interaction, change: articles.ArticleChange, article: str, args: dict
    ) -> None:
        summary = render.reindex_summary(change.report, "Removed and reindexed")
        if change.trashed is None:  # a server's collection: deleted once reindexed (Collections.remove)
            await self.bot.audit(interaction, "kb remove", args, summary)
            done = f"Deleted `{article}` from this server's collection."
        else:
            await self.bot.audit(interaction, "kb remove", {**args, "trash": change.trashed.name}, summary)
            done = f"Moved `{article}` to `{articles.TRASH_DIR}/{change.trashed.name}`."
        await interaction.followup.send(f"{done}\n{summary}", ephemeral=True, allowed_mentions=NONE)

    async def hide_base_article(
        self, interaction: discord.Interaction, target: int, article: str, args: dict
    ) -> None:
        """A base article removed in a server other than a home server: hidden there, kept everywhere else."""
        await asyncio.to_thread(self.bot.storage.hide_article, target, article)
        self.bot.guild_configs.invalidate(target)
        await self.bot.audit(interaction, "kb remove", {**args, "hidden": True}, "hidden in this server")
        await interaction.response.send_message(
            f"`{article}` is a base article: it is now hidden in this server only (other servers still "
            f"answer from it). `/kb restore {article}` shows it again.",
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @app_commands.command(name="restore")
    @app_commands.describe(article="A base article this server hid")
    async def restore(self, interaction: discord.Interaction, article: str) -> None:
        """Show a base article this server hid again."""
        assert interaction.guild_id is not None  # guild_only
        shown = await asyncio.to_thread(self.bot.storage.unhide_article, interaction.guild_id, article)
        self.bot.guild_configs.invalidate(interaction.guild_id)
        result = "shown again" if shown else "was not hidden"
        await self.bot.audit(interaction, "kb restore", {"article": article}, result)
        name = render.code(render.trim(article, 200))  # any text may be typed here, thousands of characters
        text = f"{name} is answered from again in this server." if shown else f"{name} was not hidden here."
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)

    @remove.autocomplete("article")
    async def article_autocomplete(self, interaction: discord.Interaction, current: str):
        if not await self.bot.is_moderator_here(interaction):
            return []
        wanted = current.casefold()
        guild_id = interaction.guild_id
        home = guild_id in self.bot.discord_settings.home_guilds()
        own = [] if home or guild_id is None else await asyncio.to_thread(self.bot.server_articles, guild_id)
        return [
            app_commands.Choice(name=render.trim(f"{a.title} ({a.path})", 100), value=a.path)
            for a in [*own, *self.bot.kb.articles()]
            if wanted in a.title.casefold() or wanted in a.path.casefold()
        ][:AUTOCOMPLETE_LIMIT]

    @app_commands.command(name="list")
    @app_commands.describe(scope="server: this server's own collection; base: the operator's")
    async def list_articles(self, interaction: discord.Interaction, scope: ScopeOption | None = None) -> None:
        """Page through the articles in the knowledge base."""
        home = interaction.guild_id in self.bot.discord_settings.home_guilds()
        server = (scope or ("base" if home else "server")) == "server"  # reading the base is harmless
        usage = None
        if server and interaction.guild_id is not None:
            found = await asyncio.to_thread(self.bot.server_articles, interaction.guild_id)
            usage = await asyncio.to_thread(self.quota_usage, interaction.guild_id)
        else:
            found = self.bot.kb.articles()
        page = article_page(found, 0, server)
        await interaction.response.send_message(content=usage, **page, ephemeral=True)
        args = {"scope": scope} if scope else {}
        await self.bot.audit(interaction, "kb list", args, f"{len(found)} articles")

    def quota_usage(self, guild_id: int) -> str | None:
        """One line: what the server's collection holds against its quota (None without a quota).
        Walks its folder: call it off the event loop."""
        quota = self.bot.collections.quota
        if quota is None:
            return None
        return f"Quota: {usage_line(quota, self.bot.collections.usage(guild_id))}."

    @app_commands.command(name="stats")
    @app_commands.describe(period="How far back to count")
    @app_commands.choices(
        period=[app_commands.Choice(name=label, value=days) for days, label in PERIODS.items()]
    )
    async def stats(
        self, interaction: discord.Interaction, period: app_commands.Choice[int] | None = None
    ) -> None:
        """Questions asked, share answered, feedback, and the questions nobody could answer (this server)."""
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
