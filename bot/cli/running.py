"""qabot run, sync-commands and bench: the bot and the benchmark."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from bot.cli.app import (
    cli,
    core_settings,
    handle_errors,
    index_option,
    knowledge_option,
)
from bot.settings import load_settings


@cli.command()
@knowledge_option
@index_option
@handle_errors
def run(knowledge_dir: Path | None, index_dir: Path | None) -> None:
    """Start the Discord bot (token from DISCORD_TOKEN in the environment or .env)."""
    from bot.discord_adapter.runner import run_bot
    from bot.settings import DiscordSettings, SourcesSettings

    # A long-running service logs what it does (connections, reindexes, moderator actions) by default.
    logging.getLogger().setLevel(min(logging.getLogger().level, logging.INFO))

    core = core_settings(knowledge_dir=knowledge_dir, index_dir=index_dir)
    sys.exit(run_bot(core, load_settings(DiscordSettings), sources_settings=load_settings(SourcesSettings)))


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
