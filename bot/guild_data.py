"""Forgetting a server: the one implementation behind the retention purge and `qabot collections delete`."""

from __future__ import annotations

from collections.abc import Callable

from bot.errors import QABotError
from bot.storage import Storage


def forget_guild(storage: Storage, delete_collection: Callable[[int], bool], guild_id: int) -> dict[str, int]:
    """Delete everything of one server: its collection (articles and index, with `delete_collection`),
    settings, hidden articles, questions, votes and audit rows. Returns the rows deleted per table
    ("collection": 1 if it had one)."""
    deleted = {"collection": int(delete_collection(guild_id))}
    deleted.update(storage.delete_guild(guild_id))
    return deleted


def forget_expired(storage: Storage, delete_collection: Callable[[int], bool]) -> tuple[list[int], list[str]]:
    """Forget every server the bot left longer ago than the retention period: (the servers forgotten,
    one line for each that could not be). One that fails keeps its rows, so the next purge tries it
    again; it never stops the others from being forgotten."""
    forgotten, failures = [], []
    for guild_id in storage.expired_guilds():
        try:
            forget_guild(storage, delete_collection, guild_id)
        except (OSError, QABotError) as error:
            failures.append(f"server {guild_id}: {error}")
            continue
        forgotten.append(guild_id)
    return forgotten, failures
