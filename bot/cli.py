"""The command line: thin commands over the core. Errors become one line and an exit code, here only."""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from bot.core.answer import Answer
from bot.errors import KnowledgeDirMissing, QABotError, UnknownArticle, UploadRefused
from bot.settings import CoreSettings, load_settings

log = logging.getLogger("bot.cli")

EXIT_ERROR = 2
EXIT_SKIPPED = 3  # the index was built, but some files were broken and skipped


def handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """The CLI's one translation of errors into words: one line on stderr and a non-zero exit."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except QABotError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            sys.exit(130)
        except Exception:
            log.exception("unexpected error")
            click.echo("error: something unexpected went wrong (details logged above)", err=True)
            sys.exit(1)

    return wrapper


def quiet_libraries() -> None:
    """Model loading prints progress bars of its own; the CLI shows only its own progress."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def core_settings(**overrides: Any) -> CoreSettings:
    return load_settings(
        CoreSettings, **{key: value for key, value in overrides.items() if value is not None}
    )


def open_knowledge_base(settings: CoreSettings, build_if_missing: bool = True):
    from bot.core.ann import single_threaded_search
    from bot.wiring import open_knowledge_base as open_from_settings

    single_threaded_search()  # one question at a time: a second thread only adds overhead
    kb, report = open_from_settings(settings, build_if_missing=build_if_missing)
    if report is not None:
        click.echo(f"built the index first: {summary_line(report)}", err=True)
    return kb


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log what happens (INFO level).")
def cli(verbose: bool) -> None:
    """qabot: answers questions about ML frameworks from a knowledge base."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    quiet_libraries()


knowledge_option = click.option(
    "--knowledge", "knowledge_dir", type=click.Path(path_type=Path), help="Articles directory."
)
index_option = click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index directory.")


@cli.command()
@knowledge_option
@index_option
@click.option("--full", is_flag=True, help="Re-embed everything instead of only new or changed articles.")
@handle_errors
def index(knowledge_dir: Path | None, index_dir: Path | None, full: bool) -> None:
    """Build or refresh the index from the knowledge directory."""
    from tqdm import tqdm

    from bot.core.indexer import build_index
    from bot.wiring import open_embedder

    settings = core_settings(knowledge_dir=knowledge_dir, index_dir=index_dir)
    if not settings.knowledge_dir.is_dir():  # before the model loads: a typo should cost nothing
        raise KnowledgeDirMissing(settings.knowledge_dir)
    embedder = open_embedder(settings)
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

        report = build_index(
            settings.knowledge_dir,
            settings.index_dir,
            embedder,
            full=full,
            progress=progress,
            max_article_bytes=settings.max_article_bytes,
        )
    finish_build(report)


def finish_build(report, done: str = "") -> None:
    """Print what a build did (and each skipped file); a build that skipped files exits with EXIT_SKIPPED."""
    for skipped in report.skipped:
        click.echo(f"skipped {one_line(skipped.path)}: {one_line(skipped.reason)}", err=True)
    click.echo(done + summary_line(report))
    if report.skipped:
        sys.exit(EXIT_SKIPPED)


def summary_line(report) -> str:
    state = "" if report.rebuilt else " (no changes; index kept)"
    return (
        f"{report.articles} articles, {report.passages} passages, {report.embedded} texts embedded, "
        f"{report.reused} reused, {len(report.skipped)} skipped, {report.seconds:.1f} s{state}"
    )


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


def format_answer(answer: Answer, as_json: bool) -> str:
    return json.dumps(answer_json(answer)) if as_json else render_answer(answer)


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "answered": answer.answered,
        "answer": answer.text,
        "confidence": round(answer.confidence, 4),
        "sources": [
            {"title": s.title, "section": s.section, "path": s.path, "url": s.url, "score": round(s.score, 4)}
            for s in answer.sources
        ],
        "passages": [
            {
                "text": h.passage.text,
                "title": h.passage.title,
                "section": h.passage.section,
                "path": h.passage.doc_path,
                "score": round(h.score, 4),
            }
            for h in answer.hits
        ],
        "suggestions": list(answer.suggestions),
    }


def one_line(text: str) -> str:
    """Text from the knowledge folder (file names, titles) kept on one terminal line: a newline or an
    escape sequence in a file name is shown escaped rather than splitting or recolouring the output."""
    return "".join(
        char if char.isprintable() or char == " " else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def render_answer(answer: Answer) -> str:
    if not answer.answered:
        lines = [answer.text]
        if answer.suggestions:
            lines.append("Closest articles: " + "; ".join(one_line(title) for title in answer.suggestions))
        lines.append(f"(confidence {answer.confidence:.2f})")
        return "\n".join(lines)
    lines = [answer.text, "", "Sources:"]
    for number, source in enumerate(answer.sources, 1):
        where = " › ".join(one_line(part) for part in (source.title, source.section) if part)
        link = f" <{one_line(source.url)}>" if source.url else ""
        lines.append(f"  [{number}] {where} ({one_line(source.path)}){link}")
    lines.append(f"(confidence {answer.confidence:.2f})")
    return "\n".join(lines)


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


@cli.command(name="eval")
@click.option("--corpus", type=click.Path(path_type=Path), required=True, help="Directory of articles.")
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
    corpus: Path,
    questions: Path,
    unanswerable: Path | None,
    threshold: float | None,
    index_dir: Path | None,
    as_json: bool,
) -> None:
    """Index CORPUS and score retrieval, answers, abstention and latency (per section when the
    questions name one)."""
    from bot.core.evaluation import evaluate, read_questions

    asked = read_questions(questions)
    refused = read_questions(unanswerable) if unanswerable else []
    with tempfile.TemporaryDirectory(prefix="qabot-eval-") as scratch:
        settings = core_settings(
            knowledge_dir=corpus, index_dir=index_dir or Path(scratch), threshold=threshold
        )
        report = evaluate(open_knowledge_base(settings), asked, refused)
    if as_json:
        from dataclasses import asdict

        click.echo(json.dumps(asdict(report)))
        return
    for line in eval_lines(report):
        click.echo(line)


def eval_lines(report) -> list[str]:
    unit = "section" if report.by_section else "file"
    refused = "n/a" if report.refused_share is None else f"{report.refused_share:.3f}"
    lines = [
        f"questions {report.questions}, unanswerable {report.unanswerable}, threshold {report.threshold}",
        f"{unit} recall@1 {report.recall_at_1:.3f}  recall@5 {report.recall_at_5:.3f}  "
        f"MRR@10 {report.mrr_at_10:.3f}",
        f"answer cites the gold {unit} {report.answer_cites_gold:.3f}"
        + ("" if report.answer_has_fact is None else f"  answer holds the fact {report.answer_has_fact:.3f}"),
        f"answered (answerable) {report.answered_share:.3f}  refused (unanswerable) {refused}",
    ]
    if report.refused_at_target is not None:
        lines.append(
            f"refused at 95 % answered (threshold {report.threshold_at_target:.3f}) "
            f"{report.refused_at_target:.3f}  AUROC {report.auroc:.3f}"
        )
    lines.append("latency ms " + "  ".join(f"{k} {v:.1f}" for k, v in report.latency_ms.items()))
    lines.append("threshold  answered  refused")
    for point, answered, declined in report.curve:
        lines.append(f"  {point:.2f}     {answered:.3f}    {'n/a' if declined is None else f'{declined:.3f}'}")
    return lines


@cli.group(name="kb")
def kb_group() -> None:
    """Add or remove articles, then reindex (the same checks and rollback as /kb in Discord)."""


@kb_group.command(name="add")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--replace", is_flag=True, help="Overwrite an article with the same file name.")
@knowledge_option
@index_option
@handle_errors
def kb_add(file: Path, replace: bool, knowledge_dir: Path | None, index_dir: Path | None) -> None:
    """Copy FILE into the knowledge directory under a safe name and reindex; put things back if that fails."""
    from bot.core import articles

    settings = core_settings(knowledge_dir=knowledge_dir, index_dir=index_dir)
    if not settings.knowledge_dir.is_dir():
        raise KnowledgeDirMissing(settings.knowledge_dir)
    limit = settings.max_article_bytes  # a bigger file would be skipped by indexing anyway
    if file.stat().st_size > limit:
        raise UploadRefused(file.name, f"it is {file.stat().st_size:,} bytes; the limit is {limit:,}")
    data = file.read_bytes()
    # Checked before the model loads, so a refused file costs nothing; checked again when it is added.
    articles.prepare_upload(settings.knowledge_dir, file.name, data, limit, replace)
    change = articles.add_article(open_knowledge_base(settings), file.name, data, limit=limit, replace=replace)
    finish_build(change.report, f"{'replaced' if change.replaced else 'added'} {one_line(change.path)}; ")


@kb_group.command(name="remove")
@click.argument("name")
@knowledge_option
@index_option
@handle_errors
def kb_remove(name: str, knowledge_dir: Path | None, index_dir: Path | None) -> None:
    """Move the article NAME (its path in the knowledge directory) to .trash/ and reindex."""
    from bot.core import articles

    settings = core_settings(knowledge_dir=knowledge_dir, index_dir=index_dir)
    if not articles.trashable(settings.knowledge_dir, name):  # before the model loads
        raise UnknownArticle(name)
    change = articles.remove_article(open_knowledge_base(settings), name)
    where = change.trashed.relative_to(settings.knowledge_dir) if change.trashed else "?"
    finish_build(change.report, f"moved {one_line(name)} to {one_line(str(where))}; ")


@cli.command()
@knowledge_option
@index_option
@handle_errors
def run(knowledge_dir: Path | None, index_dir: Path | None) -> None:
    """Start the Discord bot (token from DISCORD_TOKEN in the environment or .env)."""
    from bot.discord_adapter.runner import run_bot
    from bot.settings import DiscordSettings

    # A long-running service logs what it does (connections, reindexes, moderator actions) by default.
    logging.getLogger().setLevel(min(logging.getLogger().level, logging.INFO))

    core = core_settings(knowledge_dir=knowledge_dir, index_dir=index_dir)
    sys.exit(run_bot(core, load_settings(DiscordSettings)))


@cli.command(name="sync-commands")
@knowledge_option
@index_option
@handle_errors
def sync_commands(knowledge_dir: Path | None, index_dir: Path | None) -> None:
    """Send the slash commands to Discord now (globally, or to QABOT_DEV_GUILD_ID), then stop."""
    from bot.discord_adapter.runner import run_bot
    from bot.settings import DiscordSettings

    core = core_settings(knowledge_dir=knowledge_dir, index_dir=index_dir)
    sys.exit(run_bot(core, load_settings(DiscordSettings), sync_only=True))


@cli.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}
)
@click.pass_context
@handle_errors
def bench(ctx: click.Context) -> None:
    """Measure speed and quality (see `qabot bench --help`)."""
    from bot.bench import main as bench_main

    sys.exit(bench_main(list(ctx.args)))


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="qabot", standalone_mode=False)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.exceptions.Abort:
        return 130
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return 0
