"""qabot source add|list|remove and qabot sync: knowledge kept in sync with where it lives; with
`--collection GUILD_ID` a server collection's sources (no per-server cap here: this is the operator)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from bot.cli.app import EXIT_SKIPPED, cli, core_settings, handle_errors, index_option, knowledge_option
from bot.cli.collections import collection_option, collection_settings, collections_root, discord_settings
from bot.cli.rendering import one_line, sync_lines
from bot.settings import SourcesSettings, load_settings


def services(
    knowledge_dir: Path | None, index_dir: Path | None, guild_id: int | None = None
) -> tuple[Any, Any]:
    """The settings whose folders the sources write into and index (the server's collection's with a
    guild id), and those sources."""
    from bot.wiring import collection_sources, source_service

    settings = collection_settings(guild_id, knowledge_dir=knowledge_dir, index_dir=index_dir)
    sources_settings = load_settings(SourcesSettings)
    if guild_id is None:  # the base's, writing into --knowledge when given
        return settings, source_service(settings, sources_settings)
    scoped = collection_sources(core_settings(), sources_settings, discord_settings().database_path)
    return settings, scoped.of(guild_id, capped=False)


def rebuild(settings, guild_id: int | None):
    """Reindex with a progress bar; a server collection its sources left without an article loses its
    index instead, so the server answers from the base alone (the bot does the same)."""
    from bot.cli.indexing import build_with_progress
    from bot.core.collection_folders import drop_index, holds_article
    from bot.core.indexer import BuildReport

    if guild_id is None or holds_article(settings.knowledge_dir):
        return build_with_progress(settings)
    drop_index(collections_root(core_settings()), guild_id)
    return BuildReport(0, 0, 0, 0, (), 0.0)


@cli.group(name="source")
def source_group() -> None:
    """Websites, git repositories and file URLs whose pages become articles (see `qabot sync`)."""


@source_group.command(name="add")
@click.argument("name")
@click.argument("location")
@click.option("--include", multiple=True, metavar="GLOB", help="Only pages or files matching (repeatable).")
@click.option(
    "--exclude", multiple=True, metavar="GLOB", help="Leave out pages or files matching (repeatable)."
)
@click.option(
    "--kind", type=click.Choice(["website", "git", "file"]), help="Instead of guessing from LOCATION."
)
@click.option("--branch", default="", help="git: the branch (default: the remote's default branch).")
@click.option("--folder", default="", help="git: only files below this folder of the repository.")
@knowledge_option
@collection_option
@handle_errors
def source_add(
    name: str, location: str, include, exclude, kind, branch, folder, knowledge_dir, guild_id
) -> None:
    """Register LOCATION (a site's URL, a git repository's URL or local path, a file's URL) as NAME."""
    _, sources = services(knowledge_dir, None, guild_id)
    source = sources.add(
        name,
        location,
        include=include,
        exclude=exclude,
        kind=kind,
        branch=branch,
        folder=folder,
        local_allowed=True,  # the command line is the machine's operator; Discord never gets this
    )
    again = f"qabot sync {name}" + (f" --collection {guild_id}" if guild_id is not None else "")
    click.echo(f"added {source.name} ({source.kind}) {one_line(source.location)}; fetch it with `{again}`")


@source_group.command(name="list")
@collection_option
@handle_errors
def source_list(guild_id: int | None) -> None:
    """Show the sources (the base's, or a server collection's)."""
    _, sources = services(None, None, guild_id)
    found = sources.all_sources()
    if not found:
        click.echo("no sources; add one with `qabot source add NAME URL`")
    for source in found:
        extra = "".join(
            f" {label} {' '.join(values)}"
            for label, values in (("include", source.include), ("exclude", source.exclude))
            if values
        )
        branch = f" branch {source.branch}" if source.branch else ""
        folder = f" folder {source.folder}" if source.folder else ""
        click.echo(f"{source.name}  {source.kind}  {one_line(source.location)}{branch}{folder}{extra}")


@source_group.command(name="remove")
@click.argument("name")
@knowledge_option
@index_option
@collection_option
@handle_errors
def source_remove(
    name: str, knowledge_dir: Path | None, index_dir: Path | None, guild_id: int | None
) -> None:
    """Forget the source NAME, delete its articles and reindex."""
    from bot.cli.indexing import finish_build

    settings, sources = services(knowledge_dir, index_dir, guild_id)
    sources.remove(name)
    finish_build(rebuild(settings, guild_id), f"removed {name} and its articles; ")


@cli.command()
@click.argument("name", required=False)
@knowledge_option
@index_option
@collection_option
@handle_errors
def sync(name: str | None, knowledge_dir: Path | None, index_dir: Path | None, guild_id: int | None) -> None:
    """Fetch what changed in every source (or NAME), then reindex only the changed pages."""
    from tqdm import tqdm

    settings, sources = services(knowledge_dir, index_dir, guild_id)
    bars: dict[str, Any] = {}

    def progress(source: str, done: int, total: int) -> None:
        bar = bars.get(source)
        if bar is None:
            bar = bars[source] = tqdm(total=total, desc=source, unit="page", disable=None)
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        result = sources.sync_and_reindex(
            lambda: rebuild(settings, guild_id), [name] if name else None, progress
        )
    finally:
        for bar in bars.values():
            bar.close()
    for line in sync_lines(result):
        click.echo(line)
    if any(report.error or report.failed for report in result.reports):
        sys.exit(EXIT_SKIPPED)
