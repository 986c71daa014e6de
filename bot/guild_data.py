"""Forgetting a server: the one implementation behind the retention purge and `qabot collections delete`."""

from __future__ import annotations

from collections.abc import Callable

from bot.storage import Storage


def forget_guild(storage: Storage, delete_collection: Callable[[int], bool], guild_id: int) -> dict[str, int]:
    """Delete everything of one server: its collection (articles and index, with `delete_collection`),
    settings, hidden articles, questions, votes and audit rows. Returns the rows deleted per table
    ("collection": 1 if it had one)."""
    deleted = {"collection": int(delete_collection(guild_id))}
    deleted.update(storage.delete_guild(guild_id))
    return deleted
