"""qabot ask and qabot chat."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

import click

from bot.cli.app import (
    EXIT_ERROR,
    cli,
    core_settings,
    handle_errors,
    index_option,
    knowledge_option,
    open_knowledge_base,
)
from bot.cli.collections import collection_option, collections_root, server_scope
from bot.cli.rendering import format_answer, render_answer
from bot.errors import QABotError


@cli.command()
@click.argument("question")
@knowledge_option
@index_option
@collection_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per question.")
@click.option(
    "-k", "top_k", type=click.IntRange(1, 50), default=None, help="Passages to retrieve (default 5)."
)
@handle_errors
def ask(
    question: str,
    knowledge_dir: Path | None,
    index_dir: Path | None,
    guild_id: int | None,
    as_json: bool,
    top_k: int | None,
) -> None:
    """Answer QUESTION ("-" reads one question per line from standard input); with --collection, as that
    server would: from its collection and the base, with its /config settings."""
    settings = core_settings(knowledge_dir=knowledge_dir, index_dir=index_dir, top_k=top_k)
    if question != "-":  # checked before the model loads, so a bad question costs nothing
        from bot.core.service import clean_question

        clean_question(question, settings.max_question_chars)
        click.echo(format_answer(answerer(settings, guild_id).ask(question), as_json))
        return
    kb = answerer(settings, guild_id)
    asked = failed = 0
    for text in stdin_questions():
        asked += 1
        try:
            click.echo(format_answer(kb.ask(text), as_json))
        except QABotError as error:  # one bad line gets its own error line; the rest are still answered
            failed += 1
            shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")  # strict JSON for jq
            click.echo(json.dumps({"question": shown, "error": str(error)}) if as_json else f"error: {error}")
    if failed:
        click.echo(f"error: {failed} of {asked} questions could not be answered (see above)", err=True)
        sys.exit(EXIT_ERROR)


class ServerAnswerer:
    """Asks as one server would (its collection, the base and its settings), like a KnowledgeBase."""

    def __init__(self, collections, scope) -> None:
        self.collections = collections
        self.scope = scope

    def ask(self, question: str):
        return self.collections.ask_many([question], None, self.scope)[0]


def answerer(settings, guild_id: int | None):
    """The base's KnowledgeBase, or with a server id an answerer over its collection and the base."""
    kb = open_knowledge_base(settings)
    if guild_id is None:
        return kb
    from bot.core.collections import Collections
    from bot.wiring import MB

    collections = Collections(kb, collections_root(settings), settings.collections_memory_mb * MB)
    return ServerAnswerer(collections, server_scope(settings, guild_id))


def stdin_questions() -> Iterable[str]:
    """Non-blank lines of standard input, decoded as UTF-8 here rather than by the locale. Undecodable bytes
    become lone surrogates, which the core refuses for that line alone, instead of a UnicodeDecodeError that
    would end the whole run."""
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", errors="surrogateescape").strip()
        if line:
            yield line


@cli.command()
@knowledge_option
@index_option
@handle_errors
def chat(knowledge_dir: Path | None, index_dir: Path | None) -> None:
    """Ask questions interactively (empty line or Ctrl-D to quit)."""
    kb = open_knowledge_base(core_settings(knowledge_dir=knowledge_dir, index_dir=index_dir))
    click.echo("Ask a question about ML frameworks. An empty line quits.")
    while True:
        try:
            question = input("? ")
        except EOFError:
            break
        if not question.strip():
            break
        try:
            click.echo(render_answer(kb.ask(question)) + "\n")
        except QABotError as error:
            click.echo(f"error: {error}")
