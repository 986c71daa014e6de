"""/kb source add|list|remove|sync: moderators manage the knowledge sources, and the scheduled sync.

The commands are a subgroup of the moderation cog's /kb (SourceCommands is mixed into it), so they get
its moderator check, its one-change-at-a-time lock and its audit trail. Sources feed the operator's base
collection, which every server answers from, so changing them is for the home servers only (the rule
of `/kb ... scope: base`); listing them works in any server. Fetching and indexing run off
the event loop. From Discord a source must be an http(s) URL: a local repository path is for the
machine's operator on the command line.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.discord_adapter import render
from bot.discord_adapter.errors import NONE
from bot.display import sync_report_lines
from bot.errors import QABotError, SourceError

if TYPE_CHECKING:
    from bot.discord_adapter.client import QABot
    from bot.sources.service import SourceService

log = logging.getLogger(__name__)


class SourcesMissing(SourceError):
    def __init__(self) -> None:
        super().__init__("sources are not set up on this bot")


def _sources(bot: QABot) -> SourceService:
    if bot.sources is None:
        raise SourcesMissing()
    return bot.sources


def sync_summary(result) -> str:
    lines = [line for report in result.reports for line in sync_report_lines(report)]
    if result.build is None:
        lines.append("Nothing changed; the index was kept.")
    else:
        lines.append(render.reindex_summary(result.build, "Reindexed"))
    return render.trim("\n".join(lines), render.CONTENT_LIMIT)


class SourceCommands:
    """Mixed into the Moderation GroupCog: `self.bot`, `exclusive` and `failure_audited` are its."""

    source = app_commands.Group(
        name="source", description="Websites, git repositories and file URLs kept in sync"
    )

    @source.command(name="add")
    @app_commands.describe(
        name="A short name: lower-case letters, digits, - and _",
        location="The site's, repository's (https) or file's URL",
        include="Only pages or files matching this glob, e.g. guide/*",
        exclude="Leave out pages or files matching this glob",
        kind="What the URL is (guessed when left out)",
        branch="git: the branch (the repository's default when left out)",
        folder="git: only files below this folder, e.g. docs",
    )
    async def source_add(
        self,
        interaction: discord.Interaction,
        name: str,
        location: str,
        include: str | None = None,
        exclude: str | None = None,
        kind: Literal["website", "git", "file"] | None = None,
        branch: str = "",
        folder: str = "",
    ) -> None:
        """Add a website, git repository or file URL as a source (fetched by /kb source sync)."""
        args = {
            "name": name,
            "location": location,
            "include": include,
            "exclude": exclude,
            "kind": kind,
            "branch": branch,
            "folder": folder,
        }
        async with self.failure_audited(interaction, "kb source add", args):  # type: ignore[attr-defined]
            self.target(interaction, "base", "/kb source add")  # type: ignore[attr-defined]
            added = await asyncio.to_thread(
                _sources(self.bot).add,  # type: ignore[attr-defined]
                name,
                location,
                include=(include,) if include else (),
                exclude=(exclude,) if exclude else (),
                kind=kind,
                branch=branch,
                folder=folder,
                local_allowed=False,
            )
        text = f"Added source `{added.name}` ({added.kind}). Fetch it with `/kb source sync {added.name}`."
        await self.bot.audit(interaction, "kb source add", args, text)  # type: ignore[attr-defined]
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)

    @source.command(name="list")
    async def source_list(self, interaction: discord.Interaction) -> None:
        """Show the knowledge sources."""
        found = await asyncio.to_thread(_sources(self.bot).all_sources)  # type: ignore[attr-defined]
        lines = [f"{render.code(s.name)} {s.kind} <{render.trim(s.location, 300)}>" for s in found]
        text = "\n".join(lines) or "No sources yet; add one with `/kb source add`."
        await interaction.response.send_message(
            render.trim(text, render.CONTENT_LIMIT), ephemeral=True, allowed_mentions=NONE
        )
        await self.bot.audit(interaction, "kb source list", {}, f"{len(found)} sources")  # type: ignore[attr-defined]

    @source.command(name="remove")
    @app_commands.describe(name="The source to forget; its articles are deleted")
    async def source_remove(self, interaction: discord.Interaction, name: str) -> None:
        """Forget a source, delete its articles and reindex."""
        bot = self.bot  # type: ignore[attr-defined]
        async with self.failure_audited(interaction, "kb source remove", {"name": name}):  # type: ignore[attr-defined]
            base = self.target(interaction, "base", "/kb source remove")  # type: ignore[attr-defined]
            async with self.exclusive(base):  # type: ignore[attr-defined]
                await interaction.response.defer(thinking=True, ephemeral=True)
                await asyncio.to_thread(_sources(bot).remove, name)
                report = await asyncio.to_thread(bot.kb.reindex)
        summary = render.reindex_summary(report, f"Removed `{name}` and reindexed")
        await bot.audit(interaction, "kb source remove", {"name": name}, summary)
        await interaction.followup.send(summary, ephemeral=True, allowed_mentions=NONE)

    @source.command(name="sync")
    @app_commands.describe(name="The source to sync (all of them when left out)")
    async def source_sync(self, interaction: discord.Interaction, name: str | None = None) -> None:
        """Fetch what changed in the sources and reindex; questions use the old index meanwhile."""
        bot = self.bot  # type: ignore[attr-defined]
        args = {"name": name}
        async with self.failure_audited(interaction, "kb source sync", args):  # type: ignore[attr-defined]
            base = self.target(interaction, "base", "/kb source sync")  # type: ignore[attr-defined]
            async with self.exclusive(base):  # type: ignore[attr-defined]
                await interaction.response.defer(thinking=True, ephemeral=True)
                result = await asyncio.to_thread(
                    _sources(bot).sync_and_reindex, bot.kb.reindex, [name] if name else None
                )
        summary = sync_summary(result)
        await bot.audit(interaction, "kb source sync", args, summary)
        await interaction.followup.send(summary, ephemeral=True, allowed_mentions=NONE)


class SourceSchedule(commands.Cog):
    """Syncs every source every QABOT_SYNC_INTERVAL_MINUTES (off when 0), skipping a round while a
    moderator's change or another sync holds the reindex lock."""

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

    async def sync_all(self) -> None:
        """One scheduled round: every source synced and the index rebuilt when something changed."""
        if self.bot.reindex_lock.locked():
            log.info("scheduled sync skipped: a reindex is running")
            return
        async with self.bot.reindex_lock:
            try:
                result = await asyncio.to_thread(_sources(self.bot).sync_and_reindex, self.bot.kb.reindex)
            except QABotError as error:
                log.warning("scheduled sync failed: %s", error)
                return
            except Exception:  # never let the loop die: the next round may well succeed
                log.exception("scheduled sync failed")
                return
        for report in result.reports:
            for line in sync_report_lines(report):
                log.info("scheduled sync: %s", line)


async def setup(bot: QABot) -> None:
    await bot.add_cog(SourceSchedule(bot))
