"""qabot index and qabot kb add|remove: building the index and changing the articles."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.cli.app import (
    EXIT_SKIPPED,
    cli,
    handle_errors,
    index_option,
    knowledge_option,
    open_knowledge_base,
)
from bot.cli.collections import collection_option, collection_settings, server_collections
from bot.cli.rendering import one_line, summary_line
from bot.errors import KnowledgeDirMissing, UnknownArticle, UploadRefused


@cli.command()
@knowledge_option
@index_option
@collection_option
@click.option("--full", is_flag=True, help="Re-embed everything instead of only new or changed articles.")
@handle_errors
def index(knowledge_dir: Path | None, index_dir: Path | None, guild_id: int | None, full: bool) -> None:
    """Build or refresh the index from the knowledge directory (or a server's collection)."""
    settings = collection_settings(guild_id, knowledge_dir=knowledge_dir, index_dir=index_dir)
    if not settings.knowledge_dir.is_dir():  # before the model loads: a typo should cost nothing
        raise KnowledgeDirMissing(settings.knowledge_dir)
    finish_build(build_with_progress(settings, full))


def build_with_progress(settings, full: bool = False):
    """Build the index (incrementally unless `full`) with a progress bar; returns the BuildReport."""
    from tqdm import tqdm

    from bot.core.indexer import build_index
    from bot.wiring import open_embedder, open_reranker

    embedder = open_embedder(settings)
    reranker = open_reranker(settings)  # None unless QABOT_RERANK_MODEL is set
    shown = {"stage": ""}
    # Shown from the start: reading and chunking a big knowledge base takes a while before any embedding.
    with tqdm(total=0, unit="", desc="reading", disable=None) as bar:

        def progress(done: int, total: int, stage: str) -> None:
            if shown["stage"] != stage:
                shown["stage"] = stage
                bar.set_description_str(stage, refresh=False)
                bar.unit = "article" if stage == "chunking" else "text"
                bar.reset(total)
            bar.total = total
            bar.n = done
            bar.refresh()

        return build_index(
            settings.knowledge_dir,
            settings.index_dir,
            embedder,
            full=full,
            progress=progress,
            max_article_bytes=settings.max_article_bytes,
            reranker=reranker,
        )


@cli.group(name="kb")
def kb_group() -> None:
    """Add or remove articles, then reindex (the same checks and rollback as /kb in Discord)."""


@kb_group.command(name="add")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--replace", is_flag=True, help="Overwrite an article with the same file name.")
@knowledge_option
@index_option
@collection_option
@handle_errors
def kb_add(
    file: Path, replace: bool, knowledge_dir: Path | None, index_dir: Path | None, guild_id: int | None
) -> None:
    """Copy FILE into the knowledge directory (or a server's collection, started by its first article)
    under a safe name and reindex; put things back if that fails."""
    from bot.core import articles

    settings = collection_settings(guild_id, knowledge_dir=knowledge_dir, index_dir=index_dir)
    if guild_id is None and not settings.knowledge_dir.is_dir():
        raise KnowledgeDirMissing(settings.knowledge_dir)
    limit = settings.max_article_bytes  # a bigger file would be skipped by indexing anyway
    if file.stat().st_size > limit:
        raise UploadRefused(file.name, f"it is {file.stat().st_size:,} bytes; the limit is {limit:,}")
    data = file.read_bytes()
    # Checked before the model loads, so a refused file costs nothing; checked again when it is added.
    if settings.knowledge_dir.is_dir():
        articles.prepare_upload(settings.knowledge_dir, file.name, data, limit, replace)
    if guild_id is None:
        change = articles.add_article(
            open_knowledge_base(settings), file.name, data, limit=limit, replace=replace
        )
    else:
        change = server_collections().add(guild_id, file.name, data, limit=limit, replace=replace)
    finish_build(change.report, f"{'replaced' if change.replaced else 'added'} {one_line(change.path)}; ")


@kb_group.command(name="remove")
@click.argument("name")
@knowledge_option
@index_option
@collection_option
@handle_errors
def kb_remove(name: str, knowledge_dir: Path | None, index_dir: Path | None, guild_id: int | None) -> None:
    """Move the article NAME (its path in the knowledge directory or the server's collection) to .trash/
    and reindex; a collection's last article takes its index with it (the server then uses the base)."""
    from bot.core import articles

    settings = collection_settings(guild_id, knowledge_dir=knowledge_dir, index_dir=index_dir)
    if not articles.trashable(settings.knowledge_dir, name):  # before the model loads
        raise UnknownArticle(name)
    if guild_id is None:
        change = articles.remove_article(open_knowledge_base(settings), name)
    else:
        change = server_collections().remove(guild_id, name)
    if change.trashed is None:  # a server's collection deletes it once reindexed (Collections.remove)
        finish_build(change.report, f"deleted {one_line(name)}; ")
    else:
        where = change.trashed.relative_to(settings.knowledge_dir)
        finish_build(change.report, f"moved {one_line(name)} to {one_line(str(where))}; ")


def finish_build(report, done: str = "") -> None:
    """Print what a build did (and each skipped file); a build that skipped files exits with EXIT_SKIPPED."""
    for skipped in report.skipped:
        click.echo(f"skipped {one_line(skipped.path)}: {one_line(skipped.reason)}", err=True)
    click.echo(done + summary_line(report))
    if report.skipped:
        sys.exit(EXIT_SKIPPED)
