"""Forgetting a server: the one implementation behind the retention purge and `qabot collections delete`."""

from __future__ import annotations

from bot.core.collections import Collections
from bot.storage import Storage


def forget_guild(storage: Storage, collections: Collections, guild_id: int) -> dict[str, int]:
    """Delete everything of one server: its collection (articles and index), settings, hidden articles,
    questions, votes and audit rows. Returns the rows deleted per table ("collection": 1 if it had one)."""
    deleted = {"collection": int(collections.delete(guild_id))}
    deleted.update(storage.delete_guild(guild_id))
    return deleted
