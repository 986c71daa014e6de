"""qabot collections [delete], and the --collection option of index, ask and eval: servers' collections
from the command line (the operator's tools; Discord moderators use /kb in their server)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import click

from bot.cli.app import cli, core_settings, handle_errors
from bot.cli.rendering import size_text
from bot.errors import ConfigError
from bot.settings import CoreSettings, DiscordSettings, load_settings

# A Discord id: positive, and within SQLite's integers (a larger one was a traceback from the database).
GUILD_ID = click.IntRange(min=1, max=2**63 - 1)
collection_option = click.option(
    "--collection",
    "guild_id",
    type=GUILD_ID,
    default=None,
    help="A server's collection (its Discord guild id) instead of the base.",
)


def discord_settings() -> DiscordSettings:
    return load_settings(DiscordSettings)


def collections_root(core: CoreSettings) -> Path:
    from bot.wiring import collections_root as root_of

    return root_of(core, discord_settings().database_path)


def collection_settings(guild_id: int | None, **overrides: Any) -> CoreSettings:
    """Settings whose knowledge and index folders are the server's collection (the base's without one)."""
    settings = core_settings(**overrides)
    if guild_id is None:
        return settings
    from bot.core.collection_folders import collection_dirs

    if overrides.get("knowledge_dir") or overrides.get("index_dir"):
        raise ConfigError("--collection names the folders itself; leave out --knowledge and --index")
    knowledge, index = collection_dirs(collections_root(settings), guild_id)
    return settings.model_copy(update={"knowledge_dir": knowledge, "index_dir": index})


def server_collections():
    """The servers' collections around the base's models (the base's index is not loaded: a change to a
    server's collection needs only the embedder). Without a quota: the command line is the operator's."""
    from bot.core.collections import Collections
    from bot.wiring import MB, knowledge_base

    core = core_settings()
    return Collections(knowledge_base(core), collections_root(core), core.collections_memory_mb * MB)


def server_scope(core: CoreSettings, guild_id: int):
    """How the server answers (its use-base, threshold and hidden base articles from /config), read from
    the bot's database when there is one; else the defaults."""
    from bot.core.collections import Scope
    from bot.guild_settings import resolve
    from bot.storage import Storage

    settings = discord_settings()
    if not settings.database_path.is_file():
        return Scope(guild_id)
    storage = Storage(settings.database_path, "", settings.retention_days)  # reads only: no salt needed
    try:
        guild = resolve(storage.guild_settings(guild_id), storage.hidden_articles(guild_id), core, settings)
    finally:
        storage.close()
    threshold = guild.threshold if "threshold" in guild.changed else None
    return Scope(guild_id, guild.use_base, guild.hidden_base, threshold)


@cli.group(name="collections", invoke_without_command=True)
@click.pass_context
@handle_errors
def collections_group(context: click.Context) -> None:
    """List the servers' collections with their sizes (`delete` removes one and the server's data)."""
    if context.invoked_subcommand is not None:
        return
    from bot.core.collection_folders import describe_collections

    root = collections_root(core_settings())
    found = describe_collections(root)
    if not found:
        click.echo(f"no server collections in {root}")
        return
    click.echo(f"{'server':>20}  {'articles':>8}  {'passages':>8}  {'on disk':>9}")
    for info in found:
        click.echo(
            f"{info.guild_id:>20}  {info.articles:>8}  {info.passages:>8}  {size_text(info.disk_bytes):>9}"
        )
    total = sum(info.disk_bytes for info in found)
    click.echo(f"{len(found)} collections, {size_text(total)} in {root}")


@collections_group.command(name="delete")
@click.argument("guild_id", type=GUILD_ID)
@click.option("--yes", is_flag=True, help="Don't ask for confirmation.")
@handle_errors
def delete_command(guild_id: int, yes: bool) -> None:
    """Delete GUILD_ID's collection and every row of that server (settings, questions, votes, audit) now,
    instead of a retention period after the bot left it."""
    from bot.core.collection_folders import delete_collection
    from bot.guild_data import forget_guild
    from bot.storage import Storage

    if not yes:
        click.confirm(f"Delete everything qabot keeps for server {guild_id}?", abort=True)
    settings = discord_settings()
    root = collections_root(core_settings())
    storage = Storage(settings.database_path, "", settings.retention_days)  # deletes only: no salt needed
    try:
        deleted = forget_guild(storage, functools.partial(delete_collection, root), guild_id)
    finally:
        storage.close()
    rows = sum(count for table, count in deleted.items() if table != "collection")
    where = "its collection and " if deleted["collection"] else "no collection; "
    click.echo(f"server {guild_id}: deleted {where}{rows} database rows")
