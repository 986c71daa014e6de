"""/kb source add|list|remove|sync: moderators manage a collection's knowledge sources.

The commands are a subgroup of the moderation cog's /kb (SourceCommands is mixed into it), so they get
its moderator check, its one-change-at-a-time lock per collection and its audit trail. They pick the
collection exactly as /kb add does (`target`): in a server, that server's own collection (its own source
list, its pages under its collection's `knowledge/sources/<name>/`, its own index rebuilt after a sync);
the operator's base collection with `scope: base`, only in the home servers, where it is the default.
A server may have at most QABOT_MAX_SOURCES_PER_SERVER sources. Fetching and indexing run off the event
loop. From Discord a source must be an http(s) URL: a local repository path is for the machine's
operator on the command line.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands

from bot.core.indexer import BuildReport
from bot.discord_adapter import render
from bot.discord_adapter.errors import NONE
from bot.display import sync_report_lines
from bot.errors import SourceError

if TYPE_CHECKING:
    from bot.discord_adapter.client import QABot
    from bot.sources.registry import Source
    from bot.sources.service import SourceService

log = logging.getLogger(__name__)
ScopeOption = Literal["server", "base"]
SCOPE_HELP = "server: this server's own sources; base: the operator's (home servers only)"


class SourcesMissing(SourceError):
    def __init__(self) -> None:
        super().__init__("sources are not set up on this bot")


def sources_of(bot: QABot, target: int | None) -> SourceService:
    """The base's sources (None) or a server collection's."""
    if bot.sources is None:
        raise SourcesMissing()
    return bot.sources.of(target)


def reindex_of(bot: QABot, target: int | None) -> Callable[[], BuildReport]:
    """How the collection a sync changed is rebuilt (a new generation swapped in; the old one serves
    until then, and stays when the build fails)."""
    return bot.kb.reindex if target is None else functools.partial(bot.collections.rebuild, target)


def sync_summary(result) -> str:
    lines = [line for report in result.reports for line in sync_report_lines(report)]
    if not result.reports:
        lines.append("No sources to sync; add one with `/kb source add`.")
    elif result.build is None:
        lines.append("Nothing changed; the index was kept.")
    else:
        lines.append(render.reindex_summary(result.build, "Reindexed"))
    return render.trim("\n".join(lines), render.CONTENT_LIMIT)


def source_lines(found: list[Source], mark: str = "") -> list[str]:
    return [f"{render.code(s.name)} {s.kind} <{render.trim(s.location, 300)}>{mark}" for s in found]


class SourceCommands:
    """Mixed into the Moderation GroupCog: `self.bot`, `target`, `exclusive` and `failure_audited` are its."""

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
        scope=SCOPE_HELP,
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
        scope: ScopeOption | None = None,
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
            **({"scope": scope} if scope else {}),
        }
        async with self.failure_audited(interaction, "kb source add", args):  # type: ignore[attr-defined]
            target = self.target(interaction, scope, "/kb source add")  # type: ignore[attr-defined]
            added = await asyncio.to_thread(
                sources_of(self.bot, target).add,  # type: ignore[attr-defined]
                name,
                location,
                include=(include,) if include else (),
                exclude=(exclude,) if exclude else (),
                kind=kind,
                branch=branch,
                folder=folder,
                local_allowed=False,
            )
        where = "" if target is None else " to this server's collection"
        text = (
            f"Added source `{added.name}` ({added.kind}){where}. "
            f"Fetch it with `/kb source sync {added.name}`."
        )
        await self.bot.audit(interaction, "kb source add", args, text)  # type: ignore[attr-defined]
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)

    @source.command(name="list")
    @app_commands.describe(scope="server: this server's sources and the base's; base: the operator's only")
    async def source_list(self, interaction: discord.Interaction, scope: ScopeOption | None = None) -> None:
        """Show the knowledge sources (this server's, and the base's every server answers from)."""
        bot: QABot = self.bot  # type: ignore[attr-defined]
        home = interaction.guild_id in bot.discord_settings.home_guilds()
        server = (scope or ("base" if home else "server")) == "server"  # reading the base is harmless
        base = await asyncio.to_thread(sources_of(bot, None).all_sources)
        if server and interaction.guild_id is not None:
            own = await asyncio.to_thread(sources_of(bot, interaction.guild_id).all_sources)
            lines = source_lines(own) or ["This server has no sources yet; add one with `/kb source add`."]
            lines += source_lines(base, " (base)")
        else:
            own = base
            lines = source_lines(base) or ["No sources yet; add one with `/kb source add`."]
        await interaction.response.send_message(
            render.trim("\n".join(lines), render.CONTENT_LIMIT), ephemeral=True, allowed_mentions=NONE
        )
        args = {"scope": scope} if scope else {}
        await bot.audit(interaction, "kb source list", args, f"{len(own)} sources")

    @source.command(name="remove")
    @app_commands.describe(name="The source to forget; its articles are deleted", scope=SCOPE_HELP)
    async def source_remove(
        self, interaction: discord.Interaction, name: str, scope: ScopeOption | None = None
    ) -> None:
        """Forget a source, delete its articles and reindex."""
        bot = self.bot  # type: ignore[attr-defined]
        args = {"name": name, **({"scope": scope} if scope else {})}
        async with self.failure_audited(interaction, "kb source remove", args):  # type: ignore[attr-defined]
            target = self.target(interaction, scope, "/kb source remove")  # type: ignore[attr-defined]
            async with self.exclusive(target):  # type: ignore[attr-defined]
                await interaction.response.defer(thinking=True, ephemeral=True)
                await asyncio.to_thread(sources_of(bot, target).remove, name)
                report = await asyncio.to_thread(reindex_of(bot, target))
        summary = render.reindex_summary(report, f"Removed `{name}` and reindexed")
        await bot.audit(interaction, "kb source remove", args, summary)
        await interaction.followup.send(summary, ephemeral=True, allowed_mentions=NONE)

    @source.command(name="sync")
    @app_commands.describe(name="The source to sync (all of them when left out)", scope=SCOPE_HELP)
    async def source_sync(
        self, interaction: discord.Interaction, name: str | None = None, scope: ScopeOption | None = None
    ) -> None:
        """Fetch what changed in the sources and reindex; questions use the old index meanwhile."""
        bot = self.bot  # type: ignore[attr-defined]
        args = {"name": name, **({"scope": scope} if scope else {})}
        async with self.failure_audited(interaction, "kb source sync", args):  # type: ignore[attr-defined]
            target = self.target(interaction, scope, "/kb source sync")  # type: ignore[attr-defined]
            async with self.exclusive(target):  # type: ignore[attr-defined]
                await interaction.response.defer(thinking=True, ephemeral=True)
                result = await asyncio.to_thread(
                    sources_of(bot, target).sync_and_reindex,
                    reindex_of(bot, target),
                    [name] if name else None,
                )
        summary = sync_summary(result)
        await bot.audit(interaction, "kb source sync", args, summary)
        await interaction.followup.send(summary, ephemeral=True, allowed_mentions=NONE)
