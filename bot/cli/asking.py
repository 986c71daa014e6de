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
from bot.cli.rendering import format_answer, render_answer
from bot.errors import QABotError


@cli.command()
@click.argument("question")
@knowledge_option
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per question.")
@click.option(
    "-k", "top_k", type=click.IntRange(1, 50), default=None, help="Passages to retrieve (default 5)."
)
@handle_errors
def ask(
    question: str, knowledge_dir: Path | None, index_dir: Path | None, as_json: bool, top_k: int | None
) -> None:
    """Answer QUESTION ("-" reads one question per line from standard input)."""
    settings = core_settings(knowledge_dir=knowledge_dir, index_dir=index_dir, top_k=top_k)
    if question != "-":  # checked before the model loads, so a bad question costs nothing
        from bot.core.service import clean_question

        clean_question(question, settings.max_question_chars)
        click.echo(format_answer(open_knowledge_base(settings).ask(question), as_json))
        return
    kb = open_knowledge_base(settings)
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
