"""The `qabot` command group, its shared options, and the one place errors become words and exit codes."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from bot.cli.rendering import summary_line
from bot.errors import QABotError
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
