"""qabot source add|list|remove and qabot sync: knowledge kept in sync with where it lives."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from bot.cli.app import EXIT_SKIPPED, cli, core_settings, handle_errors, index_option, knowledge_option
from bot.cli.rendering import one_line, sync_lines
from bot.settings import SourcesSettings, load_settings


def services(knowledge_dir: Path | None, index_dir: Path | None) -> tuple[Any, Any]:
    from bot.wiring import source_service

    settings = core_settings(knowledge_dir=knowledge_dir, index_dir=index_dir)
    return settings, source_service(settings, load_settings(SourcesSettings))


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
@handle_errors
def source_add(name: str, location: str, include, exclude, kind, branch, folder, knowledge_dir) -> None:
    """Register LOCATION (a site's URL, a git repository's URL or local path, a file's URL) as NAME."""
    _, sources = services(knowledge_dir, None)
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
    click.echo(
        f"added {source.name} ({source.kind}) {one_line(source.location)}; fetch it with `qabot sync {name}`"
    )


@source_group.command(name="list")
@handle_errors
def source_list() -> None:
    """Show the sources."""
    _, sources = services(None, None)
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
@handle_errors
def source_remove(name: str, knowledge_dir: Path | None, index_dir: Path | None) -> None:
    """Forget the source NAME, delete its articles and reindex."""
    from bot.cli.indexing import build_with_progress, finish_build

    settings, sources = services(knowledge_dir, index_dir)
    sources.remove(name)
    finish_build(build_with_progress(settings), f"removed {name} and its articles; ")


@cli.command()
@click.argument("name", required=False)
@knowledge_option
@index_option
@handle_errors
def sync(name: str | None, knowledge_dir: Path | None, index_dir: Path | None) -> None:
    """Fetch what changed in every source (or NAME), then reindex only the changed pages."""
    from tqdm import tqdm

    from bot.cli.indexing import build_with_progress

    settings, sources = services(knowledge_dir, index_dir)
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
            lambda: build_with_progress(settings), [name] if name else None, progress
        )
    finally:
        for bar in bars.values():
            bar.close()
    for line in sync_lines(result):
        click.echo(line)
    if any(report.error or report.failed for report in result.reports):
        sys.exit(EXIT_SKIPPED)
