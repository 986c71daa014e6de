"""qabot eval."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click

from bot.cli.app import (
    cli,
    core_settings,
    handle_errors,
    open_knowledge_base,
)
from bot.cli.collections import collection_option, collection_settings
from bot.cli.rendering import eval_lines
from bot.errors import ConfigError


@cli.command(name="eval")
@click.option("--corpus", type=click.Path(path_type=Path), default=None, help="Directory of articles.")
@collection_option
@click.option("--questions", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--unanswerable", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option("--threshold", type=click.FloatRange(0, 1), default=None, help="Override the answer threshold.")
@click.option(
    "--index",
    "index_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Keep the corpus's index here and reuse it next time (default: a temporary one).",
)
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def evaluate_command(
    corpus: Path | None,
    guild_id: int | None,
    questions: Path,
    unanswerable: Path | None,
    threshold: float | None,
    index_dir: Path | None,
    as_json: bool,
) -> None:
    """Index CORPUS (or a server's collection, --collection) and score retrieval, answers, abstention and
    latency (per section when the questions name one)."""
    from bot.core.evaluation import evaluate, read_questions

    if (corpus is None) == (guild_id is None):
        raise ConfigError("give either --corpus DIR or --collection GUILD_ID")
    if guild_id is not None:  # the collection's own folders; its index is kept where the bot reads it
        server = collection_settings(guild_id)
        corpus, index_dir = server.knowledge_dir, index_dir or server.index_dir

    asked = read_questions(questions)
    refused = read_questions(unanswerable) if unanswerable else []
    with tempfile.TemporaryDirectory(prefix="qabot-eval-") as scratch:
        # --threshold overrides whichever threshold is in force (the re-ranker has its own).
        settings = core_settings(
            knowledge_dir=corpus,
            index_dir=index_dir or Path(scratch),
            threshold=threshold,
            rerank_threshold=threshold,
        )
        report = evaluate(open_knowledge_base(settings), asked, refused)
    if as_json:
        from dataclasses import asdict

        click.echo(json.dumps(asdict(report)))
        return
    for line in eval_lines(report):
        click.echo(line)
