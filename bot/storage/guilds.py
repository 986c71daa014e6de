"""Per-server records: settings set with /config, base articles a server hid, servers the bot left.

A mixin of Storage (same connection and lock); kept apart so database.py stays about questions, votes
and the audit trail.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable

DAY = 86_400.0
# Every table that holds rows of one server, deleted together when its data is forgotten.
GUILD_TABLES = ("questions", "votes", "audit", "guild_settings", "hidden_articles", "departed_guilds")


class GuildRecords:
    _db: sqlite3.Connection
    _lock: threading.Lock
    _clock: Callable[[], float]
    retention_days: int

    # -- settings ---------------------------------------------------------------------------------
    def guild_settings(self, guild_id: int) -> dict[str, str]:
        """The settings this server changed, by name, as stored (parsed by bot.guild_settings)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT name, value FROM guild_settings WHERE guild_id = ?", (guild_id,)
            ).fetchall()
        return {name: value for name, value in rows}

    def set_guild_setting(self, guild_id: int, name: str, value: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO guild_settings (guild_id, name, value, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (guild_id, name) DO UPDATE SET value = excluded.value,"
                " updated_at = excluded.updated_at",
                (guild_id, name, value, self._clock()),
            )

    def reset_guild_setting(self, guild_id: int, name: str | None = None) -> int:
        """Forget one setting of the server (all of them with `name` None); returns how many."""
        sql, params = "DELETE FROM guild_settings WHERE guild_id = ?", [guild_id]
        if name is not None:
            sql += " AND name = ?"
            params.append(name)
        with self._lock:
            return self._db.execute(sql, params).rowcount

    # -- hidden base articles ---------------------------------------------------------------------
    def hidden_articles(self, guild_id: int) -> frozenset[str]:
        with self._lock:
            rows = self._db.execute("SELECT path FROM hidden_articles WHERE guild_id = ?", (guild_id,))
            return frozenset(path for (path,) in rows.fetchall())

    def hide_article(self, guild_id: int, path: str) -> bool:
        """Hide a base article in one server; False when it was hidden already."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO hidden_articles (guild_id, path, created_at) VALUES (?, ?, ?)",
                (guild_id, path, self._clock()),
            )
            return cursor.rowcount == 1

    def unhide_article(self, guild_id: int, path: str) -> bool:
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM hidden_articles WHERE guild_id = ? AND path = ?", (guild_id, path)
            )
            return cursor.rowcount == 1

    # -- servers the bot left ---------------------------------------------------------------------
    def guild_left(self, guild_id: int) -> None:
        """Note that the bot left (was removed from) a server; its data goes a retention period later."""
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO departed_guilds (guild_id, left_at) VALUES (?, ?)",
                (guild_id, self._clock()),
            )

    def guild_joined(self, guild_id: int) -> None:
        """Back in a server before its data was deleted: keep it."""
        with self._lock:
            self._db.execute("DELETE FROM departed_guilds WHERE guild_id = ?", (guild_id,))

    def expired_guilds(self) -> list[int]:
        """Servers the bot left more than the retention period ago, whose data is to be deleted."""
        cutoff = self._clock() - self.retention_days * DAY
        with self._lock:
            rows = self._db.execute("SELECT guild_id FROM departed_guilds WHERE left_at < ?", (cutoff,))
            return [guild_id for (guild_id,) in rows.fetchall()]

    def delete_guild(self, guild_id: int) -> dict[str, int]:
        """Delete every row of one server, in one transaction; returns the rows deleted per table."""
        deleted = {}
        with self._lock:
            self._db.execute("BEGIN")
            for table in GUILD_TABLES:  # names from the constant above, never from input
                sql = f"DELETE FROM {table} WHERE guild_id = ?"
                deleted[table] = self._db.execute(sql, (guild_id,)).rowcount
            self._db.execute("COMMIT")
        return deleted
