"""When slash commands are sent to Discord.

A development server gets them on every start: a guild sync shows at once and costs little. Without one,
commands are registered globally, which Discord rate-limits and takes up to an hour to show everywhere, so
that happens only on purpose (`qabot sync-commands`) or when the command tree differs from the one last
synced. A hash of the last synced tree is kept in the data folder, per application.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from pathlib import Path

import discord
from discord import app_commands

from bot.core.files import write_atomically

log = logging.getLogger(__name__)


def tree_hash(tree: app_commands.CommandTree) -> str:
    """sha256 of the global commands as discord.py sends them (names, descriptions, options, permissions)."""
    payload = sorted(
        (command.to_dict(tree) for command in tree.get_commands()),
        key=lambda entry: (entry.get("type", 1), entry["name"]),
    )
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def hash_file(data_dir: Path, application_id: int | None) -> Path:
    return data_dir / f".synced-commands-{application_id}.sha256"


async def sync_commands(
    tree: app_commands.CommandTree, data_dir: Path, dev_guild_id: int | None, *, force: bool = False
) -> int | None:
    """Sync as described above; the number of commands sent, or None when nothing needed sending."""
    if dev_guild_id:
        guild = discord.Object(dev_guild_id)
        tree.copy_global_to(guild=guild)
        synced = await tree.sync(guild=guild)
        log.info("synced %d commands to development guild %s", len(synced), dev_guild_id)
        return len(synced)
    wanted = tree_hash(tree)
    stored = hash_file(data_dir, tree.client.application_id)
    with contextlib.suppress(OSError):
        if not force and stored.read_text().strip() == wanted:
            log.info("global commands unchanged since the last sync; not syncing")
            return None
    synced = await tree.sync()
    log.info("synced %d global commands", len(synced))
    write_atomically(stored, wanted)  # only after Discord accepted them
    return len(synced)
